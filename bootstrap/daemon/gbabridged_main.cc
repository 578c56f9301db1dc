// gbabridged: the GBA key daemon (3GPP TS 33.220). Serves gbabridge.v1.GbaBridge on a Unix
// socket (callers identified by their peer credentials) and optionally on TCP with mutual
// TLS; see bootstrap/daemon/gbabridged.h and examples/gbabridged.toml.
//
//   gbabridged [--config FILE] [--policy FILE]... [flags]
//
// Once it accepts connections it prints exactly one line on stdout and flushes it:
//   READY unix=PATH[ tcp=HOST:PORT]
// (the TCP port actually bound, so that port 0 can be used), and logs to stderr. SIGTERM or
// SIGINT stops it cleanly: keys wiped, socket removed, exit status 0.
// Exit status: 0 stopped by a signal, 1 failure, 2 usage or configuration error.
#include "bootstrap/daemon/gbabridged_run.h"

int main(int argc, char** argv) { return gbabridge::daemon::RunGbabridged(argc, argv); }
