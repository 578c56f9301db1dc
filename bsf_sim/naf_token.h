// A bearer token that authenticates one NAF on a loopback Zn listener.
#ifndef GBABRIDGE_BSF_SIM_NAF_TOKEN_H_
#define GBABRIDGE_BSF_SIM_NAF_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf {

struct NafToken {
  std::string naf_fqdn;  // lower case
  SecretBytes token;

  NafToken Clone() const { return {naf_fqdn, token.Clone()}; }
};

// "naf.example.org=TOKEN" (the form of --naf-token). The FQDN is validated and
// lower-cased; the token must not be empty. Errors never show the token.
absl::StatusOr<NafToken> ParseNafToken(std::string_view spec);
absl::StatusOr<NafToken> MakeNafToken(std::string_view naf_fqdn, std::string_view token);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_NAF_TOKEN_H_
