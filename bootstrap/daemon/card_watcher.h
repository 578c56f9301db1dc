// CardWatcher: follows the reader and the card through PC/SC and keeps the daemon's
// CardSnapshot (card_snapshot.h) current, so that GetStatus never touches the card.
//
// A thread waits on SCardGetStatusChange with its own SCARDCONTEXT (PC/SC contexts are not to
// be shared between threads), including the "\\?PnP?\Notification" pseudo-reader so that
// readers coming and going wake it too (uicc/pcsc_reader_monitor.h: the PC/SC calls live in
// uicc, which alone links pcsc-lite). Each wait is bounded (one tick, 1 s by default) and
// Stop() cancels it with SCardCancel, so stopping is prompt.
//
// Observable behaviour (what integration tests can rely on):
// - Removal (card out, its reader unplugged, or pcscd gone while a card was in):
//   SessionManager::InvalidateSession("card removed") -- the session and every NAF key are
//   wiped -- then a kCardRemoved event (reader set). Snapshot: card_present=false, card fields
//   cleared, last_error NO_CARD / NO_READER / PCSCD_NOT_RUNNING.
// - Insertion (or a card found at start or after a pcscd restart): the card is read through
//   SessionManager::WithCard (so never during a bootstrap): ICCID, PIN state, masked IMSI
//   (MCC+MNC and the last two digits), GBA_U capability (EF_UST service n°68) and the BSF URL.
//   A different ICCID from the last card's, or an unreadable one, calls
//   InvalidateSession("card changed (ICCID)"). Then the snapshot is updated and kCardInserted
//   is published (so a watcher that reacts to the event already sees the new snapshot). If
//   the card cannot be read (PIN required, rejected or blocked; card error), kError follows
//   with that status and the snapshot's last_error holds it.
// - A swap between two looks (pcsc-lite's per-reader event counter moved while a card is
//   present both times) counts as a removal followed by an insertion.
// - pcscd gone: InvalidateSession("pcscd not running") (a card may be swapped unseen), one
//   kError event with reason PCSCD_NOT_RUNNING per outage, and retries with exponential
//   backoff (1 s doubling up to 30 s) until it is back; then the card is found again and
//   kCardInserted is published.
// - Every tick, SessionManager::WipeIfExpired(); when it wiped a session and
//   `publish_session_expired` is set, a kSessionExpired event.
// - `on_card_changed` (CardSlot::NotifyCardChanged) runs on every removal and insertion,
//   before the card is read, so that the slot selects the new card and checks its PIN.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_CARD_WATCHER_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_CARD_WATCHER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/daemon/card_snapshot.h"
#include "bootstrap/daemon/event_bus.h"
#include "bootstrap/daemon/session_manager.h"
#include "uicc/card_presence.h"

namespace gbabridge::daemon {

// PC/SC through PcscReaderMonitor (uicc/pcsc_reader_monitor.h): SCardGetStatusChange with
// its own context, re-established after pcscd restarts, cancelled by Interrupt().
std::unique_ptr<CardPresenceSource> MakePcscReaderStateSource();

// The reader the daemon uses: the configured one; else the current one while it still has a
// card; else the first reader with a card; else the current one if it is still there; else
// the first reader; else "" (no reader). Mirrors PcscTransport's choice (first reader with a
// card) while not jumping between readers needlessly.
std::string ChooseReader(const std::vector<ReaderState>& readers, std::string_view configured,
                         std::string_view current);

struct CardWatcherOptions {
  std::string reader;   // configured reader name; empty: the first reader with a card
  std::string bsf_url;  // configured BSF URL; empty: derived from the IMSI
  absl::Duration tick = absl::Seconds(1);
  absl::Duration min_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  // Publish kSessionExpired when WipeIfExpired() wiped a session. Off when the
  // SessionManager publishes it itself.
  bool publish_session_expired = true;
  // Called on every removal and insertion (CardSlot::NotifyCardChanged). May be null.
  std::function<void()> on_card_changed;
};

class CardWatcher {
 public:
  // `sessions` and `events` must outlive the watcher.
  CardWatcher(SessionManager& sessions, EventBus& events,
              std::unique_ptr<CardPresenceSource> source, CardWatcherOptions options);
  ~CardWatcher();  // Stop()
  CardWatcher(const CardWatcher&) = delete;
  CardWatcher& operator=(const CardWatcher&) = delete;

  void Start();
  // Stops the thread and waits for it; at most one tick, plus an inspection in progress
  // (which waits for the card mutex, i.e. for a running bootstrap). Idempotent.
  void Stop();

  // The current state. Thread-safe; never touches the card.
  CardSnapshot Snapshot() const;

  // The thread's two steps, public so that tests can drive the watcher without its thread
  // (never call them while it runs): one look at the readers (waiting up to `wait`), and the
  // expiry tick.
  void PollOnce(absl::Duration wait);
  void Tick();

 private:
  void Run();
  void HandleSourceError(const absl::Status& status);
  void CardRemoved(const std::string& reader, const absl::Status& why);
  void CardInserted(const std::string& reader);
  // Reads the card (under the card mutex) into the snapshot; false if it could not.
  bool Inspect(const std::string& reader);
  void NotifyCardChanged();
  void Publish(DaemonEventType type, const std::string& reader,
               absl::Status error = absl::OkStatus());
  void SetSnapshot(CardSnapshot snapshot);

  SessionManager& sessions_;
  EventBus& events_;
  std::unique_ptr<CardPresenceSource> source_;
  const CardWatcherOptions options_;

  mutable std::mutex snapshot_mu_;
  CardSnapshot snapshot_;

  // Thread state (only the watcher thread, or the test driving it, touches these).
  std::string current_reader_;
  bool current_present_ = false;
  uint32_t current_count_ = 0;
  std::optional<std::string> last_iccid_;  // of the last card read
  bool pcsc_down_ = false;                 // an outage was reported
  absl::Duration backoff_;
  absl::Time next_poll_ = absl::InfinitePast();
  // A card whose reading failed for a passing reason (reset, transport) is read again.
  bool inspect_again_ = false;
  absl::Time inspect_again_at_ = absl::InfinitePast();

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_CARD_WATCHER_H_
