#include "bootstrap/daemon/session_manager.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bootstrap/gba_keys.h"

namespace gbabridge::daemon {
namespace {

// How many times one request may find the session gone under it (invalidated, expired or
// replaced by a forced bootstrap) before it gives up rather than loop.
constexpr int kMaxRounds = 3;

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

absl::StatusOr<NafKey> SessionManager::GetNafKey(const NafId& naf, bool force_bootstrap) {
  const Bytes encoded = naf.Encode();
  std::string cache_key(encoded.begin(), encoded.end());

  std::unique_lock<std::mutex> lock(mu_);
  bool need_bootstrap = force_bootstrap;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (need_bootstrap || !HasLiveSessionLocked()) {
      absl::Status bootstrapped = BootstrapOnceLocked(lock);
      if (!bootstrapped.ok()) return bootstrapped;
      need_bootstrap = false;
      continue;  // re-check: the session may already be gone again
    }

    // Flow 3 step 2: a hit costs no APDU and no HMAC.
    if (auto it = naf_keys_.find(cache_key); it != naf_keys_.end()) return it->second.Clone();

    const BootstrapSession& s = session_->session;
    if (s.mode == GbaMode::kGbaMe) {
      // TS 33.220 §4.5.2, Annex B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), in the
      // ME; no card access. Derived under mu_ so that Ks is never copied out of the session.
      absl::StatusOr<SecretBytes> key = DeriveKsNaf(s.ks, s.rand, s.impi, naf);
      if (!key.ok()) return key.status();
      return CacheLocked(std::move(cache_key),
                         NafKey{std::move(*key), s.btid, s.expiry, s.mode, s.impi, naf});
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
    if (auto it = naf_keys_.find(cache_key); it != naf_keys_.end()) return it->second.Clone();
    NafKey result{SecretBytes(), s.btid, s.expiry, s.mode, s.impi, naf};
    lock.unlock();  // no state lock during card I/O: cache hits stay fast

    absl::Status derived = [&]() -> absl::Status {
      absl::StatusOr<Usim*> usim = usim_();
      if (!usim.ok()) return usim.status();
      absl::StatusOr<SecretBytes> key = (*usim)->DeriveKsExtNaf(encoded, result.impi);
      if (!key.ok()) return key.status();
      result.key = std::move(*key);
      return absl::OkStatus();
    }();
    lock.lock();
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

absl::StatusOr<SessionSummary> SessionManager::Bootstrap(bool force) {
  std::unique_lock<std::mutex> lock(mu_);
  bool need_bootstrap = force;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!need_bootstrap && HasLiveSessionLocked()) return SummaryLocked();
    absl::Status bootstrapped = BootstrapOnceLocked(lock);
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
  WipeLocked();
}

bool SessionManager::WipeIfExpired() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool had_session = session_.has_value();
  return had_session && !HasLiveSessionLocked();
}

SessionManagerStatus SessionManager::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  SessionManagerStatus status;
  if (HasLiveSessionLocked()) status.session = SummaryLocked();
  status.cached_naf_keys = naf_keys_.size();
  status.bootstrap_in_flight = flight_ != nullptr;
  status.bootstrap_waiters = waiters_;
  status.bootstrap_attempts = bootstrap_attempts_;
  status.bootstraps = bootstraps_;
  status.last_invalidation = last_invalidation_;
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
  WipeLocked();
  return false;
}

absl::Status SessionManager::BootstrapOnceLocked(std::unique_lock<std::mutex>& lock) {
  if (flight_ != nullptr) {
    // Single-flight: share the running bootstrap's outcome, success or error.
    std::shared_ptr<Flight> flight = flight_;
    ++waiters_;
    flight_done_.wait(lock, [&flight] { return flight->done; });
    --waiters_;
    return flight->status;
  }

  auto flight = std::make_shared<Flight>();
  flight_ = flight;
  ++bootstrap_attempts_;
  const uint64_t invalidations = invalidations_;
  lock.unlock();

  // Lock order: card, then state. The session is stored before the card is released, so a
  // GBA_U derivation can never pair the card's new Ks with the previous B-TID.
  std::unique_lock<std::mutex> card(card_mu_);
  absl::StatusOr<BootstrapSession> result = [&]() -> absl::StatusOr<BootstrapSession> {
    absl::StatusOr<Usim*> usim = usim_();
    if (!usim.ok()) return usim.status();
    GbaClient client(**usim, options_.client);
    return client.Bootstrap();
  }();
  lock.lock();

  absl::Status status = result.status();
  if (result.ok() && invalidations != invalidations_) {
    // The card may have been removed or swapped while we ran: this session may not be the
    // current card's.
    result->ks.Clear();
    status = absl::UnavailableError(absl::StrCat(
        "the GBA session was invalidated during the bootstrap (", last_invalidation_, ")"));
  } else if (result.ok()) {
    StoreSessionLocked(*std::move(result));
  } else if (session_.has_value() && session_->session.mode == GbaMode::kGbaU) {
    // A failed (forced) re-bootstrap may still have run a bootstrapping-mode AUTHENTICATE,
    // which replaces Ks on the card (TS 31.102 §7.1.2.4): the old GBA_U session could then
    // derive keys the BSF does not know. Drop it.
    WipeLocked();
  }
  card.unlock();

  flight->status = status;
  flight->done = true;
  flight_.reset();
  flight_done_.notify_all();
  return status;
}

void SessionManager::StoreSessionLocked(BootstrapSession session) {
  WipeLocked();
  // The monotonic deadline is fixed now, from the lifetime left by the UTC clock; later
  // wall-clock jumps do not move it.
  const absl::Duration remaining = session.expiry - clock_.UtcNow();
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

}  // namespace gbabridge::daemon
