#include "bootstrap/cli/exit_codes.h"

#include "bootstrap/client/gba_error.h"
#include "uicc/card_error.h"

namespace gbabridge::cli {

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (absl::IsInvalidArgument(status)) return kExitUsage;
  if (std::optional<GbaErrorReason> gba = GetGbaErrorReason(status)) {
    switch (*gba) {
      case GbaErrorReason::kBsfUnreachable:
      case GbaErrorReason::kBsfTlsFailed:
      case GbaErrorReason::kSyncFailed:
        return kExitBsfUnavailable;
      case GbaErrorReason::kBsfForbidden:
      case GbaErrorReason::kBsfNotAuthentic:
        return kExitBsfRejected;
      case GbaErrorReason::kBsfMalformedReply:
        return kExitBsfMalformed;
      case GbaErrorReason::kNetworkAuthFailed:
        return kExitAuthFailed;
    }
  }
  std::optional<CardErrorReason> reason = GetCardErrorReason(status);
  if (!reason.has_value()) return kExitFailure;
  switch (*reason) {
    case CardErrorReason::kPcscdNotRunning:
    case CardErrorReason::kNoReader:
    case CardErrorReason::kNoCard:
    case CardErrorReason::kCardRemoved:
    case CardErrorReason::kCardReset:
    case CardErrorReason::kTransportFailed:
    case CardErrorReason::kCardUnresponsive:
    case CardErrorReason::kGbaBootstrapChanged:  // the card's session moved on: retry
      return kExitCardUnavailable;
    case CardErrorReason::kPinRequired:
    case CardErrorReason::kPinWrong:
    case CardErrorReason::kPinBlocked:
      return kExitPin;
    case CardErrorReason::kAuthMacFailure:
      return kExitAuthFailed;
    default:
      return kExitCardError;
  }
}

}  // namespace gbabridge::cli
