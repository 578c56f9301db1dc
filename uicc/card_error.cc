#include "uicc/card_error.h"

#include "uicc/base/status_reason.h"

namespace gbabridge {
namespace {

constexpr StatusReasonInfo<CardErrorReason> kReasons[] = {
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
    {CardErrorReason::kGbaBootstrapChanged, "GBA_BOOTSTRAP_CHANGED", absl::StatusCode::kAborted},
    {CardErrorReason::kCardUnresponsive, "CARD_UNRESPONSIVE", absl::StatusCode::kUnavailable},
};

constexpr StatusReasonTable kTable("type.gbabridge.dev/gbabridge.CardErrorReason", kReasons);

}  // namespace

absl::string_view CardErrorReasonName(CardErrorReason reason) { return kTable.Name(reason); }

absl::Status CardError(CardErrorReason reason, absl::string_view message) {
  return kTable.MakeStatus(reason, message);
}

std::optional<CardErrorReason> GetCardErrorReason(const absl::Status& status) {
  return kTable.FromStatus(status);
}

}  // namespace gbabridge
