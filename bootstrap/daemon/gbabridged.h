// Gbabridged: the gbabridged process, wired (so that main stays thin and tests can embed it).
//
//   CardSlot (PC/SC card, PIN) -> SessionManager (sessions, NAF-key cache) <- CardWatcher
//   (reader/card events, snapshot, expiry tick) ; EventBus ; RateLimiter ; GbaBridgeService
//   on a grpc::Server (plus grpc.health.v1 and reflection), reached through the Unix socket
//   listener (peer credentials) and, optionally, TCP with mutual TLS.
//
// Start(): makes the process non-dumpable (prctl(PR_SET_DUMPABLE, 0): no core dumps, no
// ptrace by other processes of the same user) and checks that key memory can be locked
// (RLIMIT_MEMLOCK; uicc/base/secure_memory.h), then starts the server, the listeners and the
// watcher. The daemon starts without pcscd, a reader or a card: those are reported through
// the status snapshot and events (PCSCD_NOT_RUNNING, NO_READER, NO_CARD) and retried.
//
// Reload(): the SIGHUP path (daemon_reload.h): a new client policy and log level at once.
//
// Shutdown(): stops accepting, closes the event bus (WatchEvents streams end), stops the
// watcher, shuts the gRPC server down (2 s for calls in progress), wipes the session and
// every cached key (InvalidateSession("shutdown")) and removes the socket file. Idempotent.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bootstrap/daemon/card_slot.h"
#include "bootstrap/daemon/card_snapshot.h"
#include "bootstrap/daemon/card_watcher.h"
#include "bootstrap/daemon/daemon_config.h"
#include "bootstrap/daemon/daemon_reload.h"
#include "bootstrap/daemon/event_bus.h"
#include "bootstrap/daemon/gba_bridge_service.h"
#include "bootstrap/daemon/rate_limiter.h"
#include "bootstrap/daemon/session_manager.h"
#include "bootstrap/daemon/unix_socket_listener.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/base/version.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace gbabridge::daemon {

inline constexpr const char* kGbabridgedVersion = kGbabridgeVersion;

// Replacements for the PC/SC parts, for tests that embed the daemon.
struct GbabridgedHooks {
  // Opens the card (CardSlotOptions::open_channel); null: PC/SC.
  std::function<absl::StatusOr<std::unique_ptr<CardTransport>>()> open_channel;
  // Reader states for the CardWatcher; null: PC/SC.
  std::unique_ptr<CardPresenceSource> reader_states;
  // False leaves the process dumpable (e.g. a test process that wants core dumps).
  bool harden_process = true;
  // Registered beside GbaBridge on the same server and listeners (not owned; must outlive
  // the daemon), e.g. the benchmarks' echo service, which measures this server setup's
  // own limit.
  std::vector<grpc::Service*> extra_services;
};

class Gbabridged {
 public:
  // Reads what the configuration points to (PIN file, TLS files, socket group) and builds the
  // parts; nothing listens yet. INVALID_ARGUMENT for configuration problems.
  static absl::StatusOr<std::unique_ptr<Gbabridged>> Create(DaemonConfig config,
                                                            GbabridgedHooks hooks = {});
  ~Gbabridged();  // Shutdown()
  Gbabridged(const Gbabridged&) = delete;
  Gbabridged& operator=(const Gbabridged&) = delete;

  absl::Status Start();
  void Shutdown();
  // SIGHUP: takes the policy and log level of `next` (already validated) and reports the
  // other settings that differ, which wait for a restart (daemon_reload.h). Logs both.
  ReloadPlan Reload(const DaemonConfig& next);

  const std::string& unix_socket_path() const { return config_.unix_socket; }
  // For the start-up line and sd_notify's STATUS=: which card and which BSF.
  std::string CardDescription() const;
  std::string BsfDescription() const;
  size_t policy_entries() const { return config_.policy.clients().size(); }
  // "HOST:PORT" of the TCP listener with the port actually bound; "" without TCP.
  const std::string& tcp_endpoint() const { return tcp_endpoint_; }
  CardSnapshot Snapshot() const { return watcher_->Snapshot(); }
  EventBus& events() { return *events_; }
  SessionManager& sessions() { return *sessions_; }

 private:
  Gbabridged(DaemonConfig config, GbabridgedHooks hooks);
  void HardenProcess();
  absl::Status StartServer();

  DaemonConfig config_;
  GbabridgedHooks hooks_;
  std::string tls_cert_pem_;
  SecretBytes tls_key_pem_;  // the TLS private key stays in locked memory until Start()
  std::string tls_client_ca_pem_;
  std::optional<gid_t> socket_group_;

  std::unique_ptr<EventBus> events_;
  std::unique_ptr<CardSlot> slot_;
  std::unique_ptr<SessionManager> sessions_;
  std::unique_ptr<CardWatcher> watcher_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::unique_ptr<GbaBridgeService> service_;
  std::unique_ptr<UnixSocketListener> unix_listener_;
  std::unique_ptr<grpc::Server> server_;
  std::string tcp_endpoint_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_GBABRIDGED_H_
