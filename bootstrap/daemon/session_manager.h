// SessionManager: the daemon's owner of the card and of the GBA session (docs/architecture.md,
// flow 3 "Application GetNafKey"; issue 4, "Behaviour").
//
// - Card access is serialised through one mutex: every AUTHENTICATE (bootstrap, GBA_U NAF
//   derivation) runs under it, and so does every other card read of the daemon (WithCard()):
//   nothing else in the process touches the card while an operation is in progress.
// - Single-flight bootstrapping: callers that need a session while a bootstrap is running
//   wait for that bootstrap and share its result, success or error. N concurrent cold
//   requests cost one Ub run and one AUTHENTICATE.
// - The session (B-TID, RAND, IMPI, Ks for GBA_ME) is kept until its lifetime minus a margin
//   (TS 33.220 §4.5.2: the UE uses Ks until the key lifetime ends; the margin keeps us from
//   handing out a key moments before the BSF forgets the B-TID). The deadline is on the
//   monotonic clock, computed once when the session is stored; the UTC expiry from the BSF
//   is kept only for the wire.
// - NAF keys (Ks_NAF / Ks_ext_NAF) are cached per NAF_Id for the life of the session: a hit
//   costs no APDU and no HMAC.
// - Secrets stay in SecretBytes and are wiped (SecretBytes::Clear) when the session is
//   replaced, expires or is invalidated. Nothing here logs.
// - GBA mode preference (gbabridge.v1 gba_mode_preference): a live session in another mode
//   is replaced by a bootstrap in the preferred one. GBA_ME forces the 3G context; GBA_U needs
//   a GBA-aware card (EF_UST service n°68, TS 31.102 §4.2.8) and fails with
//   CardErrorReason::kGbaNotSupported (GBA_U_NOT_SUPPORTED on the wire) before any Ub
//   exchange when the card is not one.
// - Events (SessionManagerOptions::on_event): kBootstrapped after each successful bootstrap,
//   kError after each failed one (once, from the caller that ran it, not per waiter), and
//   kSessionExpired whenever an expired session is wiped (by WipeIfExpired() or by a request
//   that found it expired). They are delivered outside every lock of the manager, in order.
//
// - A GBA_U key is derived only while the card's EF_GBABP still holds the session's RAND and
//   B-TID, checked in the same card transaction (Usim::DeriveKsExtNafForBootstrap). When it
//   does not (another PC/SC client bootstrapped the card, or a bootstrap was cut short after
//   the card replaced Ks), the session is dropped and the request bootstraps again: a key from
//   the card's new Ks under the old B-TID would never match the NAF's. A kError event with
//   CardErrorReason::kGbaBootstrapChanged says so.
//
// Card change detection is NOT done here: the caller (the daemon's CardWatcher, watching
// reader state and the ICCID) calls InvalidateSession() on removal, on a different ICCID,
// on a pcscd restart and on shutdown. A session from one card must never derive keys after
// another card is inserted, and a GBA_U session lives on the card itself.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_SESSION_MANAGER_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_SESSION_MANAGER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/client/gba_client.h"
#include "bootstrap/daemon/event_bus.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "bootstrap/protocol/naf_id.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/usim.h"

namespace gbabridge::daemon {

// Time sources, injectable for tests. Expiry decisions use the monotonic clock (it does not
// jump with NTP or settimeofday); UTC only converts the BSF's lifetime into a deadline.
class Clock {
 public:
  virtual ~Clock() = default;
  // Time since an arbitrary, fixed origin; never goes backwards.
  virtual absl::Duration MonotonicNow() = 0;
  virtual absl::Time UtcNow() = 0;

  // std::chrono::steady_clock and absl::Now(). Process-wide, thread-safe.
  static Clock& System();
};

// A NAF key as handed to an application (flow 3, step 5).
struct NafKey {
  SecretBytes key;  // Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U), 32 bytes
  std::string btid;
  absl::Time expiry;  // UTC, the session's key lifetime from the BSF
  GbaMode mode = GbaMode::kGbaMe;
  std::string impi;  // the service decides whether the caller may see it
  NafId naf;
  bool cache_hit = false;  // served from the NAF-key cache (no APDU, no HMAC); for the audit

