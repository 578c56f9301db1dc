#include "bootstrap/daemon/session_manager.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bootstrap/client/naf_key_derivation.h"
#include "bootstrap/wire/wire_error.h"
#include "uicc/card_error.h"

namespace gbabridge::daemon {
namespace {

// How many times one request may find the session gone under it (invalidated, expired,
// replaced by a forced bootstrap, or bootstrapped in the other mode by a concurrent caller)
// before it gives up rather than loop.
constexpr int kMaxRounds = 4;

class SystemClock : public Clock {
 public:
  absl::Duration MonotonicNow() override {
    return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
  absl::Time UtcNow() override { return absl::Now(); }
};

}  // namespace

Clock& Clock::System() {
  static SystemClock* const clock = new SystemClock();
  return *clock;
}

SessionManager::SessionManager(Usim& usim, SessionManagerOptions options)
    : SessionManager([&usim]() -> absl::StatusOr<Usim*> { return &usim; }, std::move(options)) {}

SessionManager::SessionManager(UsimProvider usim, SessionManagerOptions options)
    : usim_(std::move(usim)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::System()) {}

SessionManager::~SessionManager() {
  std::lock_guard<std::mutex> lock(mu_);
  WipeLocked();
}

absl::StatusOr<NafKey> SessionManager::GetNafKey(const NafId& naf, bool force_bootstrap,
                                                 std::optional<GbaMode> mode,
                                                 bool may_replace_session) {
  const Bytes encoded = naf.Encode();
  std::string cache_key(encoded.begin(), encoded.end());
  // A hit costs no APDU and no HMAC (flow 3 step 2).
  auto cached = [this, &cache_key]() -> std::optional<NafKey> {
    auto it = naf_keys_.find(cache_key);
    if (it == naf_keys_.end()) return std::nullopt;
    NafKey key = it->second.Clone();
    key.cache_hit = true;
    return key;
  };

  EventFlush flush(*this);
  std::unique_lock<std::mutex> lock(mu_);
  bool need_bootstrap = force_bootstrap;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (need_bootstrap || !HasUsableSessionLocked(mode)) {
      if (absl::Status allowed = CheckReplaceLocked(mode, may_replace_session); !allowed.ok()) {
        return allowed;
      }
      absl::Status bootstrapped = BootstrapOnceLocked(lock, mode);
      if (!bootstrapped.ok()) return bootstrapped;
      need_bootstrap = false;
      continue;  // re-check: the session may already be gone again
    }

    if (std::optional<NafKey> hit = cached()) return *std::move(hit);

    const BootstrapSession& s = session_->session;
    if (s.mode == GbaMode::kGbaMe) {
      // TS 33.220 §4.5.2, Annex B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), in the
      // ME; no card access. Derived under mu_ so that Ks is never copied out of the session.
      absl::StatusOr<SecretBytes> key = DeriveSessionNafKey(s, naf, /*usim=*/nullptr);
      if (!key.ok()) return key.status();
      return CacheLocked(std::move(cache_key),
                         NafKey{std::move(*key), s.btid, s.expiry, s.mode, s.impi, naf, false});
    }

    // GBA_U (TS 33.220 §5.3.2): Ks_ext_NAF comes from the card, which holds the Ks of the
    // last bootstrapping-mode AUTHENTICATE. Take the card first (lock order), then make sure
    // the session is still the one whose Ks the card holds: a bootstrap replaces the card's
    // Ks and stores its session before it releases the card.
    const uint64_t generation = session_->generation;
    lock.unlock();
    std::unique_lock<std::mutex> card(card_mu_);
    lock.lock();
    if (!HasLiveSessionLocked() || session_->generation != generation) continue;
    if (std::optional<NafKey> hit = cached()) return *std::move(hit);
    NafKey result{SecretBytes(), s.btid, s.expiry, s.mode, s.impi, naf, false};
    // What the card derivation needs of the session, copied: the session may change while
    // the state lock is released.
    BootstrapSession on_card;
    on_card.btid = s.btid;
    on_card.rand = s.rand;
    on_card.impi = s.impi;
    on_card.mode = GbaMode::kGbaU;
    lock.unlock();  // no state lock during card I/O: cache hits stay fast

    absl::Status derived = [&]() -> absl::Status {
      absl::StatusOr<Usim*> usim = usim_();
      if (!usim.ok()) return usim.status();
      // Only from the Ks of this session's bootstrap: the card's EF_GBABP must still name
      // it (another PC/SC client may have bootstrapped the card since, or cut a bootstrap
      // short after the card replaced Ks).
      absl::StatusOr<SecretBytes> key = DeriveSessionNafKey(on_card, naf, *usim);
      if (!key.ok()) return key.status();
      result.key = std::move(*key);
      return absl::OkStatus();
    }();
    lock.lock();
    if (GetCardErrorReason(derived) == CardErrorReason::kGbaBootstrapChanged) {
      // The card's Ks is no longer this session's: every key derived from the card from now
      // on would be one the BSF does not hold for this B-TID. Drop the session (keys cached
      // before were derived from the right Ks, but go with it) and bootstrap again.
      // Not counted as an invalidation: that would discard a bootstrap queued behind us on
      // the card, which has not touched the card yet (we hold card_mu_).
      if (HasLiveSessionLocked() && session_->generation == generation) {
        last_invalidation_ = "the card's GBA bootstrap changed under the daemon (EF_GBABP)";
        ++bootstrap_changes_;
        WipeLocked();
        // Worth telling: another PC/SC client is using the card (threat model L9).
        QueueErrorEventLocked(derived);
      }
      continue;  // no session now (bootstrap), or a newer one already (derive from it)
    }
    if (!derived.ok()) return derived;
    // InvalidateSession() does not need the card, so it may have run meanwhile (card
    // removed): then the key must not be cached or handed out.
    if (!HasLiveSessionLocked() || session_->generation != generation) {
      result.key.Clear();
      continue;
    }
    return CacheLocked(std::move(cache_key), std::move(result));
  }
  return absl::UnavailableError(
      "the GBA session was invalidated or replaced repeatedly while this request ran; "
      "try again");
}

absl::StatusOr<SessionSummary> SessionManager::Bootstrap(bool force, std::optional<GbaMode> mode,
                                                         bool may_replace_session) {
  EventFlush flush(*this);
  std::unique_lock<std::mutex> lock(mu_);
  bool need_bootstrap = force;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!need_bootstrap && HasUsableSessionLocked(mode)) return SummaryLocked();
    if (absl::Status allowed = CheckReplaceLocked(mode, may_replace_session); !allowed.ok()) {
      return allowed;
    }
    absl::Status bootstrapped = BootstrapOnceLocked(lock, mode);
    if (!bootstrapped.ok()) return bootstrapped;
    need_bootstrap = false;
  }
  return absl::UnavailableError(
      "the GBA session was invalidated repeatedly while bootstrapping; try again");
}

