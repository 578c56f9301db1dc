// Card errors: absl::Status with a machine-readable reason attached as a payload, so
// that callers (CLI exit codes, later the gRPC ErrorInfo mapping) can tell apart cases
// that share a status code.
#ifndef GBABRIDGE_UICC_CARD_ERROR_H_
#define GBABRIDGE_UICC_CARD_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gbabridge {

enum class CardErrorReason {
  kPcscdNotRunning,         // UNAVAILABLE: the PC/SC daemon cannot be reached.
  kNoReader,                // UNAVAILABLE: no reader, or no reader of the requested name.
  kNoCard,                  // UNAVAILABLE: reader present, no card in it.
  kCardRemoved,             // UNAVAILABLE: the card went away during a session.
  kCardReset,               // ABORTED: the card was reset by someone else; state is lost.
  kTransportFailed,         // UNAVAILABLE: any other transport failure.
  kMalformedResponse,       // DATA_LOSS: the card sent bytes that do not parse.
  kUnexpectedStatus,        // FAILED_PRECONDITION/INTERNAL: an unexpected status word.
  kFileNotFound,            // NOT_FOUND: 6A82.
  kApplicationNotFound,     // NOT_FOUND: no USIM/ISIM application.
  kPinRequired,             // FAILED_PRECONDITION: security status not satisfied (6982).
  kPinWrong,                // PERMISSION_DENIED: 63Cx.
  kPinBlocked,              // FAILED_PRECONDITION: 6983.
  kAuthMacFailure,          // UNAUTHENTICATED: AUTHENTICATE 9862, AUTN MAC invalid.
  kGbaNotSupported,         // FAILED_PRECONDITION: card has no GBA context.
  kConditionsNotSatisfied,  // FAILED_PRECONDITION: 6985.
  kGbaBootstrapChanged,     // ABORTED: EF_GBABP holds another bootstrap than the caller's.
  kCardUnresponsive,        // UNAVAILABLE: no answer within the command timeout (a modem).
};

absl::string_view CardErrorReasonName(CardErrorReason reason);

// Builds a status whose code is chosen from the reason, with the reason attached.
absl::Status CardError(CardErrorReason reason, absl::string_view message);

// The reason attached by CardError, if any.
std::optional<CardErrorReason> GetCardErrorReason(const absl::Status& status);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_CARD_ERROR_H_
