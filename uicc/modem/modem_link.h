// ModemLink: the one connection to a modem's AT port, shared by the card transport (APDUs
// through AT+CSIM / AT+CGLA) and the card presence poll (AT+CPIN?). It serialises commands,
// (re)opens the port when it has gone and come back, greets the modem (ATE0, AT+CMEE=1),
// keeps SIM-related unsolicited result codes as card events, and resynchronises after a
// command timed out (the late answer must not be taken for the next command's).
#ifndef GBABRIDGE_UICC_MODEM_MODEM_LINK_H_
#define GBABRIDGE_UICC_MODEM_MODEM_LINK_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uicc/modem/at_response.h"
#include "uicc/modem/serial_port.h"

namespace gbabridge::modem {

struct ModemOptions {
  std::string port;                    // card.modem_port
  int baud = 115200;                   // card.modem_baud
  std::string lock_dir = "/run/lock";  // UUCP lock files; "" for none
  // How long one command may take (card.modem_command_timeout_seconds): long enough for
  // AUTHENTICATE, which runs Milenage on the card (seconds on slow cards and modems).
  absl::Duration command_timeout = absl::Seconds(10);
  // For the short housekeeping commands (AT, ATE0, AT+CPIN?).
  absl::Duration probe_timeout = absl::Seconds(3);
};

struct AtReply {
  std::vector<std::string> info;  // the information lines with the expected prefix
  AtFinalResult final;            // OK, or the error (returned as a reply, not a status)
};

class ModemLink {
 public:
  explicit ModemLink(ModemOptions options);
  ~ModemLink();
  ModemLink(const ModemLink&) = delete;
  ModemLink& operator=(const ModemLink&) = delete;

  const ModemOptions& options() const { return options_; }

  // Holds the link for a multi-command operation (a card transaction): other threads'
  // commands wait. Recursive on one thread.
  void Lock() { io_mu_.lock(); }
  void Unlock() { io_mu_.unlock(); }
  bool TryLock() { return io_mu_.try_lock(); }

  // Opens and greets the modem if the port is closed. NO_READER while there is no port.
  absl::Status EnsureOpen();
  // Sends `command` (without the trailing CR) and collects its answer: lines starting with
  // `prefix` (and digits-only lines with `bare_numbers`) until the final result code.
  // CARD_UNRESPONSIVE when no final result code came within `timeout` (default:
  // command_timeout); CARD_REMOVED when the port went away (it is then closed).
  absl::StatusOr<AtReply> Command(const std::string& command, const std::string& prefix,
                                  bool bare_numbers = false,
                                  std::optional<absl::Duration> timeout = std::nullopt);
  // AT+CPIN? (TS 27.007 §8.3): the SIM's state, nullopt when the answer names none. A SIM
  // that is not there is noted (NoteSimRemoved).
  absl::StatusOr<std::optional<SimState>> QuerySim();
  // Reads what the modem sent unasked (URCs) without sending anything.
  absl::Status ReadUnsolicited();
  void Close();

  // Moves on every (re)open and every SIM removal seen (URC, AT+CPIN?, +CME ERROR: 10): a
  // logical channel or a card session belongs to one.
  uint64_t generation() const;
  // The SIM is out (or was out): the card session of the current generation is over.
  void NoteSimRemoved();
  bool open() const;

  // SIM events seen in URCs since the previous call, in order.
  std::vector<SimEvent> TakeSimEvents();
  // Waits until a SIM event arrived or `timeout` passed, or Interrupt() was called.
  void WaitForSimEvent(absl::Duration timeout);
  void Interrupt();

  // A SIM was seen in the modem (AT+CPIN? answered): a later removal moves the generation.
  void NoteSimPresent();

  // Bytes written to and read from the port since it was created (for the benchmark's
  // wire-time limit).
  uint64_t bytes_written() const;
  uint64_t bytes_read() const;

 private:
  absl::Status OpenLocked();
  absl::Status ResynchroniseLocked();
  absl::StatusOr<AtReply> CommandLocked(const std::string& command, const std::string& prefix,
                                        bool bare_numbers, absl::Duration timeout);
  void TakeLineLocked(const std::string& line);
  absl::Status FailedLocked(absl::Status status);
  void ClosePortLocked();

  const ModemOptions options_;
  std::recursive_mutex io_mu_;  // one command (or transaction) at a time

  // Guarded by io_mu_.
  std::unique_ptr<SerialPort> port_;
  AtLineSplitter lines_;
  bool needs_resync_ = false;

  mutable std::mutex state_mu_;  // what other threads may look at without io_mu_
  std::condition_variable event_cv_;
  uint64_t generation_ = 0;
  bool open_ = false;
  bool sim_out_ = false;  // a removal was noted and no SIM has been seen since
  bool interrupted_ = false;
  std::vector<SimEvent> sim_events_;
  uint64_t bytes_written_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_MODEM_LINK_H_
