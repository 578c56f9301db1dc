// The gbabridge.v1 error model (proto/gbabridge/v1/gbabridge.proto, ERROR MODEL): every
// failed RPC carries a canonical gRPC code and one ErrorReason value name in the trailing
// metadata `gbabridge-error-reason` (domain `gbabridge.dev`).
//
// Server side: the layers below report errors as absl::Status with a reason payload
// (uicc/card_error.h, bootstrap/client/gba_error.h, bootstrap/daemon/daemon_error.h, and the
// request validation reasons here). ErrorReasonOf() maps them to the proto's ErrorReason and
// ToGrpcStatus() puts them on the wire. The gRPC code comes from the proto table, not from
// the layer's own status code: the table is the contract (e.g. a wrong PIN is
// PERMISSION_DENIED inside uicc, but FAILED_PRECONDITION / PIN_REJECTED on the wire, since
// PERMISSION_DENIED is reserved for the caller's policy).
//
// Client side (the CLI): FromGrpcStatus() turns a grpc::Status plus the call's trailers back
// into an absl::Status that keeps the code and message and carries the reason, which
// ErrorReasonName() reads back, so that exit codes can be chosen by reason.
//
// google.rpc.ErrorInfo in `grpc-status-details-bin` (ERROR MODEL, point 2) is not produced:
// Debian 12 ships no google/rpc/error_details.proto. The trailer is the contract.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_GRPC_ERROR_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_GRPC_ERROR_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gbabridge/v1/gbabridge.pb.h"

namespace gbabridge::daemon {

inline constexpr char kErrorReasonTrailer[] = "gbabridge-error-reason";
inline constexpr char kErrorDomainTrailer[] = "gbabridge-error-domain";
inline constexpr char kErrorDomain[] = "gbabridge.dev";

// Request validation failures, checked before the policy (GetNafKey's contract).
enum class RequestErrorReason {
  kIncorrectNafId,               // INVALID_ARGUMENT / INCORRECT_NAF_ID: malformed NAF FQDN
  kSecurityProtocolUnsupported,  // INVALID_ARGUMENT / SECURITY_PROTOCOL_NOT_SUPPORTED
  kGbaModeUnsupported,           // FAILED_PRECONDITION / GBA_NOT_SUPPORTED: unknown GbaMode
};

absl::Status RequestError(RequestErrorReason reason, absl::string_view message);
// Shorthands for the two INVALID_ARGUMENT reasons of the proto table.
absl::Status IncorrectNafId(absl::string_view message);
absl::Status UnsupportedUaId(absl::string_view message);

// The proto ErrorReason for a failed status: the reason attached by the card, the GBA client,
// the daemon or request validation, or (client side) by FromGrpcStatus. A status without a
// known reason is INTERNAL_ERROR: the daemon never sends a reason outside the proto's list.
// OK maps to ERROR_REASON_UNSPECIFIED.
gbabridge::v1::ErrorReason ErrorReasonOf(const absl::Status& status);
// The value name of ErrorReasonOf(status), e.g. "NO_CARD"; "" for OK.
absl::string_view ErrorReasonName(const absl::Status& status);
// The value name of `reason` (e.g. "PIN_BLOCKED"); "ERROR_REASON_UNSPECIFIED" if unknown.
absl::string_view ErrorReasonName(gbabridge::v1::ErrorReason reason);
// The canonical code the proto table assigns to `reason`; UNKNOWN for
// ERROR_REASON_UNSPECIFIED (the client keeps the received code then).
absl::StatusCode ErrorReasonCode(gbabridge::v1::ErrorReason reason);
// The status as it will appear on the wire: the table's code for its reason, same message.
// The reason payloads are kept.
absl::Status ToWireStatus(const absl::Status& status);
// The canonical code name, e.g. "UNAVAILABLE" (Event.error_code).
std::string StatusCodeName(absl::StatusCode code);

// Server side: the gRPC status for `status`, with the reason and domain trailers set on
// `context` (may be null in tests: then only the status is built). The message is the absl
// message unchanged: by construction no layer puts key material or the IMPI in one.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context);

// Client side: the raw `gbabridge-error-reason` trailer, or "" when there is none (e.g. the
// daemon could not be reached, or the deadline passed on the client).
std::string ErrorReasonFromTrailers(const grpc::ClientContext& context);
// Client side: code and message of `status`, with the reason from the trailers attached so
// that ErrorReasonOf()/ErrorReasonName() return it. A missing or unknown reason (e.g. from a
// newer daemon) becomes ERROR_REASON_UNSPECIFIED: the client falls back to the code.
absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context);

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_GRPC_ERROR_H_
