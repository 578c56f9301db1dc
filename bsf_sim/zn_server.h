// ZnServer: the gRPC listener for Zn (ZnService), with its NAF authentication mode:
//  - TLS with client certificates (tls_cert_file, tls_key_file, client_ca_file all set):
//    the client certificate is required and verified against client_ca_file, and names
//    the NAF (NafAuthenticator kMutualTls). Any address.
//  - Plain text: only on a loopback address (127.0.0.0/8, ::1, localhost), NAFs
//    authenticated by bearer tokens. A plain listener on another address is refused:
//    keys would cross the network in clear.
#ifndef GBABRIDGE_BSF_SIM_ZN_SERVER_H_
#define GBABRIDGE_BSF_SIM_ZN_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf_sim/listen_address.h"
#include "bsf_sim/naf_services.h"
#include "bsf_sim/naf_token.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/subscriber_store.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace gbabridge::bsf {

class NafAuthenticator;
class ZnService;

struct ZnServerOptions {
  ListenAddress listen{"127.0.0.1", 0};
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;
  std::vector<NafToken> naf_tokens;  // plain loopback listener only
  NafServices naf_services;          // the GAA services each NAF may name
  // Registered beside Zn on the same server (not owned), e.g. the benchmarks' echo service,
  // which measures this server setup's own limit.
  std::vector<grpc::Service*> extra_services;
};

class ZnServer {
 public:
  // Validates the options (TLS files readable, plain only on loopback); does not bind.
  static absl::StatusOr<std::unique_ptr<ZnServer>> Create(ZnServerOptions options,
                                                          const SessionStore& sessions,
                                                          SubscriberStore* subscribers);
  ~ZnServer();
  ZnServer(const ZnServer&) = delete;
  ZnServer& operator=(const ZnServer&) = delete;

  absl::Status Start();
  void Stop();

  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert_file.empty(); }
  std::string endpoint() const { return options_.listen.WithPort(port_); }

 private:
  ZnServer(ZnServerOptions options, std::unique_ptr<NafAuthenticator> authenticator,
           std::unique_ptr<ZnService> service);

  ZnServerOptions options_;
  std::unique_ptr<NafAuthenticator> authenticator_;
  std::unique_ptr<ZnService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_ZN_SERVER_H_
