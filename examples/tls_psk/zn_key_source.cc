#include "examples/tls_psk/zn_key_source.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "uicc/base/secret_file.h"

namespace gbabridge::examples {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", std::string(what), " ", path));
  }
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Zn's gRPC status (zn.proto, "Errors") -> what the NAF does about it.
absl::Status FromZnStatus(const grpc::Status& status, const std::string& naf_fqdn) {
  const std::string zn = absl::StrCat(" (Zn said: ", status.error_message(), ")");
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(
          absl::StrCat("the BSF does not know this B-TID or it has expired", zn));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::PermissionDeniedError(absl::StrCat(
          "the BSF did not accept this NAF's credentials: check --zn-token, or the client "
          "certificate and key",
          zn));
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(
          absl::StrCat("the BSF does not give this NAF the keys of ", naf_fqdn,
                       ": the token or certificate must be configured for exactly that FQDN", zn));
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(absl::StrCat("the BSF found the request malformed", zn));
    default:
      // gRPC and absl share the canonical code numbers.
      return absl::UnavailableError(absl::StrCat(
          "the BSF's Zn interface failed: ",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), zn));
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeZnChannel(const HostPort& zn,
                                                             const ZnTlsFiles* tls) {
  if (tls == nullptr) {
    // A bearer token and the keys themselves would travel in clear: loopback only, the
    // same rule bsf-sim applies to its plain listener.
    if (!IsLoopbackHost(zn.host)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Zn at ", zn.ToString(),
          " is not a loopback address: use mutual TLS "
          "(--zn-tls-cert, --zn-tls-key, --zn-ca), a plain channel would carry keys in clear"));
    }
    return grpc::CreateChannel(zn.ToString(), grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadFile(tls->ca_file, "the Zn CA file");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadFile(tls->cert_file, "the NAF certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<SecretBytes> key = ReadSecretFile(tls->key_file, "the NAF private key");
  if (!key.ok()) return key.status();
  ssl.pem_root_certs = *std::move(ca);
  ssl.pem_cert_chain = *std::move(cert);
  ssl.pem_private_key = SecretToString(*key);  // gRPC's API takes a std::string
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(zn.ToString(), grpc::SslCredentials(ssl));
  WipeString(ssl.pem_private_key);  // gRPC keeps its own copy inside the credentials
  return channel;
}

ZnKeySource::ZnKeySource(std::unique_ptr<::bsf::v1::Zn::StubInterface> stub,
                         ZnKeySourceOptions options)
    : fetcher_(std::make_unique<GrpcZnFetcher>(std::move(stub), options.bearer_token.Clone(),
                                               options.timeout)),
      options_(std::move(options)) {}

ZnKeySource::ZnKeySource(std::unique_ptr<ZnKeyFetcher> fetcher, ZnKeySourceOptions options)
    : fetcher_(std::move(fetcher)), options_(std::move(options)) {}

int ZnKeySource::zn_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return zn_calls_;
}

absl::StatusOr<SecretBytes> ZnKeySource::GetKey(const PskIdentity& identity) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(identity.btid);
    if (it != cache_.end()) {
      if (std::chrono::steady_clock::now() < it->second.deadline) {
        if (identity.gba_u && !it->second.gba_u) {
          return absl::FailedPreconditionError(
              "the identity says GBA_U (3GPP-bootstrapping-uicc.) but the BSF's session is "
              "GBA_ME");
        }
        return it->second.key.Clone();  // a hit: no Zn round trip
      }
      cache_.erase(it);  // expired: the key is wiped with the entry
    }
  }
  // Zn is called without the lock held; two racing connections may both ask, harmlessly.
  absl::StatusOr<Entry> fetched = FetchFromBsf(identity);
  if (!fetched.ok()) return fetched.status();
  SecretBytes key = fetched->key.Clone();
  Insert(identity.btid, *std::move(fetched));
  return key;
}

GrpcZnFetcher::GrpcZnFetcher(std::unique_ptr<::bsf::v1::Zn::StubInterface> stub,
                             SecretBytes bearer_token, std::chrono::milliseconds timeout)
    : stub_(std::move(stub)), bearer_token_(std::move(bearer_token)), timeout_(timeout) {}

