// gbabridged-bench: gbabridged exactly as shipped (RunGbabridged: same flags, config, server
// setup and listeners), plus bench.v1.Echo registered on the same server, so that the load
// generator measures GetNafKey beside the server's own trivial-call limit. Not installed.
#include "bench/echo_service.h"
#include "bootstrap/daemon/gbabridged_run.h"

int main(int argc, char** argv) {
  gbabridge::bench::EchoService echo;
  gbabridge::daemon::GbabridgedHooks hooks;
  hooks.extra_services.push_back(&echo);
  return gbabridge::daemon::RunGbabridged(argc, argv, std::move(hooks));
}
