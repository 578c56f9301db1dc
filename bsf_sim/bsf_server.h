// BsfServer: bsf-sim assembled from a BsfConfig: the subscriber store (HSS), the AV
// generator, the session store, the Ub server, the Zn server, and a sweeper thread that
// drops expired sessions (wiping Ks; TS 33.220 §4.4.1: the BSF deletes a session when its
// lifetime ends) and unanswered challenges.
#ifndef GBABRIDGE_BSF_SIM_BSF_SERVER_H_
#define GBABRIDGE_BSF_SIM_BSF_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf_sim/av_generator.h"
#include "bsf_sim/bsf_config.h"
#include "bsf_sim/diameter_zn_server.h"
#include "bsf_sim/in_memory_session_store.h"
#include "bsf_sim/subscriber_store.h"
#include "bsf_sim/ub_authenticator.h"
#include "bsf_sim/ub_server.h"
#include "bsf_sim/zn_server.h"

namespace gbabridge::bsf {

// Additions for programs that embed bsf-sim (the benchmarks).
struct BsfServerHooks {
  // Registered on the Zn server beside bsf.v1.Zn (not owned; must outlive the server).
  std::vector<grpc::Service*> extra_zn_services;
};

// The Diameter Zn settings `config` asks for (nullopt: Diameter off), checked: ports given,
// one listen host for the plain and the TLS port (freeDiameter has one ListenOn), NAFs named.
absl::StatusOr<std::optional<DiameterZnOptions>> DiameterOptionsFor(const BsfConfig& config);

class BsfServer {
 public:
  // Validates the configuration, opens the database and loads TLS material; binds nothing.
  static absl::StatusOr<std::unique_ptr<BsfServer>> Create(const BsfConfig& config,
                                                           BsfServerHooks hooks = {});
  ~BsfServer();
  BsfServer(const BsfServer&) = delete;
  BsfServer& operator=(const BsfServer&) = delete;

  // Returns once both listeners accept connections (or neither runs).
  absl::Status Start();
  // Stops the listeners and the sweeper. Idempotent.
  void Stop();

  int ub_port() const { return ub_server_->port(); }
  int zn_port() const { return zn_server_->port(); }
  std::string ub_endpoint() const { return ub_server_->endpoint(); }
  std::string zn_endpoint() const { return zn_server_->endpoint(); }
  // "HOST:PORT" of the plain Diameter Zn listener, "tls:PORT", both, or "" when off.
  std::string diameter_endpoint() const;

  SessionStore& sessions() { return *sessions_; }
  SubscriberStore& subscribers() { return *subscribers_; }

 private:
  BsfServer() = default;
  void SweepLoop();

  absl::Duration sweep_interval_;
  std::unique_ptr<SubscriberStore> subscribers_;
  std::unique_ptr<AvGenerator> generator_;
  std::unique_ptr<InMemorySessionStore> sessions_;
  std::unique_ptr<UbAuthenticator> authenticator_;
  std::unique_ptr<UbServer> ub_server_;
  std::unique_ptr<ZnServer> zn_server_;
  std::optional<DiameterZnOptions> diameter_options_;
  std::unique_ptr<DiameterZnServer> diameter_server_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_BSF_SERVER_H_
