#include "bootstrap/wire/wire_error.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_error.h"
#include "uicc/card_error.h"

namespace gbabridge::wire {
namespace {

using v1::ErrorReason;

// The proto's ERROR MODEL table: the canonical code of each reason.
struct ReasonRow {
  ErrorReason reason;
  absl::StatusCode code;
};

constexpr ReasonRow kReasonTable[] = {
    {v1::NO_CARD, absl::StatusCode::kUnavailable},
    {v1::CARD_REMOVED, absl::StatusCode::kUnavailable},
    {v1::NO_READER, absl::StatusCode::kUnavailable},
    {v1::PCSCD_NOT_RUNNING, absl::StatusCode::kUnavailable},
    {v1::GBA_BOOTSTRAP_CHANGED, absl::StatusCode::kAborted},
    {v1::CARD_UNRESPONSIVE, absl::StatusCode::kUnavailable},
    {v1::PIN_REQUIRED, absl::StatusCode::kFailedPrecondition},
    {v1::PIN_BLOCKED, absl::StatusCode::kFailedPrecondition},
    {v1::PIN_REJECTED, absl::StatusCode::kFailedPrecondition},
    {v1::GBA_NOT_SUPPORTED, absl::StatusCode::kFailedPrecondition},
    {v1::GBA_U_NOT_SUPPORTED, absl::StatusCode::kFailedPrecondition},
    {v1::BSF_UNREACHABLE, absl::StatusCode::kUnavailable},
    {v1::BSF_TLS_FAILED, absl::StatusCode::kUnavailable},
    {v1::SYNC_FAILED, absl::StatusCode::kUnavailable},
    {v1::BSF_MALFORMED_REPLY, absl::StatusCode::kDataLoss},
    {v1::NETWORK_AUTH_FAILED, absl::StatusCode::kUnauthenticated},
    {v1::BSF_NOT_AUTHENTIC, absl::StatusCode::kUnauthenticated},
    {v1::BSF_REJECTED, absl::StatusCode::kUnauthenticated},
    {v1::CALLER_NOT_ALLOWED, absl::StatusCode::kPermissionDenied},
    {v1::NAF_NOT_ALLOWED, absl::StatusCode::kPermissionDenied},
    {v1::UA_NOT_ALLOWED, absl::StatusCode::kPermissionDenied},
    {v1::OPERATION_NOT_ALLOWED, absl::StatusCode::kPermissionDenied},
    {v1::INCORRECT_NAF_ID, absl::StatusCode::kInvalidArgument},
    {v1::SECURITY_PROTOCOL_NOT_SUPPORTED, absl::StatusCode::kInvalidArgument},
    {v1::RATE_LIMITED, absl::StatusCode::kResourceExhausted},
    {v1::INTERNAL_ERROR, absl::StatusCode::kInternal},
};

constexpr absl::string_view kUnspecifiedName = "ERROR_REASON_UNSPECIFIED";

// The reason made by WireError, or received from the daemon (FromGrpcStatus): its value name.
constexpr char kReasonTypeUrl[] = "type.gbabridge.dev/gbabridge.v1.ErrorReason";

const ReasonRow* FindRow(ErrorReason reason) {
  for (const ReasonRow& row : kReasonTable) {
    if (row.reason == reason) return &row;
  }
  return nullptr;
}

ErrorReason FromCard(CardErrorReason reason) {
  switch (reason) {
    case CardErrorReason::kPcscdNotRunning:
      return v1::PCSCD_NOT_RUNNING;
    case CardErrorReason::kNoReader:
      return v1::NO_READER;
    case CardErrorReason::kNoCard:
      return v1::NO_CARD;
    case CardErrorReason::kCardRemoved:
      return v1::CARD_REMOVED;
    // A reset by another PC/SC client (uicc already retried once) and a failed transmit both
    // mean the operation lost the card midway: the caller's remedy is the one for a removed
    // card (retry with backoff, UNAVAILABLE), not INTERNAL, which says "do not retry".
    case CardErrorReason::kCardReset:
    case CardErrorReason::kTransportFailed:
      return v1::CARD_REMOVED;
    // The card's GBA_U session was replaced under the daemon (another PC/SC client
    // bootstrapped it, or a bootstrap was cut short): its own reason, so that a watcher can
    // tell it from a removed card (it hints at threat model L9).
    case CardErrorReason::kGbaBootstrapChanged:
      return v1::GBA_BOOTSTRAP_CHANGED;
    case CardErrorReason::kCardUnresponsive:
      return v1::CARD_UNRESPONSIVE;
    case CardErrorReason::kPinRequired:
      return v1::PIN_REQUIRED;
    // 63Cx: the configured PIN was refused; the daemon does not retry it.
    case CardErrorReason::kPinWrong:
      return v1::PIN_REJECTED;
    case CardErrorReason::kPinBlocked:
      return v1::PIN_BLOCKED;
    // AUTHENTICATE 9862 (TS 31.102 §7.1.2.1): the AUTN MAC is wrong, the challenge did not
    // come from the home network (TS 33.102 §6.3.3).
    case CardErrorReason::kAuthMacFailure:
      return v1::NETWORK_AUTH_FAILED;
    // Raised when the card refuses the GBA security context (TS 31.102 §7.1.2.4), i.e. GBA_U
    // was attempted on a card without it; GBA_ME would still work.
    case CardErrorReason::kGbaNotSupported:
      return v1::GBA_U_NOT_SUPPORTED;
    // No USIM application: no GBA at all (the proto's GBA_NOT_SUPPORTED case).
    case CardErrorReason::kApplicationNotFound:
      return v1::GBA_NOT_SUPPORTED;
    // Malformed answers, unexpected status words, missing files, 6985: the card or our code
    // misbehaved ("a bug or an unexpected card or system error").
    case CardErrorReason::kMalformedResponse:
    case CardErrorReason::kUnexpectedStatus:
    case CardErrorReason::kFileNotFound:
    case CardErrorReason::kConditionsNotSatisfied:
      return v1::INTERNAL_ERROR;
  }
  return v1::INTERNAL_ERROR;
}

ErrorReason FromGba(GbaErrorReason reason) {
  switch (reason) {
    case GbaErrorReason::kBsfUnreachable:
      return v1::BSF_UNREACHABLE;
    case GbaErrorReason::kBsfTlsFailed:
      return v1::BSF_TLS_FAILED;
    // HTTP 403 (or 401 after our response): the BSF refused our RES or the subscriber.
    case GbaErrorReason::kBsfForbidden:
      return v1::BSF_REJECTED;
    case GbaErrorReason::kBsfMalformedReply:
      return v1::BSF_MALFORMED_REPLY;
    case GbaErrorReason::kBsfNotAuthentic:
      return v1::BSF_NOT_AUTHENTIC;
    case GbaErrorReason::kNetworkAuthFailed:
      return v1::NETWORK_AUTH_FAILED;
    case GbaErrorReason::kSyncFailed:
      return v1::SYNC_FAILED;
  }
  return v1::INTERNAL_ERROR;
}

}  // namespace

absl::Status WireError(ErrorReason reason, absl::string_view message) {
  absl::Status status(ErrorReasonCode(reason), message);
  status.SetPayload(kReasonTypeUrl, absl::Cord(ErrorReasonName(reason)));
  return status;
}

ErrorReason ErrorReasonOf(const absl::Status& status) {
  if (status.ok()) return v1::ERROR_REASON_UNSPECIFIED;
  if (auto wire = status.GetPayload(kReasonTypeUrl); wire.has_value()) {
    return ParseErrorReason(std::string(*wire));
  }
  if (std::optional<GbaErrorReason> r = GetGbaErrorReason(status)) return FromGba(*r);
  if (std::optional<CardErrorReason> r = GetCardErrorReason(status)) return FromCard(*r);
  return v1::INTERNAL_ERROR;
}

absl::string_view ErrorReasonName(ErrorReason reason) {
  if (FindRow(reason) == nullptr) return kUnspecifiedName;
  // The generated name, so that the wire spelling is the .proto's by construction.
  const std::string& name = v1::ErrorReason_Name(reason);
  return absl::string_view(name.data(), name.size());
}

absl::string_view ErrorReasonName(const absl::Status& status) {
  if (status.ok()) return "";
  return ErrorReasonName(ErrorReasonOf(status));
}

ErrorReason ParseErrorReason(std::string_view name) {
  ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED;
  if (name.empty() || !v1::ErrorReason_Parse(std::string(name), &reason)) {
    return v1::ERROR_REASON_UNSPECIFIED;
  }
  return FindRow(reason) != nullptr ? reason : v1::ERROR_REASON_UNSPECIFIED;
}

absl::StatusCode ErrorReasonCode(ErrorReason reason) {
  const ReasonRow* row = FindRow(reason);
  return row != nullptr ? row->code : absl::StatusCode::kUnknown;
}

absl::Status ToWireStatus(const absl::Status& status) {
  if (status.ok()) return status;
  const ErrorReason reason = ErrorReasonOf(status);
  // ERROR_REASON_UNSPECIFIED only comes from a client-side status: keep its code.
  if (reason == v1::ERROR_REASON_UNSPECIFIED) return status;
  absl::Status wire(ErrorReasonCode(reason), status.message());
  status.ForEachPayload(
      [&wire](absl::string_view url, const absl::Cord& payload) { wire.SetPayload(url, payload); });
  return wire;
}

std::string StatusCodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  return name.empty() ? absl::StrCat("CODE_", static_cast<int>(code)) : name;
}

