// Exit codes of the `gbabridge` CLI, one per error class, so that scripts can react
// without parsing messages.
#ifndef GBABRIDGE_BOOTSTRAP_CLI_EXIT_CODES_H_
#define GBABRIDGE_BOOTSTRAP_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace gbabridge::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // anything not listed below
  kExitUsage = 2,            // bad flags or arguments
  kExitCardUnavailable = 3,  // pcscd not running, no reader, no card, card removed/reset
  kExitPin = 4,              // PIN required, wrong or blocked
  kExitAuthFailed = 5,       // network authentication failed (AUTN MAC invalid)
  kExitCardError = 6,        // malformed card response, unexpected status, missing file/app
  kExitBsfUnavailable = 7,   // BSF unreachable, TLS failure, timeout
  kExitBsfRejected = 8,      // BSF refused (403) or failed mutual authentication (rspauth)
  kExitBsfMalformed = 9,     // BSF reply did not parse
  // Daemon client commands (status, naf-key, watch): see daemon_error_exit.h.
  kExitDaemonUnreachable = 10,  // no connection to gbabridged, or no answer in --timeout
  kExitNotAllowed = 11,         // the daemon's policy denies this caller, NAF or Ua id
  kExitRateLimited = 12,        // the caller's rate limit is exhausted; retry later
  kExitGbaNotSupported = 13,    // the card (or the daemon's configuration) has no GBA/GBA_U
};

// Chooses the exit code for a failed status.
int ExitCodeFor(const absl::Status& status);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_EXIT_CODES_H_
