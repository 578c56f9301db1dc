#include "bsf_sim/naf_authenticator.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {

NafAuthenticator::NafAuthenticator(Mode mode, std::vector<NafToken> tokens)
    : mode_(mode), tokens_(std::move(tokens)) {}

absl::StatusOr<std::vector<std::string>> NafAuthenticator::Authenticate(
    const grpc::ServerContext& context) const {
  return mode_ == Mode::kMutualTls ? FromCertificate(context) : FromToken(context);
}

absl::StatusOr<std::vector<std::string>> NafAuthenticator::FromCertificate(
    const grpc::ServerContext& context) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("the NAF presented no verified client certificate");
  }
  std::vector<std::string> names;
  for (const char* property : {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      const std::string_view name(value.data(), value.size());
      // Only names that are FQDNs count: SANs also list e-mail addresses, URIs and IPs.
      if (!ValidateFqdn(name).ok()) continue;
      std::string lower = absl::AsciiStrToLower(AbslView(name));
      if (std::find(names.begin(), names.end(), lower) == names.end()) {
        names.push_back(std::move(lower));
      }
    }
  }
  if (names.empty()) {
    return absl::UnauthenticatedError(
        "the NAF's client certificate names no FQDN (neither subject CN nor DNS "
        "subjectAltName)");
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> NafAuthenticator::FromToken(
    const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto range = metadata.equal_range("authorization");
  if (range.first == range.second) {
    return absl::UnauthenticatedError(
        "no NAF credentials: send metadata \"authorization: Bearer <token>\" with a token "
        "configured for this NAF (--naf-token)");
  }
  if (std::next(range.first) != range.second) {
    return absl::UnauthenticatedError("more than one authorization metadata entry");
  }
  const std::string_view value(range.first->second.data(), range.first->second.size());
  constexpr std::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(AbslView(value.substr(0, kBearer.size())), AbslView(kBearer))) {
    return absl::UnauthenticatedError("the authorization metadata must be \"Bearer <token>\"");
  }
  const ByteView presented = AsBytes(value.substr(kBearer.size()));
  std::vector<std::string> names;
  // Compare with every token (no early exit), each in constant time.
  for (const NafToken& token : tokens_) {
    if (ConstantTimeEquals(token.token.view(), presented)) names.push_back(token.naf_fqdn);
  }
  if (names.empty()) return absl::UnauthenticatedError("unknown NAF token");
  return names;
}

}  // namespace gbabridge::bsf
