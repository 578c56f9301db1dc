// GbaBridgeService: the gbabridge.v1.GbaBridge gRPC service (proto/gbabridge/v1/
// gbabridge.proto). Flow 3 of docs/architecture.md: validate the request, identify the
// caller from the transport, apply its policy and rate limit, then ask the SessionManager
// (cache hit: no APDU, no HMAC), audit, answer. Errors leave through ToGrpcStatus
// (bootstrap/wire/wire_error.h): a canonical code plus the `gbabridge-error-reason` trailer.
//
// Order of checks in GetNafKey (the proto's contract): request validation (INVALID_ARGUMENT),
// then the caller and its policy (PERMISSION_DENIED), then its rate limit
// (RESOURCE_EXHAUSTED), and only then the card and the network. Every RPC needs a caller
// with a policy entry. Keys and refusals are audited (audit_log.h).
//
// WatchEvents streams run until the client cancels or EventBus::Close(): close the bus
// before grpc::Server::Shutdown(), which otherwise waits for them (or give it a deadline).
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_GBA_BRIDGE_SERVICE_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_GBA_BRIDGE_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/daemon/audit_log.h"
#include "bootstrap/daemon/card_snapshot.h"
#include "bootstrap/daemon/event_bus.h"
#include "bootstrap/daemon/policy.h"
#include "bootstrap/daemon/rate_limiter.h"
#include "bootstrap/daemon/session_manager.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"

namespace gbabridge::daemon {

// Identifies the caller of one RPC from its transport (Unix socket peer credentials, or the
// verified mTLS client certificate). An error (transport unknown) denies the call.
using PeerResolver = std::function<absl::StatusOr<PeerIdentity>(const grpc::ServerContext&)>;
// The current card state (CardWatcher::Snapshot). Must not touch the card.
using CardSnapshotSource = std::function<CardSnapshot()>;

// Audit lines go to the spdlog logger "audit" as registered when the service is constructed
// (audit_log.h): the daemon registers it with its sink first.
struct GbaBridgeServiceOptions {
  std::string daemon_version;
  // WatchEvents streams open at once per client entry. Each stream holds a server thread,
  // so one application must not be able to pile them up (oneM2M SER-001).
  int max_watch_streams_per_client = 4;
};

// Conversions between the daemon's types and gbabridge.v1, kept here in one place.
gbabridge::v1::GbaMode GbaModeToProto(GbaMode mode);
// A request's preference: nullopt for GBA_MODE_UNSPECIFIED (the daemon picks); an unknown
// value (proto3 enums are open) is FAILED_PRECONDITION / GBA_NOT_SUPPORTED.
absl::StatusOr<std::optional<GbaMode>> GbaModeFromProto(gbabridge::v1::GbaMode mode);
gbabridge::v1::PinState PinStateToProto(PinStatus pin);
gbabridge::v1::EventType EventTypeToProto(DaemonEventType type);
// UTC time -> Timestamp; the infinite past/future clamp to the Timestamp range.
void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);
// A bus event as sent on a WatchEvents stream (errors: code name, reason name, message).
gbabridge::v1::Event EventToProto(const DaemonEvent& event);

class GbaBridgeService final : public gbabridge::v1::GbaBridge::Service {
 public:
  // Every reference must outlive the service.
  GbaBridgeService(SessionManager& sessions, const Policy& policy, RateLimiter& rate_limiter,
                   EventBus& events, PeerResolver peer_resolver, CardSnapshotSource card,
                   GbaBridgeServiceOptions options);

  grpc::Status GetNafKey(grpc::ServerContext* context,
                         const gbabridge::v1::GetNafKeyRequest* request,
                         gbabridge::v1::GetNafKeyResponse* response) override;
  grpc::Status Bootstrap(grpc::ServerContext* context,
                         const gbabridge::v1::BootstrapRequest* request,
                         gbabridge::v1::BootstrapResponse* response) override;
  grpc::Status GetStatus(grpc::ServerContext* context,
                         const gbabridge::v1::GetStatusRequest* request,
                         gbabridge::v1::GetStatusResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const gbabridge::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<gbabridge::v1::Event>* writer) override;
  grpc::Status GetStats(grpc::ServerContext* context, const gbabridge::v1::GetStatsRequest* request,
                        gbabridge::v1::GetStatsResponse* response) override;

  // The policy of calls from now on (SIGHUP reload); calls in progress finish under the one
  // they started with. Rate-limit buckets start afresh. Thread-safe.
  void ReplacePolicy(Policy policy);
  std::shared_ptr<const Policy> CurrentPolicy() const;

 private:
  // The caller and its policy entry, for the RPCs that name no NAF.
  // The caller's identity from its transport; an error when there is no resolver.
  absl::StatusOr<PeerIdentity> ResolvePeer(const grpc::ServerContext& context) const;
  absl::StatusOr<const ClientPolicy*> FindCaller(const Policy& policy,
                                                 const absl::StatusOr<PeerIdentity>& peer) const;
  // What a request asks of the session every client shares: force_bootstrap needs
  // may_force_bootstrap, GBA_MODE_ME needs may_request_gba_me (OPERATION_NOT_ALLOWED).
  static absl::Status CheckSessionRequest(const ClientPolicy& client, bool force,
                                          std::optional<GbaMode> mode);
  void FillStatus(gbabridge::v1::GetStatusResponse* status);
  // Every refusal and failure leaves through here: counted by reason for GetStats.
  grpc::Status Refuse(const absl::Status& status, grpc::ServerContext* context);

  SessionManager& sessions_;
  mutable std::mutex policy_mu_;
  std::shared_ptr<const Policy> policy_;  // replaced whole, never changed in place
  RateLimiter& rate_limiter_;
  EventBus& events_;
  PeerResolver peer_resolver_;
  CardSnapshotSource card_;
  GbaBridgeServiceOptions options_;
  AuditLog audit_;
  // GetStats counters.
  const absl::Time started_at_;
  const std::chrono::steady_clock::time_point started_monotonic_;
  std::atomic<uint64_t> keys_issued_{0};
  std::atomic<uint64_t> cache_hits_{0};
  std::mutex stats_mu_;
  std::map<std::string, uint64_t> errors_by_reason_;
  std::mutex watch_mu_;
  std::map<std::string, int> watch_streams_;  // open WatchEvents streams by client name
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_GBA_BRIDGE_SERVICE_H_
