// Turns a failed gbabridged RPC into what the CLI shows and returns: the exit code, a
// one-line message on stderr ("error: <message> [<REASON>]") and, with --json, an error
// object on stdout.
//
// The daemon's error model (proto/gbabridge/v1/gbabridge.proto, ERROR MODEL): a canonical
// gRPC code plus the machine-readable reason in the trailer `gbabridge-error-reason`
// (an ErrorReason value name). The reason decides the exit code; the code is the fallback
// when the reason is missing or unknown to this client. An UNAVAILABLE without any reason
// did not come from the daemon: it is gRPC failing to connect (kExitDaemonUnreachable).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_
#define GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "bootstrap/cli/daemon_connection.h"
#include "grpcpp/grpcpp.h"

namespace gbabridge::cli {

inline constexpr char kErrorReasonTrailer[] = "gbabridge-error-reason";
inline constexpr char kErrorDomainTrailer[] = "gbabridge-error-domain";
inline constexpr char kErrorDomain[] = "gbabridge.dev";

// The exit-code table shown as the footer of `gbabridge status|naf-key|watch --help`.
extern const char kDaemonExitCodesHelp[];

// The reason carried by the trailers: "" when there is none; "<domain>/<reason>" when the
// domain trailer names another domain than gbabridge.dev (an unknown reason, then).
std::string ErrorReasonFromTrailers(
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers);

// "UNAVAILABLE", "PERMISSION_DENIED", ...
std::string GrpcCodeName(grpc::StatusCode code);

// The exit code for a failed RPC: by reason when it is one this client knows, else by code.
int ExitCodeForDaemonError(grpc::StatusCode code, std::string_view reason);

struct DaemonFailure {
  int exit_code = 1;
  std::string reason;     // the ErrorReason name; the gRPC code name when there is none
  std::string grpc_code;  // e.g. "UNAVAILABLE"
  std::string message;    // for people: the daemon's message, or our diagnosis
};

// Describes a failed RPC. `reason` is ErrorReasonFromTrailers(context.GetServerTrailingMetadata()).
// Connection failures and timeouts get a message naming the target and what to check.
DaemonFailure DescribeDaemonFailure(const grpc::Status& status, std::string_view reason,
                                    const DaemonTarget& target, std::chrono::seconds timeout);
// The same for a failed connection wait (DaemonConnection::WaitUntilConnected).
DaemonFailure DescribeConnectFailure(const absl::Status& status, const DaemonTarget& target,
                                     std::chrono::seconds timeout);

// Writes "error: <message> [<REASON>]" on err and, when json, {"error": {...}} on out.
// Returns failure.exit_code.
int ReportDaemonFailure(const DaemonFailure& failure, bool json, std::ostream& out,
                        std::ostream& err);
// For errors found before any RPC (bad flags, unreadable TLS files): InvalidArgument is
// kExitUsage, anything else kExitFailure.
int ReportLocalError(const absl::Status& status, bool json, std::ostream& out, std::ostream& err);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_DAEMON_ERROR_EXIT_H_
