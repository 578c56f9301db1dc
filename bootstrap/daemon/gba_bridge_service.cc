#include "bootstrap/daemon/gba_bridge_service.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/naf_id.h"
#include "bootstrap/wire/wire_error.h"
#include "uicc/base/bytes.h"

namespace gbabridge::daemon {
namespace {

namespace v1 = ::gbabridge::v1;

// Caller-supplied text echoed in messages and audit lines is cut to this length.
constexpr size_t kMaxEcho = 255;

// How often a WatchEvents stream looks whether its client went away (the sync API has no
// cancellation callback); also bounds how long a cancelled stream holds its thread.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(200);

std::string Echo(std::string_view text) {
  return text.size() <= kMaxEcho ? std::string(text)
                                 : absl::StrCat(std::string(text.substr(0, kMaxEcho)), "...");
}

// The Ua id as sent, in hex, for messages and the audit (at most 16 bytes shown).
std::string UaHexForLog(std::string_view raw) {
  const std::string hex = HexEncode(AsBytes(raw.substr(0, 16)));
  return raw.size() > 16 ? hex + "..." : hex;
}

// Validates the NAF FQDN and the Ua id (before the policy, as the proto requires).
absl::StatusOr<NafId> ValidateNafId(const v1::GetNafKeyRequest& request) {
  if (absl::Status fqdn = ValidateFqdn(request.naf_fqdn()); !fqdn.ok()) {
    return wire::WireError(
        v1::INCORRECT_NAF_ID,
        absl::StrCat("naf_fqdn '", Echo(request.naf_fqdn()),
                     "' is not a valid NAF FQDN: ", std::string(fqdn.message())));
  }
  absl::StatusOr<UaSecurityProtocolId> ua =
      UaSecurityProtocolId::FromBytes(AsBytes(request.ua_security_protocol_id()));
  if (!ua.ok()) {
    return wire::WireError(
        v1::SECURITY_PROTOCOL_NOT_SUPPORTED,
        absl::StrCat("ua_security_protocol_id ", UaHexForLog(request.ua_security_protocol_id()),
                     ": ", std::string(ua.status().message())));
  }
  absl::StatusOr<NafId> naf = NafId::Create(request.naf_fqdn(), *ua);
  if (!naf.ok()) return wire::WireError(v1::INCORRECT_NAF_ID, naf.status().message());
  return naf;
}

}  // namespace

v1::GbaMode GbaModeToProto(GbaMode mode) {
  switch (mode) {
    case GbaMode::kGbaMe:
      return v1::GBA_MODE_ME;
    case GbaMode::kGbaU:
      return v1::GBA_MODE_U;
  }
  return v1::GBA_MODE_UNSPECIFIED;
}

absl::StatusOr<std::optional<GbaMode>> GbaModeFromProto(v1::GbaMode mode) {
  switch (mode) {
    case v1::GBA_MODE_UNSPECIFIED:
      return std::optional<GbaMode>();
    case v1::GBA_MODE_ME:
      return std::optional<GbaMode>(GbaMode::kGbaMe);
    case v1::GBA_MODE_U:
      return std::optional<GbaMode>(GbaMode::kGbaU);
    default:
      break;
  }
  return wire::WireError(v1::GBA_NOT_SUPPORTED,
                         absl::StrCat("gba_mode_preference ", static_cast<int>(mode),
                                      " is not a GBA mode this daemon knows; use GBA_MODE_ME, "
                                      "GBA_MODE_U or GBA_MODE_UNSPECIFIED"));
}

v1::PinState PinStateToProto(PinStatus pin) {
  switch (pin) {
    case PinStatus::kUnknown:
      return v1::PIN_STATE_UNSPECIFIED;
    case PinStatus::kDisabled:
      return v1::PIN_STATE_DISABLED;
    case PinStatus::kVerified:
      return v1::PIN_STATE_VERIFIED;
    case PinStatus::kRequired:
      return v1::PIN_STATE_REQUIRED;
    case PinStatus::kBlocked:
      return v1::PIN_STATE_BLOCKED;
  }
  return v1::PIN_STATE_UNSPECIFIED;
}

v1::EventType EventTypeToProto(DaemonEventType type) {
  switch (type) {
    case DaemonEventType::kCardInserted:
      return v1::EVENT_TYPE_CARD_INSERTED;
    case DaemonEventType::kCardRemoved:
      return v1::EVENT_TYPE_CARD_REMOVED;
    case DaemonEventType::kBootstrapped:
      return v1::EVENT_TYPE_BOOTSTRAPPED;
    case DaemonEventType::kSessionExpired:
      return v1::EVENT_TYPE_SESSION_EXPIRED;
    case DaemonEventType::kError:
      return v1::EVENT_TYPE_ERROR;
    case DaemonEventType::kEventsDropped:
      return v1::EVENT_TYPE_EVENTS_DROPPED;
  }
  return v1::EVENT_TYPE_UNSPECIFIED;
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  // google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (time == absl::InfinitePast()) time = absl::FromUnixSeconds(kMinSeconds);
  if (time == absl::InfiniteFuture()) time = absl::FromUnixSeconds(kMaxSeconds);
  const int64_t seconds = std::clamp(absl::ToUnixSeconds(time), kMinSeconds, kMaxSeconds);
  const int64_t nanos = std::clamp<int64_t>(
      (time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1), 0, 999'999'999);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

v1::Event EventToProto(const DaemonEvent& event) {
  v1::Event out;
  out.set_type(EventTypeToProto(event.type));
  SetTimestamp(event.time, out.mutable_time());
  out.set_reader(event.reader);
  if (event.type == DaemonEventType::kBootstrapped) {
    out.set_btid(event.btid);
    SetTimestamp(event.expiry, out.mutable_expiry());
    out.set_gba_mode(GbaModeToProto(event.mode));
  }
  if (event.type == DaemonEventType::kError) {
    // The same code and reason the failed RPC would have carried (bootstrap/wire/wire_error.h).
    const absl::Status& error =
        event.error.ok() ? absl::InternalError("an error event without a status") : event.error;
    out.set_error_code(wire::StatusCodeName(wire::ToWireStatus(error).code()));
    out.set_error_reason(std::string(wire::ErrorReasonName(error)));
    out.set_error_message(std::string(error.message()));
  }
  return out;
}

GbaBridgeService::GbaBridgeService(SessionManager& sessions, const Policy& policy,
                                   RateLimiter& rate_limiter, EventBus& events,
                                   PeerResolver peer_resolver, CardSnapshotSource card,
                                   GbaBridgeServiceOptions options)
    : sessions_(sessions),
      policy_(std::make_shared<const Policy>(policy)),
      rate_limiter_(rate_limiter),
      events_(events),
      peer_resolver_(std::move(peer_resolver)),
      card_(std::move(card)),
      options_(std::move(options)),
      audit_(AuditLogger()),
      started_at_(absl::Now()),
      started_monotonic_(std::chrono::steady_clock::now()) {}

absl::Status GbaBridgeService::CheckSessionRequest(const ClientPolicy& client, bool force,
                                                   std::optional<GbaMode> mode) {
  if (force && !client.may_force_bootstrap) {
    return wire::WireError(
        v1::OPERATION_NOT_ALLOWED,
        absl::StrCat("client entry '", client.name,
                     "' may not force a bootstrap (may_force_bootstrap = false): it would "
                     "replace the session of every client"));
  }
  if (mode == GbaMode::kGbaMe && !client.may_request_gba_me) {
    return wire::WireError(
        v1::OPERATION_NOT_ALLOWED,
        absl::StrCat("client entry '", client.name,
                     "' may not ask for GBA_ME (may_request_gba_me = false): on a GBA_U card it "
                     "would move Ks out of the UICC; leave gba_mode_preference unset"));
  }
  return absl::OkStatus();
}

std::shared_ptr<const Policy> GbaBridgeService::CurrentPolicy() const {
  std::lock_guard<std::mutex> lock(policy_mu_);
  return policy_;
}

void GbaBridgeService::ReplacePolicy(Policy policy) {
  auto replacement = std::make_shared<const Policy>(std::move(policy));
  {
    std::lock_guard<std::mutex> lock(policy_mu_);
    policy_.swap(replacement);
  }
  // Buckets of removed or changed entries must not linger (rate_limiter.h).
  rate_limiter_.Reset();
}

absl::StatusOr<const ClientPolicy*> GbaBridgeService::FindCaller(
    const Policy& policy, const absl::StatusOr<PeerIdentity>& peer) const {
  if (!peer.ok()) {
    // An unidentifiable transport is denied like an unknown caller (default deny).
    return wire::WireError(v1::CALLER_NOT_ALLOWED,
                           absl::StrCat("the caller could not be identified from its connection: ",
                                        std::string(peer.status().message())));
  }
  return policy.FindClient(*peer);
}

absl::StatusOr<PeerIdentity> GbaBridgeService::ResolvePeer(
    const grpc::ServerContext& context) const {
  if (!peer_resolver_) return absl::InternalError("no peer resolver");
  return peer_resolver_(context);
}

grpc::Status GbaBridgeService::GetNafKey(grpc::ServerContext* context,
                                         const v1::GetNafKeyRequest* request,
                                         v1::GetNafKeyResponse* response) {
  const absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context);
  std::string client_name;
  auto fail = [&](const absl::Status& status) {
    audit_.Refused("GetNafKey",
                   peer.ok() ? std::optional<PeerIdentity>(*peer) : std::optional<PeerIdentity>(),
                   client_name, Echo(request->naf_fqdn()),
                   UaHexForLog(request->ua_security_protocol_id()), status);
    return Refuse(status, context);
  };

  // 1. The request itself, before the policy (INVALID_ARGUMENT).
  absl::StatusOr<NafId> naf = ValidateNafId(*request);
  if (!naf.ok()) return fail(naf.status());
  absl::StatusOr<std::optional<GbaMode>> mode = GbaModeFromProto(request->gba_mode_preference());
  if (!mode.ok()) return fail(mode.status());

  // 2. Who is calling and what its entry allows (PERMISSION_DENIED), before any card or
  // network access (oneM2M SER-008/022).
  // One policy for the whole call, even if SIGHUP replaces it meanwhile.
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  absl::StatusOr<const ClientPolicy*> entry = FindCaller(*policy, peer);
  if (!entry.ok()) return fail(entry.status());
  client_name = (*entry)->name;  // so that a NAF or Ua refusal is audited with its entry
  absl::StatusOr<const ClientPolicy*> client = policy->Authorize(*peer, *naf);
  if (!client.ok()) return fail(client.status());
  if (absl::Status allowed = CheckSessionRequest(**client, request->force_bootstrap(), *mode);
      !allowed.ok()) {
    return fail(allowed);
  }

  // 3. Its rate limit (RESOURCE_EXHAUSTED), before any card access (oneM2M SER-001).
  if ((*client)->rate_limit.has_value()) {
    absl::Status allowed = rate_limiter_.Acquire(client_name, *(*client)->rate_limit);
    if (!allowed.ok()) return fail(allowed);
  }

  // 4. The key: from the cache, or derived, bootstrapping first if needed.
  absl::StatusOr<NafKey> key =
      sessions_.GetNafKey(*naf, request->force_bootstrap(), *mode, (*client)->may_force_bootstrap);
  if (!key.ok()) return fail(key.status());

  response->set_btid(key->btid);
  SetTimestamp(key->expiry, response->mutable_key_expiry());
  response->set_gba_mode(GbaModeToProto(key->mode));
  const Bytes naf_id = key->naf.Encode();
  response->set_naf_id(naf_id.data(), naf_id.size());
  // oneM2M SER-011/015: the IMPI only for entries that say may_read_impi = true. The entry
  // that authorised this call is the one MayReadImpi() would find (first match).
  if ((*client)->may_read_impi) response->set_impi(key->impi);
  audit_.KeyIssued(*peer, client_name, *key);
  keys_issued_.fetch_add(1, std::memory_order_relaxed);
  if (key->cache_hit) cache_hits_.fetch_add(1, std::memory_order_relaxed);
  // The key leaves SecretBytes only here, at the last moment. Known limitation: protobuf
  // strings are ordinary heap memory, neither locked nor wiped when the response is freed;
  // gRPC also copies the serialised message into its own buffers.
  response->set_key(reinterpret_cast<const char*>(key->key.data()), key->key.size());
  key->key.Clear();
  return grpc::Status::OK;
}

grpc::Status GbaBridgeService::Bootstrap(grpc::ServerContext* context,
                                         const v1::BootstrapRequest* request,
                                         v1::BootstrapResponse* response) {
  const absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context);
  std::string client_name;
  auto fail = [&](const absl::Status& status) {
    audit_.Refused("Bootstrap",
                   peer.ok() ? std::optional<PeerIdentity>(*peer) : std::optional<PeerIdentity>(),
                   client_name, "", "", status);
    return Refuse(status, context);
  };

