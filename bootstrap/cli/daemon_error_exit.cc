#include "bootstrap/cli/daemon_error_exit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/wire/wire_error.h"
#include "gbabridge/v1/gbabridge.pb.h"

namespace gbabridge::cli {

const char kDaemonExitCodesHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  other failure (INTERNAL_ERROR, unknown reason)\n"
    "  2  usage: bad flags, INCORRECT_NAF_ID, SECURITY_PROTOCOL_NOT_SUPPORTED\n"
    "  3  card unavailable: NO_CARD, CARD_REMOVED, NO_READER, PCSCD_NOT_RUNNING,\n"
    "     CARD_UNRESPONSIVE, GBA_BOOTSTRAP_CHANGED\n"
    "  4  PIN: PIN_REQUIRED, PIN_BLOCKED, PIN_REJECTED\n"
    "  5  network authentication failed: NETWORK_AUTH_FAILED (AUTN MAC invalid)\n"
    "  7  BSF unavailable: BSF_UNREACHABLE, BSF_TLS_FAILED, SYNC_FAILED\n"
    "  8  BSF rejected us or is not authentic: BSF_REJECTED, BSF_NOT_AUTHENTIC\n"
    "  9  BSF reply malformed: BSF_MALFORMED_REPLY\n"
    " 10  daemon unreachable: no connection to gbabridged, or no answer within --timeout\n"
    " 11  not allowed: CALLER_NOT_ALLOWED, NAF_NOT_ALLOWED, UA_NOT_ALLOWED,\n"
    "     OPERATION_NOT_ALLOWED\n"
    " 12  rate limited: RATE_LIMITED (retry after the policy's window)\n"
    " 13  GBA not supported: GBA_NOT_SUPPORTED, GBA_U_NOT_SUPPORTED\n"
    "Errors print \"error: <message> [<REASON>]\" on stderr; with --json also\n"
    "{\"error\": {\"message\", \"reason\", \"grpc_code\", \"exit_code\"}} on stdout.\n";

namespace {

using gbabridge::v1::ErrorReason;

// Exit code by the daemon's reason; nullopt for ERROR_REASON_UNSPECIFIED (unknown names
// parse to it too, as the ERROR MODEL asks clients to treat them).
std::optional<int> ExitCodeForReason(ErrorReason reason) {
  switch (reason) {
    case gbabridge::v1::NO_CARD:
    case gbabridge::v1::CARD_REMOVED:
    case gbabridge::v1::GBA_BOOTSTRAP_CHANGED:
    case gbabridge::v1::NO_READER:
    case gbabridge::v1::PCSCD_NOT_RUNNING:
    case gbabridge::v1::CARD_UNRESPONSIVE:
      return kExitCardUnavailable;
    case gbabridge::v1::PIN_REQUIRED:
    case gbabridge::v1::PIN_BLOCKED:
    case gbabridge::v1::PIN_REJECTED:
      return kExitPin;
    case gbabridge::v1::GBA_NOT_SUPPORTED:
    case gbabridge::v1::GBA_U_NOT_SUPPORTED:
      return kExitGbaNotSupported;
    case gbabridge::v1::BSF_UNREACHABLE:
    case gbabridge::v1::BSF_TLS_FAILED:
    case gbabridge::v1::SYNC_FAILED:
      return kExitBsfUnavailable;
    case gbabridge::v1::BSF_MALFORMED_REPLY:
      return kExitBsfMalformed;
    case gbabridge::v1::NETWORK_AUTH_FAILED:
      return kExitAuthFailed;
    case gbabridge::v1::BSF_NOT_AUTHENTIC:
    case gbabridge::v1::BSF_REJECTED:
      return kExitBsfRejected;
    case gbabridge::v1::CALLER_NOT_ALLOWED:
    case gbabridge::v1::NAF_NOT_ALLOWED:
    case gbabridge::v1::UA_NOT_ALLOWED:
    case gbabridge::v1::OPERATION_NOT_ALLOWED:
      return kExitNotAllowed;
    case gbabridge::v1::INCORRECT_NAF_ID:
    case gbabridge::v1::SECURITY_PROTOCOL_NOT_SUPPORTED:
      return kExitUsage;
    case gbabridge::v1::RATE_LIMITED:
      return kExitRateLimited;
    case gbabridge::v1::INTERNAL_ERROR:
      return kExitFailure;
    default:
      return std::nullopt;
  }
}

// What to check when the socket or the TCP port does not answer.
std::string UnreachableMessage(const DaemonTarget& target, std::string_view grpc_detail) {
  if (target.kind == DaemonTarget::Kind::kUnix) {
    std::string msg = absl::StrCat("daemon not reachable at ", target.display(),
                                   " (is gbabridged running? permission on the socket?)");
    // A local look at the socket file names the likelier of the two.
    struct stat st;
    if (stat(target.path.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        absl::StrAppend(&msg, ": no socket at ", target.path);
      } else {
        absl::StrAppend(&msg, ": cannot access ", target.path, ": ", std::strerror(errno));
      }
      return msg;
    }
    if (!S_ISSOCK(st.st_mode)) {
      absl::StrAppend(&msg, ": ", target.path, " is not a socket");
      return msg;
    }
    if (access(target.path.c_str(), R_OK | W_OK) != 0) {
      absl::StrAppend(&msg, ": no read/write permission on ", target.path,
                      " (ask for the socket's group)");
      return msg;
    }
    if (!grpc_detail.empty()) absl::StrAppend(&msg, ": ", std::string(grpc_detail));
    return msg;
  }
  std::string msg = absl::StrCat("daemon not reachable at ", target.display(),
                                 " (is gbabridged running and listening there? do the TLS "
                                 "certificates and --tls-server-name match?)");
  if (!grpc_detail.empty()) absl::StrAppend(&msg, ": ", std::string(grpc_detail));
  return msg;
}

std::string TimeoutMessage(const DaemonTarget& target, std::chrono::seconds timeout) {
  return absl::StrCat("no answer from the daemon at ", target.display(), " within ",
                      timeout.count(), " s (--timeout; a cold bootstrap can take seconds)");
}

}  // namespace

int ExitCodeForDaemonError(grpc::StatusCode code, std::string_view reason) {
  if (code == grpc::StatusCode::OK) return kExitOk;
  if (std::optional<int> by_reason = ExitCodeForReason(wire::ParseErrorReason(reason)))
    return *by_reason;
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      // Without a reason the daemon never answered: gRPC could not connect. With a reason
      // this client does not know, the daemon did answer; do not claim it is unreachable.
      return reason.empty() ? kExitDaemonUnreachable : kExitFailure;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitDaemonUnreachable;
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitNotAllowed;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitRateLimited;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kExitUsage;
    case grpc::StatusCode::UNAUTHENTICATED:
      // The daemon never answers UNAUTHENTICATED about the caller: it means Ub mutual
      // authentication failed (ERROR MODEL).
      return kExitBsfRejected;
    case grpc::StatusCode::DATA_LOSS:
      return kExitBsfMalformed;
    default:
      return kExitFailure;
  }
}

