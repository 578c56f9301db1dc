// Turns a failed gbabridged RPC into the CliError the CLI reports (cli_error.h): the exit
// code, the reason and a message that says what to check.
//
// The daemon's error model (proto/gbabridge/v1/gbabridge.proto, ERROR MODEL): a canonical
// gRPC code plus the machine-readable reason in the trailer `gbabridge-error-reason`
// (an ErrorReason value name). The reason decides the exit code; the code is the fallback
// when the reason is missing or unknown to this client. An UNAVAILABLE without any reason
// did not come from the daemon: it is gRPC failing to connect (kExitDaemonUnreachable).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_
#define GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/daemon_connection.h"
#include "grpcpp/grpcpp.h"

namespace gbabridge::cli {

// The exit-code table shown as the footer of `gbabridge status|naf-key|watch --help`.
extern const char kDaemonExitCodesHelp[];

// The exit code for a failed RPC: by reason when it is one this client knows, else by code.
int ExitCodeForDaemonError(grpc::StatusCode code, std::string_view reason);

// Describes a failed RPC. `reason` is the reason as received,
// wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata()).
// Connection failures and timeouts get a message naming the target and what to check.
CliError DescribeDaemonFailure(const grpc::Status& status, std::string_view reason,
                               const DaemonTarget& target, std::chrono::seconds timeout);
// The same for a failed connection wait (DaemonConnection::WaitUntilConnected).
CliError DescribeConnectFailure(const absl::Status& status, const DaemonTarget& target,
                                std::chrono::seconds timeout);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_
