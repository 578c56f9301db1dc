// VpcdLink: carries an ApduHandler (the soft USIM) to vpcd, the virtual reader driver of
// vsmartcard, so that pcscd sees it as a card in "Virtual PCD 00 00".
//
// Protocol (vsmartcard vpcd.c; gba-facts §10): the card side is a TCP client of vpcd.
// Every message in either direction is a 2-byte big-endian length and that many bytes.
// From vpcd, a 1-byte payload is a control: 0 power off, 1 power on, 2 reset, 4 "send
// your ATR" (answered with the ATR as a message; vpcd polls it to see whether the card is
// present, so it must not reset the card). Longer payloads are command APDUs, each answered
// with the response APDU.
//
// When vpcd is not there yet, or goes away, the link retries every `reconnect_interval`.
// Stop() (async-signal-safe) ends Run() promptly.
#ifndef GBABRIDGE_UICC_SOFT_USIM_VPCD_LINK_H_
#define GBABRIDGE_UICC_SOFT_USIM_VPCD_LINK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/apdu_handler.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

struct VpcdEndpoint {
  std::string host;
  uint16_t port = 0;
};

// "host:port", "[v6addr]:port".
absl::StatusOr<VpcdEndpoint> ParseVpcdEndpoint(std::string_view text);

class VpcdLink {
 public:
  struct Options {
    VpcdEndpoint endpoint;
    std::chrono::milliseconds reconnect_interval{500};
    // One line per connect/disconnect; never APDU contents. Null: silent.
    std::function<void(std::string_view)> log;
  };

  // The card must outlive the link; it is only used from the thread running Run().
  VpcdLink(ApduHandler& card, Options options);
  ~VpcdLink();
  VpcdLink(const VpcdLink&) = delete;
  VpcdLink& operator=(const VpcdLink&) = delete;

  // Serves vpcd until Stop(). Returns OK after Stop(); an error only for local failures
  // (e.g. the wake-up pipe cannot be created).
  absl::Status Run();
  // Safe from a signal handler and from other threads.
  void Stop();

  // Number of completed connections to vpcd (for tests).
  int connections() const { return connections_.load(); }

 private:
  enum class SessionEnd { kPeerClosed, kError, kStopped };
  // Connects once; -1 when vpcd is not reachable or Stop() was called.
  int Connect();
  SessionEnd Serve(int fd, std::string* reason);
  // Waits for `fd` to be readable (or writable), or for Stop(); false on stop.
  bool WaitFor(int fd, bool write, int timeout_ms);
  bool ReadExact(int fd, uint8_t* buffer, size_t size, std::string* reason, bool* stopped);
  bool WriteMessage(int fd, ByteView payload, std::string* reason);
  void Log(std::string_view line) const;

  ApduHandler& card_;
  Options options_;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  Bytes atr_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_VPCD_LINK_H_