absl::StatusOr<ZnFetchedKey> GrpcZnFetcher::Fetch(const std::string& naf_fqdn,
                                                  const PskIdentity& identity) {
  ::bsf::v1::GetNafKeyRequest request;
  request.set_btid(identity.btid);
  request.set_naf_fqdn(naf_fqdn);
  const UaSecurityProtocolId::Octets ua = TlsUaId().octets();
  request.set_ua_security_protocol_id(std::string(ua.begin(), ua.end()));
  // The "-uicc" prefix announces a GBA_U key; a GBA_U-aware NAF says so on Zn (TS 29.109,
  // TS 33.220 §5.4.2). The answer's ks_naf is Ks_ext_NAF either way.
  request.set_gba_u_aware(identity.gba_u);
  request.set_gaa_service_id(gaa_service_id_);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  if (!bearer_token_.empty()) {
    std::string authorization = "Bearer ";
    authorization.append(reinterpret_cast<const char*>(bearer_token_.data()), bearer_token_.size());
    context.AddMetadata("authorization", authorization);
    WipeString(authorization);
  }
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = stub_->GetNafKey(&context, request, &response);
  ZnFetchedKey fetched;
  fetched.key = SecretBytes::CopyFrom(AsBytes(response.ks_naf()));
  // Overwrite the key fields before the message goes away.
  WipeString(*response.mutable_ks_naf());
  WipeString(*response.mutable_ks_int_naf());  // Ks_int_NAF: not used by this NAF
  if (!status.ok()) return FromZnStatus(status, naf_fqdn);
  fetched.gba_u = response.gba_type() == ::bsf::v1::GBA_TYPE_U;
  if (!response.has_key_expiry()) {
    return absl::DataLossError("the BSF's answer has no key_expiry");
  }
  fetched.expiry = absl::FromUnixSeconds(response.key_expiry().seconds()) +
                   absl::Nanoseconds(response.key_expiry().nanos());
  if (!response.user_security_settings().empty()) {
    fetched.user_security_settings = response.user_security_settings();
  }
  return fetched;
}

absl::StatusOr<ZnFetchedKey> ZnKeySource::LookUp(const PskIdentity& identity) {
  absl::StatusOr<ZnFetchedKey> fetched = fetcher_->Fetch(options_.naf_fqdn, identity);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++zn_calls_;
  }
  if (!fetched.ok()) return fetched.status();
  if (fetched->key.size() != kNafKeySize) {
    return absl::DataLossError(absl::StrCat("the BSF sent a ", fetched->key.size(),
                                            "-byte ks_naf; Ks_NAF is ", kNafKeySize, " bytes"));
  }
  if (identity.gba_u && !fetched->gba_u) {
    return absl::FailedPreconditionError(
        "the identity says GBA_U (3GPP-bootstrapping-uicc.) but the BSF's session is GBA_ME");
  }
  if (fetched->expiry <= absl::Now()) {
    return absl::NotFoundError("the BSF's session for this B-TID has expired");
  }
  return fetched;
}

absl::StatusOr<ZnKeySource::Entry> ZnKeySource::FetchFromBsf(const PskIdentity& identity) {
  absl::StatusOr<ZnFetchedKey> fetched = LookUp(identity);
  if (!fetched.ok()) return fetched.status();
  Entry entry;
  entry.key = std::move(fetched->key);
  entry.gba_u = fetched->gba_u;
  // The expiry on the monotonic clock from here on (see Entry).
  const absl::Duration remaining = fetched->expiry - absl::Now();
  entry.deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(remaining);
  return entry;
}

void ZnKeySource::Insert(const std::string& btid, Entry entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cache_.size() >= options_.max_cached_keys && cache_.find(btid) == cache_.end()) {
    // Full: drop the expired entries, then, if need be, the one that expires first.
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(cache_, [&](const auto& item) { return item.second.deadline <= now; });
    if (cache_.size() >= options_.max_cached_keys && !cache_.empty()) {
      auto first = cache_.begin();
      for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (it->second.deadline < first->second.deadline) first = it;
      }
      cache_.erase(first);
    }
  }
  cache_.insert_or_assign(btid, std::move(entry));
}

}  // namespace gbabridge::examples
