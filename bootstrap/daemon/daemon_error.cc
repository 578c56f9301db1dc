#include "bootstrap/daemon/daemon_error.h"

#include <string>

#include "absl/strings/cord.h"

namespace gbabridge::daemon {
namespace {

constexpr absl::string_view kPayloadUrl = "type.gbabridge.dev/gbabridge.DaemonErrorReason";

struct ReasonInfo {
  DaemonErrorReason reason;
  absl::string_view name;
  absl::StatusCode code;
};

constexpr ReasonInfo kReasons[] = {
    {DaemonErrorReason::kCallerNotAllowed, "CALLER_NOT_ALLOWED",
     absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kNafNotAllowed, "NAF_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kUaNotAllowed, "UA_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {DaemonErrorReason::kRateLimited, "RATE_LIMITED", absl::StatusCode::kResourceExhausted},
};

const ReasonInfo& Info(DaemonErrorReason reason) {
  for (const ReasonInfo& info : kReasons) {
    if (info.reason == reason) return info;
  }
  return kReasons[0];
}

}  // namespace

absl::string_view DaemonErrorReasonName(DaemonErrorReason reason) { return Info(reason).name; }

absl::Status DaemonError(DaemonErrorReason reason, absl::string_view message) {
  const ReasonInfo& info = Info(reason);
  absl::Status status(info.code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(info.name));
  return status;
}

std::optional<DaemonErrorReason> GetDaemonErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string name(*payload);
  for (const ReasonInfo& info : kReasons) {
    if (info.name == name) return info.reason;
  }
  return std::nullopt;
}

}  // namespace gbabridge::daemon
