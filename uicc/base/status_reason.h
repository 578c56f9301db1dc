// Machine-readable reasons on absl::Status, the project's one error type.
//
// Each layer (card, GBA, daemon) has an enum of reasons and a table giving each reason its
// wire name and status code. A reason travels as a status payload under the layer's type
// URL, so callers can tell apart errors that share a code (the CLI's exit codes, the
// daemon's gRPC error details) without parsing messages.
#ifndef GBABRIDGE_UICC_BASE_STATUS_REASON_H_
#define GBABRIDGE_UICC_BASE_STATUS_REASON_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace gbabridge {

template <typename Reason>
struct StatusReasonInfo {
  Reason reason;
  absl::string_view name;  // e.g. "NO_CARD"
  absl::StatusCode code;
};

template <typename Reason, size_t N>
class StatusReasonTable {
 public:
  constexpr StatusReasonTable(absl::string_view type_url,
                              const StatusReasonInfo<Reason> (&entries)[N])
      : type_url_(type_url), entries_(entries) {}

  const StatusReasonInfo<Reason>& Info(Reason reason) const {
    for (const StatusReasonInfo<Reason>& info : entries_) {
      if (info.reason == reason) return info;
    }
    return entries_[0];
  }

  absl::string_view Name(Reason reason) const { return Info(reason).name; }

  // A status whose code is chosen from the reason, with the reason attached.
  absl::Status MakeStatus(Reason reason, absl::string_view message) const {
    const StatusReasonInfo<Reason>& info = Info(reason);
    absl::Status status(info.code, message);
    status.SetPayload(type_url_, absl::Cord(info.name));
    return status;
  }

  // The reason attached by MakeStatus, if any.
  std::optional<Reason> FromStatus(const absl::Status& status) const {
    auto payload = status.GetPayload(type_url_);
    if (!payload.has_value()) return std::nullopt;
    const std::string name(*payload);
    for (const StatusReasonInfo<Reason>& info : entries_) {
      if (info.name == name) return info.reason;
    }
    return std::nullopt;
  }

 private:
  absl::string_view type_url_;
  const StatusReasonInfo<Reason> (&entries_)[N];
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_STATUS_REASON_H_