CliError DescribeDaemonFailure(const grpc::Status& status, std::string_view reason,
                               const DaemonTarget& target, std::chrono::seconds timeout) {
  CliError failure;
  failure.grpc_code = wire::StatusCodeName(status.error_code());
  failure.exit_code = ExitCodeForDaemonError(status.error_code(), reason);
  failure.reason = std::string(reason);
  if (reason.empty() && (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
    failure.reason = kDaemonUnreachableReason;  // gRPC's own failure: the daemon never answered
  }
  failure.message = status.error_message();
  if (reason.empty()) {
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        failure.message = UnreachableMessage(target, status.error_message());
        break;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        failure.message = TimeoutMessage(target, timeout);
        break;
      case grpc::StatusCode::UNIMPLEMENTED:
        failure.message = absl::StrCat("the daemon at ", target.display(),
                                       " does not implement this call (an older gbabridged?)");
        break;
      default:
        break;
    }
  }
  if (failure.message.empty()) {
    failure.message = absl::StrCat("the daemon answered ", failure.grpc_code);
  }
  return failure;
}

CliError DescribeConnectFailure(const absl::Status& status, const DaemonTarget& target,
                                std::chrono::seconds timeout) {
  CliError failure;
  failure.exit_code = kExitDaemonUnreachable;
  if (absl::IsDeadlineExceeded(status)) {
    failure.grpc_code = "DEADLINE_EXCEEDED";
    failure.message = TimeoutMessage(target, timeout);
  } else {
    failure.grpc_code = "UNAVAILABLE";
    failure.message = UnreachableMessage(target, "");
  }
  failure.reason = kDaemonUnreachableReason;
  return failure;
}

}  // namespace gbabridge::cli
