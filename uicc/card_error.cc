#include "uicc/card_error.h"

#include <array>
#include <string>

#include "absl/strings/cord.h"

namespace gbabridge {
namespace {

constexpr absl::string_view kPayloadUrl = "type.gbabridge.dev/gbabridge.CardErrorReason";

struct ReasonInfo {
  CardErrorReason reason;
  absl::string_view name;
  absl::StatusCode code;
};

constexpr ReasonInfo kReasons[] = {
    {CardErrorReason::kPcscdNotRunning, "PCSCD_NOT_RUNNING", absl::StatusCode::kUnavailable},
    {CardErrorReason::kNoReader, "NO_READER", absl::StatusCode::kUnavailable},
    {CardErrorReason::kNoCard, "NO_CARD", absl::StatusCode::kUnavailable},
    {CardErrorReason::kCardRemoved, "CARD_REMOVED", absl::StatusCode::kUnavailable},
    {CardErrorReason::kCardReset, "CARD_RESET", absl::StatusCode::kAborted},
    {CardErrorReason::kTransportFailed, "TRANSPORT_FAILED", absl::StatusCode::kUnavailable},
    {CardErrorReason::kMalformedResponse, "MALFORMED_RESPONSE", absl::StatusCode::kDataLoss},
    {CardErrorReason::kUnexpectedStatus, "UNEXPECTED_STATUS", absl::StatusCode::kInternal},
    {CardErrorReason::kFileNotFound, "FILE_NOT_FOUND", absl::StatusCode::kNotFound},
    {CardErrorReason::kApplicationNotFound, "APPLICATION_NOT_FOUND", absl::StatusCode::kNotFound},
    {CardErrorReason::kPinRequired, "PIN_REQUIRED", absl::StatusCode::kFailedPrecondition},
    {CardErrorReason::kPinWrong, "PIN_WRONG", absl::StatusCode::kPermissionDenied},
    {CardErrorReason::kPinBlocked, "PIN_BLOCKED", absl::StatusCode::kFailedPrecondition},
    {CardErrorReason::kAuthMacFailure, "AUTH_MAC_FAILURE", absl::StatusCode::kUnauthenticated},
    {CardErrorReason::kGbaNotSupported, "GBA_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition},
    {CardErrorReason::kConditionsNotSatisfied, "CONDITIONS_NOT_SATISFIED",
     absl::StatusCode::kFailedPrecondition},
};

const ReasonInfo& Info(CardErrorReason reason) {
  for (const ReasonInfo& info : kReasons) {
    if (info.reason == reason) return info;
  }
  return kReasons[static_cast<size_t>(CardErrorReason::kTransportFailed)];
}

}  // namespace

absl::string_view CardErrorReasonName(CardErrorReason reason) { return Info(reason).name; }

absl::Status CardError(CardErrorReason reason, absl::string_view message) {
  const ReasonInfo& info = Info(reason);
  absl::Status status(info.code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(info.name));
  return status;
}

std::optional<CardErrorReason> GetCardErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string name(*payload);
  for (const ReasonInfo& info : kReasons) {
    if (info.name == name) return info.reason;
  }
  return std::nullopt;
}

}  // namespace gbabridge
