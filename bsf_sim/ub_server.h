// UbServer: the BSF's HTTP(S) listener for Ub (TS 24.109 §4), on cpp-httplib. It accepts
// GET and POST on "/" (TS 24.109 §4.2 uses GET /; POST is accepted because the digest
// covers the body with qop=auth-int), GET /healthz (200 "ok": liveness, no HSS or session
// access) and answers 404 for any other path. The protocol itself lives in UbAuthenticator.
//
// TLS (optional): tls_cert_file + tls_key_file (PEM); TLS 1.2 or newer.
#ifndef GBABRIDGE_BSF_SIM_UB_SERVER_H_
#define GBABRIDGE_BSF_SIM_UB_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "bsf_sim/listen_address.h"
#include "bsf_sim/ub_authenticator.h"

namespace httplib {
class Server;
}

namespace gbabridge::bsf {

struct UbServerOptions {
  ListenAddress listen{"127.0.0.1", 0};
  std::string tls_cert_file;
  std::string tls_key_file;
  size_t max_body_bytes = 64 * 1024;
  size_t threads = 64;  // worker threads (BsfConfig::ub_threads)
};

class UbServer {
 public:
  // Loads the TLS material (if any); does not bind yet.
  static absl::StatusOr<std::unique_ptr<UbServer>> Create(UbServerOptions options,
                                                          UbAuthenticator& authenticator);
  ~UbServer();
  UbServer(const UbServer&) = delete;
  UbServer& operator=(const UbServer&) = delete;

  // Binds and starts serving on a thread; returns once the listener accepts connections.
  absl::Status Start();
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();

  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert_file.empty(); }
  // HOST:PORT with the bound port.
  std::string endpoint() const { return options_.listen.WithPort(port_); }

 private:
  UbServer(UbServerOptions options, UbAuthenticator& authenticator,
           std::unique_ptr<httplib::Server> server);

  UbServerOptions options_;
  UbAuthenticator& authenticator_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_UB_SERVER_H_
