#include "bsf_sim/naf_token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {

absl::StatusOr<NafToken> MakeNafToken(std::string_view naf_fqdn, std::string_view token) {
  if (absl::Status s = ValidateFqdn(naf_fqdn); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAF token: \"", AbslView(naf_fqdn), "\" is not a NAF FQDN: ", s.message()));
  }
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAF token for ", AbslView(naf_fqdn), " is empty"));
  }
  NafToken out;
  out.naf_fqdn = absl::AsciiStrToLower(AbslView(naf_fqdn));
  out.token = SecretBytes::CopyFrom(AsBytes(token));
  return out;
}

absl::StatusOr<NafToken> ParseNafToken(std::string_view spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a NAF token is given as NAF_FQDN=TOKEN (e.g. naf.example.org=s3cret)");
  }
  return MakeNafToken(spec.substr(0, eq), spec.substr(eq + 1));
}

}  // namespace gbabridge::bsf