void SessionManager::InvalidateSession(std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++invalidations_;
  last_invalidation_ = std::string(reason);
  expired_session_.reset();
  WipeLocked();
}

bool SessionManager::WipeIfExpired() {
  EventFlush flush(*this);
  std::lock_guard<std::mutex> lock(mu_);
  const bool had_session = session_.has_value();
  return had_session && !HasLiveSessionLocked();
}

SessionManagerStatus SessionManager::Status() {
  EventFlush flush(*this);
  std::lock_guard<std::mutex> lock(mu_);
  SessionManagerStatus status;
  if (HasLiveSessionLocked()) status.session = SummaryLocked();
  status.expired_session = expired_session_;
  status.cached_naf_keys = naf_keys_.size();
  status.bootstrap_in_flight = flight_ != nullptr;
  status.bootstrap_waiters = waiters_;
  status.bootstrap_attempts = bootstrap_attempts_;
  status.bootstraps = bootstraps_;
  status.last_invalidation = last_invalidation_;
  status.has_tmpi = !tmpi_hint_.tmpi.empty();
  status.last_bootstrap_used_tmpi = last_used_tmpi_;
  status.last_bootstrap_tmpi_fallback = last_tmpi_fallback_;
  status.card_bootstrap_changes = bootstrap_changes_;
  return status;
}

absl::Status SessionManager::WithCard(const std::function<absl::Status(Usim&)>& op) {
  std::lock_guard<std::mutex> card(card_mu_);
  absl::StatusOr<Usim*> usim = usim_();
  if (!usim.ok()) return usim.status();
  return op(**usim);
}

bool SessionManager::HasLiveSessionLocked() {
  if (!session_.has_value()) return false;
  if (clock_.MonotonicNow() < session_->refresh_deadline) return true;
  // Keys are wiped on expiry (issue 4), not merely ignored.
  expired_session_ = SummaryLocked();
  WipeLocked();
  QueueEventLocked({.type = DaemonEventType::kSessionExpired,
                    .time = clock_.UtcNow(),
                    .reader = "",
                    .btid = "",
                    .expiry = expired_session_->expiry,
                    .mode = expired_session_->mode,
                    .error = absl::OkStatus()});
  return false;
}

