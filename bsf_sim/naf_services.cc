#include "bsf_sim/naf_services.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {

absl::Status AddNafServices(std::string_view spec, NafServices& services) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq + 1 == spec.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAF service \"", AbslView(spec), "\": the form is NAF_FQDN=GSID[,GSID...]"));
  }
  std::string fqdn = absl::AsciiStrToLower(AbslView(spec.substr(0, eq)));
  if (absl::Status s = ValidateFqdn(fqdn); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAF service \"", AbslView(spec), "\": NAF FQDN: ", ToString(s.message())));
  }
  std::vector<std::string> gsids;
  for (absl::string_view gsid : absl::StrSplit(AbslView(spec.substr(eq + 1)), ',')) {
    // TS 29.109 Annex B: a GSID is a decimal GAA service type code.
    const bool decimal = !gsid.empty() && gsid.size() <= 10 &&
                         std::all_of(gsid.begin(), gsid.end(), absl::ascii_isdigit);
    if (!decimal) {
      return absl::InvalidArgumentError(absl::StrCat("NAF service \"", AbslView(spec),
                                                     "\": GSID \"", gsid,
                                                     "\" is not 1 to 10 decimal digits"));
    }
    gsids.emplace_back(gsid);
  }
  std::vector<std::string>& entry = services[fqdn];
  for (std::string& gsid : gsids) {
    if (std::find(entry.begin(), entry.end(), gsid) == entry.end()) entry.push_back(gsid);
  }
  return absl::OkStatus();
}

bool NafMayName(const NafServices& services, std::string_view naf_fqdn, std::string_view gsid) {
  const auto it = services.find(absl::AsciiStrToLower(AbslView(naf_fqdn)));
  if (it == services.end()) return false;
  return std::find(it->second.begin(), it->second.end(), gsid) != it->second.end();
}

}  // namespace gbabridge::bsf
