// What a SIGHUP can change in a running gbabridged, and what needs a restart.
//
// gbabridged re-reads its --config and --policy files on SIGHUP (`systemctl reload`),
// overlays the same command-line flags, and validates the result like at start. A file
// that does not parse or validate changes nothing: the daemon goes on with what it had and
// logs why. Otherwise:
//   - applied at once: the client policy ([[client]] entries, with their rate limits: the
//     buckets start afresh) and log.level;
//   - kept until a restart, each named in a log line: everything else (the card, the PIN,
//     the BSF and its timeouts, the session settings, the listeners and their TLS files,
//     the audit file). Those hold open resources (the socket, the card, keys in memory) or
//     change what a cached key means, so the daemon never swaps them under a live session.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_RELOAD_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_RELOAD_H_

#include <string>
#include <vector>

#include "bootstrap/daemon/daemon_config.h"

namespace gbabridge::daemon {

struct ReloadPlan {
  // Settings (by configuration key, e.g. "log.level") that take effect now.
  std::vector<std::string> applied;
  // Settings that differ from the running ones but wait for a restart.
  std::vector<std::string> needs_restart;
};

// Compares the running configuration with the one just read. The policy is always applied
// (it is cheap, and the entries cannot be compared meaningfully line by line).
ReloadPlan PlanReload(const DaemonConfig& running, const DaemonConfig& next);

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_RELOAD_H_
