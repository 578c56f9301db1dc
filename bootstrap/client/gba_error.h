// GBA errors: absl::Status with a machine-readable reason attached, as uicc/card_error.h
// does for the card. The daemon maps reasons to gRPC ErrorInfo; the CLI to exit codes.
#ifndef GBABRIDGE_BOOTSTRAP_CLIENT_GBA_ERROR_H_
#define GBABRIDGE_BOOTSTRAP_CLIENT_GBA_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gbabridge {

enum class GbaErrorReason {
  kBsfUnreachable,     // UNAVAILABLE: connection refused, DNS, timeout
  kBsfTlsFailed,       // UNAVAILABLE: TLS handshake or certificate verification failed
  kBsfForbidden,       // PERMISSION_DENIED: 403 (wrong RES, unknown subscriber)
  kBsfMalformedReply,  // DATA_LOSS: unexpected status, headers or body
  kBsfNotAuthentic,    // UNAUTHENTICATED: rspauth missing or wrong (no mutual authentication)
  kNetworkAuthFailed,  // UNAUTHENTICATED: the card rejected AUTN (MAC failure)
  kSyncFailed,         // UNAVAILABLE: resynchronisation did not converge
};

absl::string_view GbaErrorReasonName(GbaErrorReason reason);
absl::Status GbaError(GbaErrorReason reason, absl::string_view message);
std::optional<GbaErrorReason> GetGbaErrorReason(const absl::Status& status);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_CLIENT_GBA_ERROR_H_