  NafKey Clone() const { return {key.Clone(), btid, expiry, mode, impi, naf, cache_hit}; }
};

// The public part of a session: what Bootstrap() and GetStatus report. No key material.
struct SessionSummary {
  std::string btid;
  absl::Time expiry;           // UTC, from the BSF
  absl::Time bootstrapped_at;  // UTC
  GbaMode mode = GbaMode::kGbaMe;
};

struct SessionManagerStatus {
  // Set while a session is usable, i.e. before expiry minus the margin.
  std::optional<SessionSummary> session;
  // The last session, when it was wiped because it expired and nothing replaced it since
  // (gbabridge.v1 SESSION_STATE_EXPIRED). Cleared by a new session and by InvalidateSession().
  std::optional<SessionSummary> expired_session;
  size_t cached_naf_keys = 0;
  bool bootstrap_in_flight = false;
  int bootstrap_waiters = 0;        // callers waiting on the in-flight bootstrap
  uint64_t bootstrap_attempts = 0;  // bootstraps started since construction
  uint64_t bootstraps = 0;          // bootstraps that produced a session
  std::string last_invalidation;    // reason given to the last InvalidateSession(), or ""
  // GBA_U sessions dropped because the card's EF_GBABP no longer named them when a key was
  // to be derived (another PC/SC client bootstrapped the card, or a bootstrap was cut short).
  uint64_t card_bootstrap_changes = 0;
  // TS 33.220 §4.5.2: the daemon holds a TMPI for the next bootstrap; the last bootstrap
  // named a TMPI (and had to fall back to the IMPI).
  bool has_tmpi = false;
  bool last_bootstrap_used_tmpi = false;
  bool last_bootstrap_tmpi_fallback = false;
};

struct SessionManagerOptions {
  GbaClientOptions client;
  // Re-bootstrap this long before the BSF's key lifetime ends. Capped at half the granted
  // lifetime, so that a BSF granting short lifetimes does not cause a bootstrap (and an SQN)
  // per request.
  absl::Duration refresh_margin = absl::Seconds(60);
  // NAF keys cached per session; further NAFs are derived on every request. Bounds memory
  // (locked memory in the daemon) against a caller cycling through NAF names.
  size_t max_cached_naf_keys = 1024;
  // A session is kept at most this long, whatever key lifetime the BSF grants
  // (Key-lifetime, TS 24.109 §4.5.2): a device whose clock is years behind would otherwise
  // hold Ks (GBA_ME) for years. Counted on the monotonic clock.
  absl::Duration max_session_lifetime = absl::Hours(24);
  // Null: Clock::System(). Must outlive the manager.
  Clock* clock = nullptr;
  // Receives kBootstrapped, kError and kSessionExpired events (see the top of this file),
  // e.g. EventBus::Publish. Called outside the manager's locks, one call at a time; it must
  // not call back into the manager. May be null.
  std::function<void(const DaemonEvent&)> on_event;
};

class SessionManager {
 public:
  // Yields the card for one operation; called with the card mutex held, and the Usim must
  // stay valid until that operation returns. An error (no card, pcscd down) fails the
  // operation with that status.
  using UsimProvider = std::function<absl::StatusOr<Usim*>()>;

  // `usim` must outlive the manager.
  SessionManager(Usim& usim, SessionManagerOptions options);
  SessionManager(UsimProvider usim, SessionManagerOptions options);
  // Wipes the session and the cached keys. No call may be in progress.
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // The key for `naf` (flow 3, steps 2-5): from the cache when the session is live; else
  // derived from the session (bootstrapping once first if needed, shared with concurrent
  // callers); with `force_bootstrap`, from a bootstrap that had not completed when this call
  // began (one already in flight is joined, so concurrent forced calls still share one).
  // With `mode`, a live session in the other mode is replaced by a bootstrap in `mode`.
  // Errors are the GbaClient's and the card's (gba_error.h, card_error.h), unchanged; GBA_U
  // on a card without GBA support is CardErrorReason::kGbaNotSupported (FAILED_PRECONDITION).
  // With `may_replace_session` false (a caller whose policy forbids forcing bootstraps), a
  // `mode` that would replace a live session in the other mode is PERMISSION_DENIED /
  // OPERATION_NOT_ALLOWED instead: that replacement is a forced bootstrap for every client.
  absl::StatusOr<NafKey> GetNafKey(const NafId& naf, bool force_bootstrap = false,
                                   std::optional<GbaMode> mode = std::nullopt,
                                   bool may_replace_session = true);

  // The live session, bootstrapping if there is none (or always, with `force`, or when it is
  // not in `mode`).
  absl::StatusOr<SessionSummary> Bootstrap(bool force = false,
                                           std::optional<GbaMode> mode = std::nullopt,
                                           bool may_replace_session = true);

  // Wipes the session (Ks) and every cached NAF key. A bootstrap in flight is not stored:
  // its callers get Unavailable, since its result may belong to the card that went away.
  // `reason` is kept for Status() ("card removed", "ICCID changed", "shutdown").
  void InvalidateSession(std::string_view reason);