std::string StatusCodeName(grpc::StatusCode code) {
  // absl::StatusCode and grpc::StatusCode share the canonical numbering (0..16).
  return StatusCodeName(static_cast<absl::StatusCode>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  const absl::string_view name = ErrorReasonName(ErrorReasonOf(status));
  if (context != nullptr) {
    context->AddTrailingMetadata(kErrorReasonTrailer, std::string(name));
    context->AddTrailingMetadata(kErrorDomainTrailer, kErrorDomain);
  }
  const absl::StatusCode code = ToWireStatus(status).code();
  return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()));
}

std::string ErrorReasonFromTrailers(const Trailers& trailers) {
  auto reason = trailers.find(kErrorReasonTrailer);
  if (reason == trailers.end()) return "";
  std::string name(reason->second.data(), reason->second.size());
  auto domain = trailers.find(kErrorDomainTrailer);
  if (domain != trailers.end()) {
    const std::string domain_name(domain->second.data(), domain->second.size());
    if (domain_name != kErrorDomain) return absl::StrCat(domain_name, "/", name);
  }
  return name;
}

absl::Status FromGrpcStatus(const grpc::Status& status, const Trailers& trailers) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  const ErrorReason reason = ParseErrorReason(ErrorReasonFromTrailers(trailers));
  out.SetPayload(kReasonTypeUrl, absl::Cord(ErrorReasonName(reason)));
  return out;
}

}  // namespace gbabridge::wire
