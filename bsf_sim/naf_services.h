// Which GAA services (GSIDs, TS 29.109 Annex B) a NAF may name on Zn. TS 33.220 §4.4.6
// keeps user security settings per service; a NAF naming a service gets that service's USS
// and passes a subscriber's USS list by it, so the BSF must know which NAF runs which
// service. Without an entry a NAF may name none (the refusal says how to add one).
#ifndef GBABRIDGE_BSF_SIM_NAF_SERVICES_H_
#define GBABRIDGE_BSF_SIM_NAF_SERVICES_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gbabridge::bsf {

// NAF FQDN (lower case) -> the decimal GSIDs it may name.
using NafServices = std::map<std::string, std::vector<std::string>>;

// "naf.example.org=42,7" (the form of --naf-service) into `services`; the FQDN is
// validated and lower-cased, each GSID must be 1 to 10 decimal digits. A later entry for
// the same FQDN adds to the earlier one.
absl::Status AddNafServices(std::string_view spec, NafServices& services);

bool NafMayName(const NafServices& services, std::string_view naf_fqdn, std::string_view gsid);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_NAF_SERVICES_H_
