// The gbabridge.v1 error model (proto/gbabridge/v1/gbabridge.proto, ERROR MODEL): every
// failed RPC carries a canonical gRPC code and one ErrorReason value name in the trailing
// metadata `gbabridge-error-reason`, with the domain `gbabridge.dev` in
// `gbabridge-error-domain`. This module is the one place that knows the trailer names, the
// domain and the reason table; the daemon encodes with it and the CLI decodes with it.
//
// Server side: the layers below report errors as absl::Status with a reason payload
// (uicc/card_error.h, bootstrap/client/gba_error.h); the daemon's own reasons (policy, rate
// limits, request validation) are made here with WireError(). ErrorReasonOf() maps them all to
// the proto's ErrorReason and ToGrpcStatus() puts them on the wire. The gRPC code comes from
// the proto table, not from the layer's own status code: the table is the contract (e.g. a
// wrong PIN is PERMISSION_DENIED inside uicc, but FAILED_PRECONDITION / PIN_REJECTED on the
// wire, since PERMISSION_DENIED is reserved for the caller's policy).
//
// Client side: ErrorReasonFromTrailers() reads the reason as received, and FromGrpcStatus()
// turns a grpc::Status plus the trailers back into an absl::Status that keeps the code and
// message and carries the reason, which ErrorReasonOf()/ErrorReasonName() read back.
//
// google.rpc.ErrorInfo in `grpc-status-details-bin` (ERROR MODEL, point 2) is not produced:
// Debian 12 ships no google/rpc/error_details.proto. The trailers are the contract.
#ifndef GBABRIDGE_BOOTSTRAP_WIRE_WIRE_ERROR_H_
#define GBABRIDGE_BOOTSTRAP_WIRE_WIRE_ERROR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gbabridge/v1/gbabridge.pb.h"

namespace gbabridge::wire {

inline constexpr char kErrorReasonTrailer[] = "gbabridge-error-reason";
inline constexpr char kErrorDomainTrailer[] = "gbabridge-error-domain";
inline constexpr char kErrorDomain[] = "gbabridge.dev";

// The trailing metadata of a finished call (grpc::ClientContext::GetServerTrailingMetadata).
using Trailers = std::multimap<grpc::string_ref, grpc::string_ref>;

// A status with `reason` attached and the code the proto table gives it, e.g.
// WireError(v1::RATE_LIMITED, "...") is RESOURCE_EXHAUSTED. For the daemon's own reasons
// (policy, rate limits, request validation); the card and the GBA client use their own.
absl::Status WireError(gbabridge::v1::ErrorReason reason, absl::string_view message);

// The proto ErrorReason for a failed status: the reason attached by WireError, the card, the
// GBA client, or (client side) FromGrpcStatus. A status without a known reason is
// INTERNAL_ERROR: the daemon never sends a reason outside the proto's list. OK maps to
// ERROR_REASON_UNSPECIFIED.
gbabridge::v1::ErrorReason ErrorReasonOf(const absl::Status& status);
// The value name of ErrorReasonOf(status), e.g. "NO_CARD"; "" for OK.
absl::string_view ErrorReasonName(const absl::Status& status);
// The value name of `reason` (e.g. "PIN_BLOCKED"); "ERROR_REASON_UNSPECIFIED" if unknown.
absl::string_view ErrorReasonName(gbabridge::v1::ErrorReason reason);
// The reason named `name` as sent on the wire; ERROR_REASON_UNSPECIFIED for "" and for
// names this build does not know (a newer daemon's, or another domain's): the ERROR MODEL
// asks clients to fall back to the code then.
gbabridge::v1::ErrorReason ParseErrorReason(std::string_view name);
// The canonical code the proto table assigns to `reason`; UNKNOWN for
// ERROR_REASON_UNSPECIFIED (the client keeps the received code then).
absl::StatusCode ErrorReasonCode(gbabridge::v1::ErrorReason reason);
// The status as it will appear on the wire: the table's code for its reason, same message.
// The reason payloads are kept.
absl::Status ToWireStatus(const absl::Status& status);
// The canonical code name, e.g. "UNAVAILABLE" (Event.error_code, the CLI's grpc_code).
std::string StatusCodeName(absl::StatusCode code);
std::string StatusCodeName(grpc::StatusCode code);

// Server side: the gRPC status for `status`, with the reason and domain trailers set on
// `context` (may be null in tests: then only the status is built). The message is the absl
// message unchanged: by construction no layer puts key material or the IMPI in one.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context);

// Client side: the reason as received: "" when there is none (the daemon could not be
// reached, or the deadline passed on the client); "<domain>/<reason>" when the domain trailer
// names another domain than gbabridge.dev (not ours to interpret: it parses as unknown).
std::string ErrorReasonFromTrailers(const Trailers& trailers);
// Client side: code and message of `status`, with the reason from the trailers attached so
// that ErrorReasonOf()/ErrorReasonName() return it. A missing or unknown reason becomes
// ERROR_REASON_UNSPECIFIED.
absl::Status FromGrpcStatus(const grpc::Status& status, const Trailers& trailers);

}  // namespace gbabridge::wire

#endif  // GBABRIDGE_BOOTSTRAP_WIRE_WIRE_ERROR_H_
