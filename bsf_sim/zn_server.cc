#include "bsf_sim/zn_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bsf_sim/naf_authenticator.h"
#include "bsf_sim/zn_service.h"
#include "uicc/base/secret_file.h"

namespace gbabridge::bsf {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read the Zn ", absl::string_view(what.data(), what.size()), " ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ZnServer::ZnServer(ZnServerOptions options, std::unique_ptr<NafAuthenticator> authenticator,
                   std::unique_ptr<ZnService> service)
    : options_(std::move(options)),
      authenticator_(std::move(authenticator)),
      service_(std::move(service)) {}

ZnServer::~ZnServer() { Stop(); }

absl::StatusOr<std::unique_ptr<ZnServer>> ZnServer::Create(ZnServerOptions options,
                                                           const SessionStore& sessions,
                                                           SubscriberStore* subscribers) {
  const int tls_parts = !options.tls_cert_file.empty() + !options.tls_key_file.empty() +
                        !options.client_ca_file.empty();
  if (tls_parts != 0 && tls_parts != 3) {
    return absl::InvalidArgumentError(
        "Zn TLS needs all of --zn-tls-cert, --zn-tls-key and --zn-client-ca (NAFs are "
        "authenticated by their client certificates)");
  }
  NafAuthenticator::Mode mode = NafAuthenticator::Mode::kMutualTls;
  std::vector<NafToken> tokens;
  if (tls_parts == 0) {
    if (!IsLoopbackHost(options.listen.host)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing a plain-text Zn listener on ", options.listen.ToString(),
          ": NAF keys would cross the network in clear. Listen on a loopback address, or "
          "give --zn-tls-cert, --zn-tls-key and --zn-client-ca"));
    }
    mode = NafAuthenticator::Mode::kToken;
    for (const NafToken& token : options.naf_tokens) tokens.push_back(token.Clone());
    if (tokens.empty()) {
      spdlog::warn("Zn: no NAF tokens configured: every GetNafKey will be UNAUTHENTICATED");
    }
  } else if (!options.naf_tokens.empty()) {
    spdlog::warn(
        "Zn: NAF tokens are ignored on the TLS listener (client certificates "
        "authenticate NAFs there)");
  }
  auto authenticator = std::make_unique<NafAuthenticator>(mode, std::move(tokens));
  auto service =
      std::make_unique<ZnService>(sessions, subscribers, *authenticator, options.naf_services);
  return std::unique_ptr<ZnServer>(
      new ZnServer(std::move(options), std::move(authenticator), std::move(service)));
}

absl::Status ZnServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("the Zn server is running");
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string key_pem;
  if (tls()) {
    absl::StatusOr<std::string> cert = ReadPemFile(options_.tls_cert_file, "TLS certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<SecretBytes> key = ReadSecretFile(options_.tls_key_file, "the Zn TLS key");
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> ca = ReadPemFile(options_.client_ca_file, "client CA");
    if (!ca.ok()) return ca.status();
    key_pem = SecretToString(*key);  // gRPC takes a std::string; wiped below
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = *ca;
    ssl.pem_key_cert_pairs.push_back({key_pem, *cert});
    credentials = grpc::SslServerCredentials(ssl);
    WipeString(ssl.pem_key_cert_pairs.front().private_key);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options_.listen.ToString(), credentials, &selected_port);
  builder.RegisterService(service_.get());
  for (grpc::Service* extra : options_.extra_services) builder.RegisterService(extra);
  builder.SetMaxReceiveMessageSize(64 * 1024);
  server_ = builder.BuildAndStart();
  WipeString(key_pem);
  if (server_ == nullptr || selected_port == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen for Zn on ", options_.listen.ToString(),
                     tls() ? " (address in use, or the TLS certificate/key/CA are not valid PEM?)"
                           : " (address in use, or not local?)"));
  }
  port_ = selected_port;
  spdlog::info("Zn listening on {} ({})", endpoint(),
               tls() ? "gRPC over TLS, NAFs by client certificate"
                     : "plain gRPC on loopback, NAFs by bearer token");
  return absl::OkStatus();
}

void ZnServer::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
  spdlog::info("Zn listener stopped");
}

}  // namespace gbabridge::bsf
