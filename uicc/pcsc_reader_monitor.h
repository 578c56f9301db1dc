// PcscReaderMonitor: waits for PC/SC reader and card changes (SCardGetStatusChange), for the
// daemon's card watcher. It has its own SCARDCONTEXT (a context is not shared between
// threads) and watches the "\\?PnP?\Notification" pseudo-reader too, so that readers coming
// and going wake it. After pcscd goes away it re-establishes its context on the next call.
#ifndef GBABRIDGE_UICC_PCSC_READER_MONITOR_H_
#define GBABRIDGE_UICC_PCSC_READER_MONITOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uicc/card_presence.h"

namespace gbabridge {

class PcscReaderMonitor : public CardPresenceSource {
 public:
  PcscReaderMonitor();
  ~PcscReaderMonitor() override;
  PcscReaderMonitor(const PcscReaderMonitor&) = delete;
  PcscReaderMonitor& operator=(const PcscReaderMonitor&) = delete;

  // CardPresenceSource. The errors are CardErrors kPcscdNotRunning and kTransportFailed.
  absl::StatusOr<std::vector<ReaderState>> Wait(absl::Duration timeout) override;

  // Makes a Wait() in progress on another thread return soon (SCardCancel). Thread-safe.
  void Interrupt() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_PCSC_READER_MONITOR_H_
