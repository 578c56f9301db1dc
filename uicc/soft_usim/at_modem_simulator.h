// AtModemSimulator: a cellular modem with a card in it, for tests and for users without
// hardware. It serves a card (soft-usim, or any ApduHandler) behind a pseudo-terminal
// (openpty(3)) speaking the AT commands gbabridge's modem transport uses: AT, ATE0/ATE1,
// AT+CMEE, AT+CPIN? (TS 27.007 §8.3), AT+CSIM (§8.17), AT+CCHO/AT+CGLA/AT+CCHC (§8.45,
// §8.43, §8.46). The pty's slave is reached through a stable symlink (`link_path`), which
// moves to a new pty when the simulated modem is unplugged and plugged in again.
//
// Quirks of real modems are switches: echo that ATE0 does not turn off, no logical
// channels, a bare AT+CCHO answer, 61xx passed through or the data returned directly,
// GET RESPONSE refused, the MF re-selected before every AT+CSIM, a URC between command and
// answer, an AUTHENTICATE that is never answered, +CME ERROR for every APDU, verbose errors.
#ifndef GBABRIDGE_UICC_SOFT_USIM_AT_MODEM_SIMULATOR_H_
#define GBABRIDGE_UICC_SOFT_USIM_AT_MODEM_SIMULATOR_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "uicc/apdu_handler.h"

namespace gbabridge {

struct AtModemQuirks {
  bool echo_stuck = false;                // echoes even after ATE0
  bool no_logical_channels = false;       // AT+CCHO answers +CME ERROR: 4 (not supported)
  bool bare_ccho = false;                 // AT+CCHO answers "<n>" without "+CCHO: "
  bool pass_61xx = false;                 // hands 61xx to the host (default: GET RESPONSE itself)
  bool refuse_get_response = false;       // an APDU with INS C0 gets ERROR
  bool reselect_mf = false;               // SELECT MF on the card before each AT+CSIM APDU
  std::string urc_between;                // e.g. "+QIND: \"csq\",20": sent before each APDU answer
  bool stall_first_authenticate = false;  // the first AUTHENTICATE never gets an answer
  int cme_error = -1;                     // every APDU command answers +CME ERROR: <n>
  bool verbose_errors = false;            // +CME ERROR: <text> whatever AT+CMEE says
};

// Parses "echo-stuck,no-logical-channels,bare-ccho,pass-61xx,refuse-get-response,
// reselect-mf,urc-between,stall-authenticate,cme-error=13,verbose-errors".
absl::StatusOr<AtModemQuirks> ParseAtModemQuirks(std::string_view spec);

struct AtModemSimulatorOptions {
  std::string link_path;  // the symlink the host opens, e.g. /tmp/x/ttyGBA0
  AtModemQuirks quirks;
  // > 0: paces the exchange as a serial line at this baud would (10 bits a byte, 8N1):
  // each command's answer waits for the bytes of command and answer to "cross the wire".
  int baud = 0;
  bool sim_inserted = true;
};

class AtModemSimulator {
 public:
  // Opens the pty, points the symlink at it and starts serving on a thread. `card` must
  // outlive the simulator; only the simulator's thread touches it.
  static absl::StatusOr<std::unique_ptr<AtModemSimulator>> Start(ApduHandler& card,
                                                                 AtModemSimulatorOptions options);
  ~AtModemSimulator();  // Stop()
  AtModemSimulator(const AtModemSimulator&) = delete;
  AtModemSimulator& operator=(const AtModemSimulator&) = delete;

  const std::string& link_path() const { return options_.link_path; }

  // Each waits until the simulator thread has done it.
  void RemoveSim();  // AT+CPIN? says +CME ERROR: 10; URC "+CPIN: NOT READY", "+QSIMSTAT: 1,0"
  void InsertSim();  // a fresh card session (reset); URC "+CPIN: READY", "+QSIMSTAT: 1,1"
  void Unplug();     // the pty goes away (the host reads EIO), the symlink with it
  void Replug();     // a new pty behind the symlink
  void Stop();

  // Async-signal-safe: toggles the SIM or the plug (soft-usim --modem maps SIGUSR1, SIGUSR2).
  void ToggleSimFromSignal();
  void TogglePlugFromSignal();

  uint64_t bytes_from_host() const { return bytes_in_; }
  uint64_t bytes_to_host() const { return bytes_out_; }
  uint64_t apdus() const { return apdus_; }

 private:
  enum Request : int { kNone = 0, kRemove, kInsert, kUnplug, kReplug, kToggleSim, kTogglePlug };
  AtModemSimulator(ApduHandler& card, AtModemSimulatorOptions options);
  absl::Status Plug();
  void UnplugNow();
  void Run();
  void Submit(Request request);
  void Apply(Request request);
  void HandleLine(const std::string& line);
  std::string HandleCommand(const std::string& command);
  std::string ApduAnswer(const std::string& prefix, const std::string& hex, int length);
  Bytes Exchange(ByteView apdu);
  std::string Error(int code, const char* text) const;
  void Send(const std::string& text);

  ApduHandler& card_;
  AtModemSimulatorOptions options_;
  int master_ = -1;
  int slave_ = -1;  // kept open so that the master never sees a hang-up
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> pending_{kNone};
  std::mutex mu_;
  std::condition_variable done_cv_;
  uint64_t requests_done_ = 0;

  // Simulator thread only.
  std::string input_;
  bool echo_ = true;
  int cmee_ = 0;
  bool sim_inserted_;
  bool plugged_ = false;
  bool stalled_once_ = false;
  uint64_t csim_count_ = 0;
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<uint64_t> apdus_{0};
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_AT_MODEM_SIMULATOR_H_