  // Wipes the session now if it is past expiry minus the margin (the daemon calls this from
  // a timer so that keys do not linger in memory). Returns true if it wiped one.
  bool WipeIfExpired();

  SessionManagerStatus Status();

  // Runs `op` on the card under the card mutex. Every other card access of the daemon
  // (GetStatus's IMSI and PIN reads, the CardWatcher's ICCID check) goes through here, so
  // that it never interleaves with a bootstrap or a GBA_U derivation. `op` must not call
  // back into the manager.
  absl::Status WithCard(const std::function<absl::Status(Usim&)>& op);

 private:
  // TS 33.220 §4.5.2: the TMPI of the last bootstrap and its IMPI, for the next one; empty
  // after any failed bootstrap (the BSF may have forgotten it, or never be asked again).
  TmpiHint tmpi_hint_;
  bool last_used_tmpi_ = false;
  bool last_tmpi_fallback_ = false;
  struct StoredSession {
    BootstrapSession session;
    absl::Duration refresh_deadline;  // monotonic: re-bootstrap from here on
    uint64_t generation = 0;
  };
  // One bootstrap run; the leader fills it, the waiters read it.
  struct Flight {
    std::optional<GbaMode> mode;  // the preference it runs with
    bool done = false;
    absl::Status status;
  };
  // Delivers the queued events after the caller's locks are released (declared before the
  // lock in each public method, so that it is destroyed after it).
  class EventFlush {
   public:
    explicit EventFlush(SessionManager& manager) : manager_(manager) {}
    ~EventFlush() { manager_.FlushEvents(); }
    EventFlush(const EventFlush&) = delete;
    EventFlush& operator=(const EventFlush&) = delete;

   private:
    SessionManager& manager_;
  };

  // Live = stored and before its deadline. A session past its deadline is wiped here.
  bool HasLiveSessionLocked();
  // Live and, with a preference, in that mode.
  bool HasUsableSessionLocked(std::optional<GbaMode> mode);
  // OPERATION_NOT_ALLOWED when `mode` would replace the live session and the caller may not.
  absl::Status CheckReplaceLocked(std::optional<GbaMode> mode, bool may_replace_session);
  // Runs a bootstrap, or joins the one in flight; stores the session on success. A flight
  // with another preference is waited for but its outcome is not ours: then OK is returned
  // and the caller looks at the session again.
  absl::Status BootstrapOnceLocked(std::unique_lock<std::mutex>& lock, std::optional<GbaMode> mode);
  // The bootstrap itself: card mutex held, no state mutex.
  // `stats` says, also on failure, whether a bootstrapping AUTHENTICATE was sent.
  absl::StatusOr<BootstrapSession> RunBootstrap(std::optional<GbaMode> mode, BootstrapStats& stats,
                                                const TmpiHint& tmpi);
  void StoreSessionLocked(BootstrapSession session);
  void WipeLocked();
  // Caches a copy (within the bound) and returns the caller's copy.
  NafKey CacheLocked(std::string cache_key, NafKey key);
  SessionSummary SummaryLocked() const;
  void QueueEventLocked(DaemonEvent event);
  void QueueErrorEventLocked(const absl::Status& error);
  void FlushEvents();

  UsimProvider usim_;
  const SessionManagerOptions options_;
  Clock& clock_;

  // Lock order: card_mu_ before mu_. mu_ is never held during card or network I/O.
  std::mutex card_mu_;

  std::mutex mu_;
  std::condition_variable flight_done_;
  std::optional<StoredSession> session_;
  std::map<std::string, NafKey> naf_keys_;  // by NafId::Encode()
  std::shared_ptr<Flight> flight_;          // null: no bootstrap in flight
  int waiters_ = 0;
  uint64_t next_generation_ = 1;
  // Bumped by InvalidateSession(): a bootstrap that started before is discarded.
  uint64_t invalidations_ = 0;
  uint64_t bootstrap_changes_ = 0;  // sessions dropped because EF_GBABP moved on
  uint64_t bootstrap_attempts_ = 0;
  uint64_t bootstraps_ = 0;
  std::string last_invalidation_;
  std::optional<SessionSummary> expired_session_;
  std::vector<DaemonEvent> pending_events_;  // guarded by mu_; delivered by FlushEvents()
  // Serialises deliveries so that events reach on_event in the order they were queued.
  // Taken without mu_ or card_mu_ held.
  std::mutex publish_mu_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_SESSION_MANAGER_H_
