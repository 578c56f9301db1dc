// The BootstrappingInfo XML body of the BSF's 200 OK (TS 24.109 Annex C;
// Content-Type application/vnd.3gpp.bsf+xml, namespace uri:3gpp-gba).
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAPPING_INFO_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAPPING_INFO_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gbabridge {

inline constexpr char kBsfContentType[] = "application/vnd.3gpp.bsf+xml";
inline constexpr char kGbaNamespace[] = "uri:3gpp-gba";

struct BootstrappingInfo {
  std::string btid;
  absl::Time lifetime;  // key expiry, UTC (xs:dateTime on the wire)
};

// Parses with pugixml: the root must be BootstrappingInfo in namespace uri:3gpp-gba
// (default namespace or a prefix); btid and lifetime are required; unknown elements are
// ignored; lifetime must be an xs:dateTime with a time zone (Z or +hh:mm).
absl::StatusOr<BootstrappingInfo> ParseBootstrappingInfo(std::string_view xml);
// Produces the body bsf-sim sends (lifetime in UTC with a trailing Z).
std::string FormatBootstrappingInfo(const BootstrappingInfo& info);

// xs:dateTime helpers (UTC on the wire).
std::string FormatUtcDateTime(absl::Time t);
absl::StatusOr<absl::Time> ParseXsDateTime(std::string_view text);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAPPING_INFO_H_