bool SessionManager::HasUsableSessionLocked(std::optional<GbaMode> mode) {
  if (!HasLiveSessionLocked()) return false;
  return !mode.has_value() || session_->session.mode == *mode;
}

absl::Status SessionManager::CheckReplaceLocked(std::optional<GbaMode> mode,
                                                bool may_replace_session) {
  if (may_replace_session || !mode.has_value() || !HasLiveSessionLocked() ||
      session_->session.mode == *mode) {
    return absl::OkStatus();
  }
  return wire::WireError(
      v1::OPERATION_NOT_ALLOWED,
      absl::StrCat("asking for ", std::string(GbaModeName(*mode)), " would replace the live ",
                   std::string(GbaModeName(session_->session.mode)),
                   " session every client shares, which this caller may not do "
                   "(may_force_bootstrap = false); leave gba_mode_preference unset"));
}

absl::StatusOr<BootstrapSession> SessionManager::RunBootstrap(std::optional<GbaMode> mode,
                                                              BootstrapStats& stats,
                                                              const TmpiHint& tmpi) {
  absl::StatusOr<Usim*> usim = usim_();
  if (!usim.ok()) return usim.status();
  GbaClientOptions client_options = options_.client;
  if (mode == GbaMode::kGbaMe) client_options.force_gba_me = true;
  if (mode == GbaMode::kGbaU) {
    if (options_.client.force_gba_me) {
      return CardError(CardErrorReason::kGbaNotSupported,
                       "GBA_U was requested but this daemon is configured for GBA_ME only");
    }
    // Checked before the Ub exchange so that a GBA_U request on a GBA_ME card costs no
    // bootstrap (no SQN) and leaves the current session alone. TS 33.220 §5.3.1: GBA_U
    // needs a GBA-aware UICC, i.e. EF_UST service n°68 (TS 31.102 §4.2.8).
    absl::StatusOr<bool> capable = (*usim)->IsGbaCapable();
    if (!capable.ok()) return capable.status();
    if (!*capable) {
      return CardError(CardErrorReason::kGbaNotSupported,
                       "GBA_U was requested but the card is not GBA-aware (EF_UST service "
                       "n°68 is not set, TS 31.102 §4.2.8); ask for GBA_ME or no preference");
    }
  }
  GbaClient client(**usim, client_options);
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats, &tmpi);
  if (session.ok() && mode.has_value() && session->mode != *mode) {
    // Cannot happen with the checks above, unless the card changed its mind; never hand out
    // a session in a mode the caller refused.
    session->ks.Clear();
    return CardError(CardErrorReason::kGbaNotSupported,
                     absl::StrCat("the bootstrap ran in ", std::string(GbaModeName(session->mode)),
                                  " instead of the requested ", std::string(GbaModeName(*mode))));
  }
  return session;
}

