// The one way the `gbabridge` CLI reports a failure, for every command: a line
// "error: <message> [<REASON>]" on stderr (without " [...]" when there is no reason) and, with
// --json, one JSON document
// {"error": {"message", "reason", "grpc_code", "exit_code"}} on stdout.
//
// Daemon commands (status, naf-key, watch) fill a CliError from the failed RPC
// (daemon_error_exit.h); card and bootstrap commands from the local status (LocalError).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_CLI_ERROR_H_
#define GBABRIDGE_BOOTSTRAP_CLI_CLI_ERROR_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "bootstrap/cli/exit_codes.h"

namespace gbabridge::cli {

// The CLI's own reasons, beside the daemon's, card's and GBA client's reason names.
inline constexpr char kUsageReason[] = "USAGE";                           // bad input
inline constexpr char kDaemonUnreachableReason[] = "DAEMON_UNREACHABLE";  // no answer at all

struct CliError {
  int exit_code = kExitFailure;
  // Machine-readable: the daemon's ErrorReason name, or the card's or GBA client's reason
  // name for local work, kUsageReason for bad input, kDaemonUnreachableReason when the
  // daemon never answered; empty (no "[...]", JSON null) when there is no real reason.
  std::string reason;
  std::string grpc_code;  // e.g. "UNAVAILABLE"; empty (JSON null) when no RPC was made
  std::string message;    // for people: what failed and, where we know it, what to check
};

// Writes the error as described above. Returns error.exit_code.
int ReportError(const CliError& error, bool json, std::ostream& out, std::ostream& err);

// A failure of the CLI's own work (flags, files, a card in a local reader, Ub): the exit code
// of ExitCodeFor(), the reason attached by the card or the GBA client, kUsageReason for
// InvalidArgument, else none.
CliError LocalError(const absl::Status& status);
int ReportLocalError(const absl::Status& status, bool json, std::ostream& out, std::ostream& err);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_CLI_ERROR_H_
