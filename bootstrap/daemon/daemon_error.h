// Daemon errors: absl::Status with a machine-readable reason attached, as
// bootstrap/client/gba_error.h and uicc/card_error.h do. gbabridged maps the reason name to the
// gRPC trailer `gbabridge-error-reason` (see proto/gbabridge/v1/gbabridge.proto, ERROR MODEL);
// the names here are ErrorReason value names of that proto.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_ERROR_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gbabridge::daemon {

enum class DaemonErrorReason {
  kCallerNotAllowed,     // PERMISSION_DENIED: no client policy entry matches the caller
  kNafNotAllowed,        // PERMISSION_DENIED: the caller's entry does not allow this NAF FQDN
  kUaNotAllowed,         // PERMISSION_DENIED: the caller's entry does not allow this Ua id
  kOperationNotAllowed,  // PERMISSION_DENIED: force_bootstrap or GBA_ME, not allowed to it
  kRateLimited,          // RESOURCE_EXHAUSTED: the caller's token bucket is empty
};

// "CALLER_NOT_ALLOWED", "NAF_NOT_ALLOWED", "UA_NOT_ALLOWED", "OPERATION_NOT_ALLOWED",
// "RATE_LIMITED".
absl::string_view DaemonErrorReasonName(DaemonErrorReason reason);
// A status whose code is chosen from the reason, with the reason attached.
absl::Status DaemonError(DaemonErrorReason reason, absl::string_view message);
// The reason attached by DaemonError, if any.
std::optional<DaemonErrorReason> GetDaemonErrorReason(const absl::Status& status);

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_ERROR_H_