absl::Status SessionManager::BootstrapOnceLocked(std::unique_lock<std::mutex>& lock,
                                                 std::optional<GbaMode> mode) {
  if (flight_ != nullptr) {
    // Single-flight: share the running bootstrap's outcome, success or error.
    std::shared_ptr<Flight> flight = flight_;
    ++waiters_;
    flight_done_.wait(lock, [&flight] { return flight->done; });
    --waiters_;
    // A bootstrap for another preference may fail where ours would not (GBA_U on a GBA_ME
    // card), or succeed in a mode we cannot use: the caller looks at the session again and
    // runs its own bootstrap if needed.
    if (flight->mode != mode) return absl::OkStatus();
    return flight->status;
  }

  auto flight = std::make_shared<Flight>();
  flight->mode = mode;
  flight_ = flight;
  ++bootstrap_attempts_;
  const uint64_t invalidations = invalidations_;
  const TmpiHint tmpi = tmpi_hint_;
  lock.unlock();

  // Lock order: card, then state. The session is stored before the card is released, so a
  // GBA_U derivation can never pair the card's new Ks with the previous B-TID.
  std::unique_lock<std::mutex> card(card_mu_);
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> result = RunBootstrap(mode, stats, tmpi);
  lock.lock();
  // The next bootstrap's username: this one's TMPI; after a failure, the IMPI (the BSF may
  // not know the TMPI any more).
  if (result.ok()) {
    tmpi_hint_ = TmpiHint{.tmpi = result->tmpi, .impi = result->impi};
  } else {
    tmpi_hint_ = TmpiHint{};
  }
  last_used_tmpi_ = stats.tmpi_used;
  last_tmpi_fallback_ = stats.tmpi_fallback;

  absl::Status status = result.status();
  if (result.ok() && invalidations != invalidations_) {
    // The card may have been removed or swapped while we ran: this session may not be the
    // current card's. CARD_REMOVED on the wire: retryable once a card is back.
    result->ks.Clear();
    status = CardError(CardErrorReason::kCardRemoved,
                       absl::StrCat("the GBA session was invalidated during the bootstrap (",
                                    last_invalidation_, ")"));
  } else if (result.ok()) {
    StoreSessionLocked(*std::move(result));
    const BootstrapSession& s = session_->session;
    QueueEventLocked({.type = DaemonEventType::kBootstrapped,
                      .time = clock_.UtcNow(),
                      .reader = "",
                      .btid = s.btid,
                      .expiry = s.expiry,
                      .mode = s.mode,
                      .error = absl::OkStatus()});
  } else if (session_.has_value() && session_->session.mode == GbaMode::kGbaU &&
             stats.card_authentications > 0) {
    // The failed (forced) re-bootstrap sent a bootstrapping-mode AUTHENTICATE, which may
    // have replaced Ks on the card (TS 31.102 §7.1.2.4): the old GBA_U session could then
    // derive keys the BSF does not know. Drop it. A bootstrap that failed before reaching
    // the card (BSF unreachable, a 500, no challenge) leaves the card's Ks and the session
    // as they were, so cached and new keys keep being served.
    WipeLocked();
  }
  card.unlock();
  if (!status.ok()) {
    QueueErrorEventLocked(status);
  }

  flight->status = status;
  flight->done = true;
  flight_.reset();
  flight_done_.notify_all();
  return status;
}

void SessionManager::StoreSessionLocked(BootstrapSession session) {
  WipeLocked();
  expired_session_.reset();
  // The monotonic deadline is fixed now, from the lifetime left by the UTC clock; later
  // wall-clock jumps do not move it.
  absl::Duration remaining = session.expiry - clock_.UtcNow();
  if (remaining > options_.max_session_lifetime) {
    // SessionManagerOptions::max_session_lifetime: the expiry callers see is the cap too.
    remaining = options_.max_session_lifetime;
    session.expiry = clock_.UtcNow() + remaining;
  }
  const absl::Duration margin = std::min(options_.refresh_margin, remaining / 2);
  session_ = StoredSession{.session = std::move(session),
                           .refresh_deadline = clock_.MonotonicNow() + remaining - margin,
                           .generation = next_generation_++};
  ++bootstraps_;
}

void SessionManager::WipeLocked() {
  for (auto& [naf, key] : naf_keys_) key.key.Clear();
  naf_keys_.clear();
  if (session_.has_value()) {
    session_->session.ks.Clear();
    session_.reset();
  }
}

NafKey SessionManager::CacheLocked(std::string cache_key, NafKey key) {
  if (naf_keys_.size() < options_.max_cached_naf_keys) {
    naf_keys_.emplace(std::move(cache_key), key.Clone());
  }
  return key;
}

SessionSummary SessionManager::SummaryLocked() const {
  const BootstrapSession& s = session_->session;
  return {.btid = s.btid, .expiry = s.expiry, .bootstrapped_at = s.bootstrapped_at, .mode = s.mode};
}

void SessionManager::QueueEventLocked(DaemonEvent event) {
  if (options_.on_event) pending_events_.push_back(std::move(event));
}

void SessionManager::QueueErrorEventLocked(const absl::Status& error) {
  QueueEventLocked({.type = DaemonEventType::kError,
                    .time = clock_.UtcNow(),
                    .reader = "",
                    .btid = "",
                    .expiry = absl::InfinitePast(),
                    .mode = GbaMode::kGbaMe,  // not part of an error event
                    .error = error});
}

void SessionManager::FlushEvents() {
  if (!options_.on_event) return;
  std::lock_guard<std::mutex> publishing(publish_mu_);
  std::vector<DaemonEvent> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(pending_events_);
  }
  for (const DaemonEvent& event : events) options_.on_event(event);
}

}  // namespace gbabridge::daemon
