#include "bootstrap/daemon/daemon_error.h"

#include "uicc/base/status_reason.h"

namespace gbabridge::daemon {
namespace {

constexpr StatusReasonInfo<DaemonErrorReason> kReasons[] = {
    {DaemonErrorReason::kCallerNotAllowed, "CALLER_NOT_ALLOWED",
     absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kNafNotAllowed, "NAF_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kUaNotAllowed, "UA_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kOperationNotAllowed, "OPERATION_NOT_ALLOWED",
     absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kRateLimited, "RATE_LIMITED", absl::StatusCode::kResourceExhausted},
};

constexpr StatusReasonTable kTable("type.gbabridge.dev/gbabridge.DaemonErrorReason", kReasons);

}  // namespace

absl::string_view DaemonErrorReasonName(DaemonErrorReason reason) { return kTable.Name(reason); }

absl::Status DaemonError(DaemonErrorReason reason, absl::string_view message) {
  return kTable.MakeStatus(reason, message);
}

std::optional<DaemonErrorReason> GetDaemonErrorReason(const absl::Status& status) {
  return kTable.FromStatus(status);
}

}  // namespace gbabridge::daemon