  absl::StatusOr<std::optional<GbaMode>> mode = GbaModeFromProto(request->gba_mode_preference());
  if (!mode.ok()) return fail(mode.status());
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  absl::StatusOr<const ClientPolicy*> client = FindCaller(*policy, peer);
  if (!client.ok()) return fail(client.status());
  client_name = (*client)->name;
  if (absl::Status allowed = CheckSessionRequest(**client, request->force(), *mode);
      !allowed.ok()) {
    return fail(allowed);
  }
  // A bootstrap costs an AUTHENTICATE and an SQN: the same bucket as GetNafKey.
  if ((*client)->rate_limit.has_value()) {
    absl::Status allowed = rate_limiter_.Acquire(client_name, *(*client)->rate_limit);
    if (!allowed.ok()) return fail(allowed);
  }

  absl::StatusOr<SessionSummary> session =
      sessions_.Bootstrap(request->force(), *mode, (*client)->may_force_bootstrap);
  if (!session.ok()) return fail(session.status());
  response->set_btid(session->btid);
  SetTimestamp(session->expiry, response->mutable_expiry());
  response->set_gba_mode(GbaModeToProto(session->mode));
  audit_.Bootstrapped(*peer, client_name, *session);
  return grpc::Status::OK;
}

void GbaBridgeService::FillStatus(v1::GetStatusResponse* status) {
  status->set_daemon_version(options_.daemon_version);
  // From the CardWatcher's snapshot: GetStatus never touches the card.
  const CardSnapshot card = card_ ? card_() : CardSnapshot();
  status->set_reader(card.reader);
  status->set_card_present(card.card_present);
  status->set_imsi_masked(card.card_present ? card.imsi_masked : "");
  // Unset when not known (no card, or the card did not answer): never a "no" by default.
  if (card.card_present && card.gba_u_capable.has_value()) {
    status->set_gba_u_capable(*card.gba_u_capable);
  }
  status->set_pin_state(PinStateToProto(card.pin));
  status->set_bsf_url(card.bsf_url);
  if (!card.last_error.ok()) {
    const absl::string_view reason = wire::ErrorReasonName(card.last_error);
    status->set_card_error_reason(std::string(reason));
    status->set_card_error_message(std::string(card.last_error.message()));
  }

  const SessionManagerStatus sessions = sessions_.Status();
  if (sessions.session.has_value()) {
    // A forced re-bootstrap may be running meanwhile; the session still serves keys.
    status->set_session_state(v1::SESSION_STATE_VALID);
    SetTimestamp(sessions.session->expiry, status->mutable_session_expiry());
    status->set_gba_mode(GbaModeToProto(sessions.session->mode));
  } else if (sessions.bootstrap_in_flight) {
    status->set_session_state(v1::SESSION_STATE_BOOTSTRAPPING);
  } else if (sessions.expired_session.has_value()) {
    status->set_session_state(v1::SESSION_STATE_EXPIRED);
    SetTimestamp(sessions.expired_session->expiry, status->mutable_session_expiry());
  } else {
    status->set_session_state(v1::SESSION_STATE_NONE);
  }
}

