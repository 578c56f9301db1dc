#include "bootstrap/daemon/grpc_error.h"

#include <optional>
#include <string_view>

#include "absl/strings/cord.h"
#include "bootstrap/client/gba_error.h"
#include "bootstrap/daemon/daemon_error.h"
#include "uicc/base/status_reason.h"
#include "uicc/card_error.h"

namespace gbabridge::daemon {
namespace {

using v1::ErrorReason;

// The proto's ERROR MODEL table, one row per reason.
struct ReasonRow {
  ErrorReason reason;
  absl::string_view name;
  absl::StatusCode code;
};

constexpr ReasonRow kReasonTable[] = {
    {v1::NO_CARD, "NO_CARD", absl::StatusCode::kUnavailable},
    {v1::CARD_REMOVED, "CARD_REMOVED", absl::StatusCode::kUnavailable},
    {v1::NO_READER, "NO_READER", absl::StatusCode::kUnavailable},
    {v1::PCSCD_NOT_RUNNING, "PCSCD_NOT_RUNNING", absl::StatusCode::kUnavailable},
    {v1::GBA_BOOTSTRAP_CHANGED, "GBA_BOOTSTRAP_CHANGED", absl::StatusCode::kAborted},
    {v1::PIN_REQUIRED, "PIN_REQUIRED", absl::StatusCode::kFailedPrecondition},
    {v1::PIN_BLOCKED, "PIN_BLOCKED", absl::StatusCode::kFailedPrecondition},
    {v1::PIN_REJECTED, "PIN_REJECTED", absl::StatusCode::kFailedPrecondition},
    {v1::GBA_NOT_SUPPORTED, "GBA_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition},
    {v1::GBA_U_NOT_SUPPORTED, "GBA_U_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition},
    {v1::BSF_UNREACHABLE, "BSF_UNREACHABLE", absl::StatusCode::kUnavailable},
    {v1::BSF_TLS_FAILED, "BSF_TLS_FAILED", absl::StatusCode::kUnavailable},
    {v1::SYNC_FAILED, "SYNC_FAILED", absl::StatusCode::kUnavailable},
    {v1::BSF_MALFORMED_REPLY, "BSF_MALFORMED_REPLY", absl::StatusCode::kDataLoss},
    {v1::NETWORK_AUTH_FAILED, "NETWORK_AUTH_FAILED", absl::StatusCode::kUnauthenticated},
    {v1::BSF_NOT_AUTHENTIC, "BSF_NOT_AUTHENTIC", absl::StatusCode::kUnauthenticated},
    {v1::BSF_REJECTED, "BSF_REJECTED", absl::StatusCode::kUnauthenticated},
    {v1::CALLER_NOT_ALLOWED, "CALLER_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {v1::NAF_NOT_ALLOWED, "NAF_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {v1::UA_NOT_ALLOWED, "UA_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {v1::OPERATION_NOT_ALLOWED, "OPERATION_NOT_ALLOWED", absl::StatusCode::kPermissionDenied},
    {v1::INCORRECT_NAF_ID, "INCORRECT_NAF_ID", absl::StatusCode::kInvalidArgument},
    {v1::SECURITY_PROTOCOL_NOT_SUPPORTED, "SECURITY_PROTOCOL_NOT_SUPPORTED",
     absl::StatusCode::kInvalidArgument},
    {v1::RATE_LIMITED, "RATE_LIMITED", absl::StatusCode::kResourceExhausted},
    {v1::INTERNAL_ERROR, "INTERNAL_ERROR", absl::StatusCode::kInternal},
};

constexpr absl::string_view kUnspecifiedName = "ERROR_REASON_UNSPECIFIED";

const ReasonRow* FindRow(ErrorReason reason) {
  for (const ReasonRow& row : kReasonTable) {
    if (row.reason == reason) return &row;
  }
  return nullptr;
}

const ReasonRow* FindRow(std::string_view name) {
  for (const ReasonRow& row : kReasonTable) {
    if (std::string_view(row.name.data(), row.name.size()) == name) return &row;
  }
  return nullptr;
}

// Request validation reasons travel like the other layers' (uicc/base/status_reason.h).
constexpr StatusReasonInfo<RequestErrorReason> kRequestReasons[] = {
    {RequestErrorReason::kIncorrectNafId, "INCORRECT_NAF_ID", absl::StatusCode::kInvalidArgument},
    {RequestErrorReason::kSecurityProtocolUnsupported, "SECURITY_PROTOCOL_NOT_SUPPORTED",
     absl::StatusCode::kInvalidArgument},
    {RequestErrorReason::kGbaModeUnsupported, "GBA_NOT_SUPPORTED",
     absl::StatusCode::kFailedPrecondition},
};
constexpr StatusReasonTable kRequestTable("type.gbabridge.dev/gbabridge.RequestErrorReason",
                                          kRequestReasons);

// The reason as received from the daemon (client side, FromGrpcStatus).
constexpr char kWireReasonTypeUrl[] = "type.gbabridge.dev/gbabridge.v1.ErrorReason";

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

ErrorReason FromDaemon(DaemonErrorReason reason) {
  switch (reason) {
    case DaemonErrorReason::kCallerNotAllowed:
      return v1::CALLER_NOT_ALLOWED;
    case DaemonErrorReason::kNafNotAllowed:
      return v1::NAF_NOT_ALLOWED;
    case DaemonErrorReason::kUaNotAllowed:
      return v1::UA_NOT_ALLOWED;
    case DaemonErrorReason::kOperationNotAllowed:
      return v1::OPERATION_NOT_ALLOWED;
    case DaemonErrorReason::kRateLimited:
      return v1::RATE_LIMITED;
  }
  return v1::INTERNAL_ERROR;
}

ErrorReason FromRequest(RequestErrorReason reason) {
  switch (reason) {
    case RequestErrorReason::kIncorrectNafId:
      return v1::INCORRECT_NAF_ID;
    case RequestErrorReason::kSecurityProtocolUnsupported:
      return v1::SECURITY_PROTOCOL_NOT_SUPPORTED;
    case RequestErrorReason::kGbaModeUnsupported:
      return v1::GBA_NOT_SUPPORTED;
  }
  return v1::INTERNAL_ERROR;
}

}  // namespace

absl::Status RequestError(RequestErrorReason reason, absl::string_view message) {
  return kRequestTable.MakeStatus(reason, message);
}

absl::Status IncorrectNafId(absl::string_view message) {
  return RequestError(RequestErrorReason::kIncorrectNafId, message);
}

absl::Status UnsupportedUaId(absl::string_view message) {
  return RequestError(RequestErrorReason::kSecurityProtocolUnsupported, message);
}

ErrorReason ErrorReasonOf(const absl::Status& status) {
  if (status.ok()) return v1::ERROR_REASON_UNSPECIFIED;
  if (auto wire = status.GetPayload(kWireReasonTypeUrl); wire.has_value()) {
    const ReasonRow* row = FindRow(std::string(*wire));
    return row != nullptr ? row->reason : v1::ERROR_REASON_UNSPECIFIED;
  }
  if (std::optional<RequestErrorReason> r = kRequestTable.FromStatus(status))
    return FromRequest(*r);
  if (std::optional<DaemonErrorReason> r = GetDaemonErrorReason(status)) return FromDaemon(*r);
  if (std::optional<GbaErrorReason> r = GetGbaErrorReason(status)) return FromGba(*r);
  if (std::optional<CardErrorReason> r = GetCardErrorReason(status)) return FromCard(*r);
  return v1::INTERNAL_ERROR;
}

absl::string_view ErrorReasonName(ErrorReason reason) {
  const ReasonRow* row = FindRow(reason);
  return row != nullptr ? row->name : kUnspecifiedName;
}

absl::string_view ErrorReasonName(const absl::Status& status) {
  if (status.ok()) return "";
  return ErrorReasonName(ErrorReasonOf(status));
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

std::string StatusCodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  const ErrorReason reason = ErrorReasonOf(status);
  const absl::string_view name = ErrorReasonName(reason);
  if (context != nullptr) {
    context->AddTrailingMetadata(kErrorReasonTrailer, std::string(name));
    context->AddTrailingMetadata(kErrorDomainTrailer, kErrorDomain);
  }
  const absl::StatusCode code = ToWireStatus(status).code();
  // absl::StatusCode and grpc::StatusCode share the canonical numbering (0..16).
  return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()));
}

std::string ErrorReasonFromTrailers(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kErrorReasonTrailer);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  const std::string received = ErrorReasonFromTrailers(context);
  const ReasonRow* row = FindRow(std::string_view(received));
  out.SetPayload(kWireReasonTypeUrl, absl::Cord(row != nullptr ? row->name : kUnspecifiedName));
  return out;
}

}  // namespace gbabridge::daemon
