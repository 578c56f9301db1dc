// PcscReaderMonitor: waits for PC/SC reader and card changes (SCardGetStatusChange), for the
// daemon's card watcher. It has its own SCARDCONTEXT (a context is not shared between
// threads) and watches the "\\?PnP?\Notification" pseudo-reader too, so that readers coming
// and going wake it. After pcscd goes away it re-establishes its context on the next call.
#ifndef GBABRIDGE_UICC_PCSC_READER_MONITOR_H_
#define GBABRIDGE_UICC_PCSC_READER_MONITOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gbabridge {

// One reader as PC/SC reports it.
struct PcscReaderState {
  std::string name;
  bool card_present = false;
  // pcsc-lite's per-reader event counter (high 16 bits of dwEventState): it moves on every
  // insertion and removal, so a card swapped between two looks is still noticed.
  uint32_t event_count = 0;
};

class PcscReaderMonitor {
 public:
  PcscReaderMonitor();
  ~PcscReaderMonitor();
  PcscReaderMonitor(const PcscReaderMonitor&) = delete;
  PcscReaderMonitor& operator=(const PcscReaderMonitor&) = delete;

  // The readers, returned as soon as a reader or card changed since the previous call (at
  // once on the first call) or after at most `timeout`. No readers is an empty list. A
  // CardError (kPcscdNotRunning, kTransportFailed) when PC/SC cannot be used; the next call
  // starts again with a new context. One thread at a time.
  absl::StatusOr<std::vector<PcscReaderState>> Wait(absl::Duration timeout);

  // Makes a Wait() in progress on another thread return soon (SCardCancel). Thread-safe.
  void Interrupt();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_PCSC_READER_MONITOR_H_
