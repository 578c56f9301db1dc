#include "bootstrap/client/gba_error.h"

#include "uicc/base/status_reason.h"

namespace gbabridge {
namespace {

constexpr StatusReasonInfo<GbaErrorReason> kReasons[] = {
    {GbaErrorReason::kBsfUnreachable, "BSF_UNREACHABLE", absl::StatusCode::kUnavailable},
    {GbaErrorReason::kBsfTlsFailed, "BSF_TLS_FAILED", absl::StatusCode::kUnavailable},
    {GbaErrorReason::kBsfForbidden, "BSF_FORBIDDEN", absl::StatusCode::kPermissionDenied},
    {GbaErrorReason::kBsfMalformedReply, "BSF_MALFORMED_REPLY", absl::StatusCode::kDataLoss},
    {GbaErrorReason::kBsfNotAuthentic, "BSF_NOT_AUTHENTIC", absl::StatusCode::kUnauthenticated},
    {GbaErrorReason::kNetworkAuthFailed, "NETWORK_AUTH_FAILED", absl::StatusCode::kUnauthenticated},
    {GbaErrorReason::kSyncFailed, "SYNC_FAILED", absl::StatusCode::kUnavailable},
};

constexpr StatusReasonTable kTable("type.gbabridge.dev/gbabridge.GbaErrorReason", kReasons);

}  // namespace

absl::string_view GbaErrorReasonName(GbaErrorReason reason) { return kTable.Name(reason); }

absl::Status GbaError(GbaErrorReason reason, absl::string_view message) {
  return kTable.MakeStatus(reason, message);
}

std::optional<GbaErrorReason> GetGbaErrorReason(const absl::Status& status) {
  return kTable.FromStatus(status);
}

}  // namespace gbabridge