grpc::Status GbaBridgeService::GetStatus(grpc::ServerContext* context,
                                         const v1::GetStatusRequest* /*request*/,
                                         v1::GetStatusResponse* response) {
  const absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context);
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  absl::StatusOr<const ClientPolicy*> client = FindCaller(*policy, peer);
  if (!client.ok()) {
    audit_.Refused("GetStatus",
                   peer.ok() ? std::optional<PeerIdentity>(*peer) : std::optional<PeerIdentity>(),
                   "", "", "", client.status());
    return Refuse(client.status(), context);
  }
  FillStatus(response);
  return grpc::Status::OK;
}

grpc::Status GbaBridgeService::Refuse(const absl::Status& status, grpc::ServerContext* context) {
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++errors_by_reason_[std::string(wire::ErrorReasonName(status))];
  }
  return wire::ToGrpcStatus(status, context);
}

grpc::Status GbaBridgeService::GetStats(grpc::ServerContext* context,
                                        const v1::GetStatsRequest* /*request*/,
                                        v1::GetStatsResponse* response) {
  const absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context);
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  absl::StatusOr<const ClientPolicy*> client = FindCaller(*policy, peer);
  if (!client.ok()) {
    audit_.Refused("GetStats",
                   peer.ok() ? std::optional<PeerIdentity>(*peer) : std::optional<PeerIdentity>(),
                   "", "", "", client.status());
    return Refuse(client.status(), context);
  }
  SetTimestamp(started_at_, response->mutable_started_at());
  response->set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::steady_clock::now() - started_monotonic_)
                                   .count());
  const SessionManagerStatus sessions = sessions_.Status();
  response->set_bootstrap_attempts(sessions.bootstrap_attempts);
  response->set_bootstraps(sessions.bootstraps);
  response->set_keys_issued(keys_issued_.load(std::memory_order_relaxed));
  response->set_cache_hits(cache_hits_.load(std::memory_order_relaxed));
  std::lock_guard<std::mutex> lock(stats_mu_);
  for (const auto& [reason, count] : errors_by_reason_) {
    (*response->mutable_errors_by_reason())[reason] = count;
  }
  return grpc::Status::OK;
}

