// RunGbabridged: the whole gbabridged program (flags, configuration, logging, READY line,
// signals), so that gbabridged's main stays one line and the benchmarks' gbabridged-bench
// can run the same program with an extra service on the same server (GbabridgedHooks).
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_RUN_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_RUN_H_

#include "bootstrap/daemon/gbabridged.h"

namespace gbabridge::daemon {

// Returns the process exit status: 0 stopped by a signal, 1 failure, 2 usage/configuration.
int RunGbabridged(int argc, char** argv, GbabridgedHooks hooks = {});

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_RUN_H_
