#include "bootstrap/gba_error.h"

#include <string>

#include "absl/strings/cord.h"

namespace gbabridge {
namespace {

constexpr absl::string_view kPayloadUrl = "type.gbabridge.dev/gbabridge.GbaErrorReason";

struct ReasonInfo {
  GbaErrorReason reason;
  absl::string_view name;
  absl::StatusCode code;
};

constexpr ReasonInfo kReasons[] = {
    {GbaErrorReason::kBsfUnreachable, "BSF_UNREACHABLE", absl::StatusCode::kUnavailable},
    {GbaErrorReason::kBsfTlsFailed, "BSF_TLS_FAILED", absl::StatusCode::kUnavailable},
    {GbaErrorReason::kBsfForbidden, "BSF_FORBIDDEN", absl::StatusCode::kPermissionDenied},
    {GbaErrorReason::kBsfMalformedReply, "BSF_MALFORMED_REPLY", absl::StatusCode::kDataLoss},
    {GbaErrorReason::kBsfNotAuthentic, "BSF_NOT_AUTHENTIC", absl::StatusCode::kUnauthenticated},
    {GbaErrorReason::kNetworkAuthFailed, "NETWORK_AUTH_FAILED", absl::StatusCode::kUnauthenticated},
    {GbaErrorReason::kSyncFailed, "SYNC_FAILED", absl::StatusCode::kUnavailable},
};

const ReasonInfo& Info(GbaErrorReason reason) {
  for (const ReasonInfo& info : kReasons) {
    if (info.reason == reason) return info;
  }
  return kReasons[0];
}

}  // namespace

absl::string_view GbaErrorReasonName(GbaErrorReason reason) { return Info(reason).name; }

absl::Status GbaError(GbaErrorReason reason, absl::string_view message) {
  const ReasonInfo& info = Info(reason);
  absl::Status status(info.code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(info.name));
  return status;
}

std::optional<GbaErrorReason> GetGbaErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string name(*payload);
  for (const ReasonInfo& info : kReasons) {
    if (info.name == name) return info.reason;
  }
  return std::nullopt;
}

}  // namespace gbabridge