grpc::Status GbaBridgeService::WatchEvents(grpc::ServerContext* context,
                                           const v1::WatchEventsRequest* /*request*/,
                                           grpc::ServerWriter<v1::Event>* writer) {
  const absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context);
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  absl::StatusOr<const ClientPolicy*> client = FindCaller(*policy, peer);
  if (!client.ok()) {
    audit_.Refused("WatchEvents",
                   peer.ok() ? std::optional<PeerIdentity>(*peer) : std::optional<PeerIdentity>(),
                   "", "", "", client.status());
    return Refuse(client.status(), context);
  }

  // Opening a stream takes a token like any request, and the streams a client holds open
  // are capped: each one occupies a server thread until it ends.
  const std::string client_name = (*client)->name;
  if ((*client)->rate_limit.has_value()) {
    absl::Status allowed = rate_limiter_.Acquire(client_name, *(*client)->rate_limit);
    if (!allowed.ok()) {
      audit_.Refused("WatchEvents", *peer, client_name, "", "", allowed);
      return Refuse(allowed, context);
    }
  }
  {
    std::lock_guard lock(watch_mu_);
    int& open = watch_streams_[client_name];
    if (open >= options_.max_watch_streams_per_client) {
      const absl::Status too_many = wire::WireError(
          v1::RATE_LIMITED, absl::StrCat("client '", client_name, "' already has ", open,
                                         " WatchEvents streams open (the limit); close one first"));
      audit_.Refused("WatchEvents", *peer, client_name, "", "", too_many);
      return Refuse(too_many, context);
    }
    ++open;
  }
  struct StreamCount {
    GbaBridgeService* service;
    std::string name;
    ~StreamCount() {
      std::lock_guard lock(service->watch_mu_);
      if (--service->watch_streams_[name] == 0) service->watch_streams_.erase(name);
    }
  } stream_count{this, client_name};

  // Subscribe before taking the snapshot, so that nothing that happens in between is lost
  // (at worst an event repeats what the snapshot already shows).
  std::shared_ptr<EventBus::Subscription> subscription = events_.Subscribe();
  v1::Event snapshot;
  snapshot.set_type(v1::EVENT_TYPE_SNAPSHOT);
  SetTimestamp(absl::Now(), snapshot.mutable_time());
  FillStatus(snapshot.mutable_status());
  snapshot.set_reader(snapshot.status().reader());
  if (!writer->Write(snapshot)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");

  while (true) {
    if (context->IsCancelled()) {
      subscription->Cancel();
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the stream");
    }
    std::optional<DaemonEvent> event = subscription->Next(kWatchPoll);
    if (!event.has_value()) {
      // The bus closed: the daemon is shutting down; the stream ends normally.
      if (subscription->closed()) return grpc::Status::OK;
      continue;
    }
    if (!writer->Write(EventToProto(*event))) {
      subscription->Cancel();
      return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
    }
  }
}

}  // namespace gbabridge::daemon
