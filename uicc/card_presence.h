// CardPresenceSource: where the daemon learns that readers and cards come and go, without
// touching the card. PC/SC answers through SCardGetStatusChange (pcsc_reader_monitor.h);
// a transport without such a call (a modem) polls instead; tests script it.
#ifndef GBABRIDGE_UICC_CARD_PRESENCE_H_
#define GBABRIDGE_UICC_CARD_PRESENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gbabridge {

// One reader (or modem) and whether it holds a card.
struct ReaderState {
  std::string name;
  bool card_present = false;
  // Moves on every insertion and removal (pcsc-lite's per-reader event counter, the high
  // 16 bits of dwEventState), so a card swapped between two looks is still noticed.
  uint32_t event_count = 0;
};

class CardPresenceSource {
 public:
  virtual ~CardPresenceSource() = default;
  // The readers, returned as soon as a reader or card changed since the previous call (at
  // once on the first call) or after at most `timeout`. No readers is an empty list, not an
  // error. A CardError (kPcscdNotRunning, kTransportFailed, ...) when the readers cannot be
  // looked at; the next call starts again from scratch. One thread at a time.
  virtual absl::StatusOr<std::vector<ReaderState>> Wait(absl::Duration timeout) = 0;
  // Makes a Wait() in progress on another thread return soon. Thread-safe.
  virtual void Interrupt() = 0;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_CARD_PRESENCE_H_
