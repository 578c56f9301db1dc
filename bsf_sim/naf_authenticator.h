// NafAuthenticator: who is calling Zn (TS 33.220 §4.4.3: the BSF must authenticate the NAF
// before giving it keys; TS 33.310 / TS 29.109 use TLS or NDS/IP there).
//
// Two modes, one per listener:
//  - kMutualTls: the listener requires and verifies a client certificate; the NAF is who
//    the certificate names: its subject CN and its DNS subjectAltNames (gRPC AuthContext
//    properties x509_common_name / x509_subject_alternative_name). Bearer tokens are
//    ignored there: the certificate is the stronger proof.
//  - kToken: only on a plain-text loopback listener (ZnServer refuses a plain listener on
//    any other address): metadata `authorization: Bearer <token>`, compared in constant
//    time with every configured token, names the NAF FQDN the token was configured for.
// The result is the set of FQDNs the caller may ask keys for (ZnService checks that the
// NAF_Id's FQDN is among them).
#ifndef GBABRIDGE_BSF_SIM_NAF_AUTHENTICATOR_H_
#define GBABRIDGE_BSF_SIM_NAF_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf_sim/naf_token.h"

namespace gbabridge::bsf {

class NafAuthenticator {
 public:
  enum class Mode { kMutualTls, kToken };

  NafAuthenticator(Mode mode, std::vector<NafToken> tokens);

  // The FQDNs (lower case) the caller is. Unauthenticated when it proved none.
  absl::StatusOr<std::vector<std::string>> Authenticate(const grpc::ServerContext& context) const;

  Mode mode() const { return mode_; }

 private:
  absl::StatusOr<std::vector<std::string>> FromCertificate(
      const grpc::ServerContext& context) const;
  absl::StatusOr<std::vector<std::string>> FromToken(const grpc::ServerContext& context) const;

  Mode mode_;
  std::vector<NafToken> tokens_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_NAF_AUTHENTICATOR_H_
