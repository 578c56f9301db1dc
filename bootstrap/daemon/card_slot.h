// CardSlot: the daemon's card, i.e. the SessionManager's UsimProvider over PC/SC. It owns the
// card channel (PcscTransport, uicc/pcsc_transport.h) and the Usim on it, and makes sure that the
// Usim it hands out is ready for an operation:
//
// - Connects lazily (the daemon starts without pcscd, a reader or a card) and retries on every
//   request until it succeeds; PcscTransport itself then reconnects after a removal or a pcscd
//   restart.
// - After a card change (the CardWatcher calls NotifyCardChanged() on removal and insertion)
//   or a kCardRemoved / kCardReset error seen on the channel, it starts afresh: a new Usim
//   (the new card's applications are selected again) and a new PIN check.
// - PIN1 (ETSI TS 102 221 §9): when the card needs it and a PIN is configured, it is verified
//   before the first operation. A rejected PIN is never presented again to the same card
//   (same ICCID), so that the daemon cannot block the card by retrying: only another card or
//   a restart with a corrected PIN file tries again. Without a configured PIN a PIN-enabled
//   card fails every operation with PIN_REQUIRED; a blocked PIN gives PIN_BLOCKED.
//
// Not thread-safe, except NotifyCardChanged(): it is used only under SessionManager's card
// mutex (from the UsimProvider and inside WithCard).
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SLOT_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SLOT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bootstrap/daemon/pin_rejections.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_transport.h"
#include "uicc/usim.h"

namespace gbabridge::daemon {

// Reads PIN1 from a file: its first line, surrounding whitespace dropped, 4 to 8 digits
// (TS 102 221 §9.5.1). A PIN is never taken from the command line (it would show in `ps`).
// Errors name the file, never its content.
absl::StatusOr<SecretBytes> ReadPinFile(const std::string& path);

struct CardSlotOptions {
  std::string reader;  // exact PC/SC reader name; empty: the first reader with a card
  SecretBytes pin;     // PIN1; empty: none configured
  // Opens the card channel; null: PcscTransport::Connect(reader). Tests inject an in-process
  // card here.
  std::function<absl::StatusOr<std::unique_ptr<CardTransport>>()> open_channel;
  // Cards that rejected the PIN, remembered across restarts (pin_rejections.h); nullopt:
  // in memory only.
  std::optional<PinRejections> rejections;
};

class CardSlot {
 public:
  explicit CardSlot(CardSlotOptions options);
  ~CardSlot();
  CardSlot(const CardSlot&) = delete;
  CardSlot& operator=(const CardSlot&) = delete;

  // The UsimProvider: the Usim, connected, with its PIN verified if the card needs it.
  // Errors are CardErrors (card_error.h): PCSCD_NOT_RUNNING, NO_READER, NO_CARD, ... and
  // kPinRequired / kPinWrong (the configured PIN was rejected) / kPinBlocked.
  absl::StatusOr<Usim*> Provide();

  // A card was inserted or removed (CardWatcher thread): the next Provide() starts afresh
  // and, for a new card, may try the PIN again. Thread-safe.
  void NotifyCardChanged() { generation_.fetch_add(1, std::memory_order_relaxed); }

  // Whether a PIN is configured (for the status snapshot).
  bool has_pin() const { return !options_.pin.empty(); }

  // Transport events seen by the channel wrapper (shared with it).
  struct Observed {
    bool removed = false;  // kCardRemoved, kNoCard, kNoReader, kPcscdNotRunning: maybe new card
    bool reset = false;    // kCardReset: same card, PIN verification lost
  };

 private:
  // Fresh Usim and PIN check. `new_card`: a different card may be in the reader.
  absl::Status Prepare(bool new_card);
  absl::Status CheckPin();

  CardSlotOptions options_;
  std::atomic<uint64_t> generation_{0};
  uint64_t seen_generation_ = 0;
  Observed observed_;
  std::unique_ptr<CardTransport> channel_;  // the observing wrapper around the real channel
  std::unique_ptr<Usim> usim_;
  bool ready_ = false;
  bool new_card_ = true;
  // The cards ("" if the ICCID is unreadable) that rejected the configured PIN.
  PinRejections rejections_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SLOT_H_
