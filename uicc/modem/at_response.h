// What a modem answers on its AT port (3GPP TS 27.007, ITU-T V.250 §5.7), parsed without
// any I/O so that every byte the modem can send is checked in one place (and fuzzed:
// tests/fuzz/at_response_fuzz.cc).
//
// An answer is: maybe the echo of the command, information lines, then one final result
// code (OK, ERROR, +CME ERROR: <n|text>). Unsolicited result codes (URCs) can arrive between
// any two lines; they are told apart from the answer by the prefix the command expects
// (+CSIM:, +CGLA:, +CPIN:, ...). SIM-related URCs are card events.
#ifndef GBABRIDGE_UICC_MODEM_AT_RESPONSE_H_
#define GBABRIDGE_UICC_MODEM_AT_RESPONSE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge::modem {

// The longest line accepted from a modem: an AT+CSIM answer for a 256-byte response with
// its status word is 2 * 258 hex digits plus the prefix and the length.
inline constexpr size_t kMaxAtLineLength = 1024;

// Splits the modem's byte stream into lines (ended by CR and/or LF; empty lines dropped).
class AtLineSplitter {
 public:
  // Appends bytes; complete lines become available through NextLine(). A line longer than
  // kMaxAtLineLength is an error (the stream is out of step; the caller resynchronises).
  absl::Status Append(std::string_view bytes);
  std::optional<std::string> NextLine();
  void Clear();

 private:
  std::string partial_;
  std::vector<std::string> lines_;
  size_t next_ = 0;
};

enum class AtFinalKind { kOk, kError, kCmeError, kCmsError };

struct AtFinalResult {
  AtFinalKind kind = AtFinalKind::kOk;
  int code = -1;     // +CME/+CMS ERROR: the numeric code, -1 for verbose text
  std::string text;  // +CME/+CMS ERROR: the verbose text ("SIM not inserted"), else ""
};

// The final result code on `line`, or nullopt when the line is not one (TS 27.007 §9.2,
// V.250 §5.7.1). Also takes the numeric forms 0 (OK) and 4 (ERROR) of ATV0.
std::optional<AtFinalResult> ParseFinalResult(std::string_view line);
// "+CME ERROR: 10" or "+CME ERROR: SIM not inserted", for messages.
std::string DescribeFinal(const AtFinalResult& final);

// The SIM as the modem sees it (AT+CPIN? TS 27.007 §8.3, +CME ERROR codes §9.2.1, vendor URCs).
enum class SimState {
  kReady,        // +CPIN: READY
  kPinRequired,  // +CPIN: SIM PIN (the USIM client verifies PIN1 itself)
  kPukRequired,  // +CPIN: SIM PUK
  kLocked,       // another +CPIN code (PH-SIM PIN, SIM PIN2, ...): present but not usable
  kNotInserted,  // +CME ERROR: 10, "SIM not inserted", vendor "removed" URCs
  kBusy,         // +CME ERROR: 14 SIM busy, "NOT READY": present, try again
  kFailure,      // +CME ERROR: 13 SIM failure, 15 SIM wrong
};
std::string_view SimStateName(SimState state);
// Whether a card is in the modem for this state (a locked or busy SIM is present).
bool SimPresent(SimState state);

// The state in a +CPIN: line ("+CPIN: READY"), nullopt for anything else.
std::optional<SimState> ParseCpinLine(std::string_view line);
// The SIM state a +CME ERROR names, nullopt when it is not about the SIM.
std::optional<SimState> SimStateFromError(const AtFinalResult& final);
// A SIM-related URC: +CPIN: ..., and the vendor lines of common M2M modems (Quectel
// +QUSIM/+QSIMSTAT, u-blox +UUSIMSTAT, Sierra/Huawei ^SIMST, SIMCom +SIMCARD, Telit #QSS,
// "+CIEV: simstat,..."); nullopt for other lines.
struct SimEvent {
  SimState state;
};
std::optional<SimEvent> ParseSimUrc(std::string_view line);

// "+CSIM: <length>,<response>" (TS 27.007 §8.17) or "+CGLA: ..." (§8.43): the response
// APDU (data || SW1 SW2). `length` counts hex characters and must match; the response may
// be quoted or not; at least SW1 SW2.
absl::StatusOr<Bytes> ParseApduAnswer(std::string_view line, std::string_view prefix);
// The session id of an AT+CCHO answer (§8.45): "+CCHO: <n>" or a bare "<n>".
absl::StatusOr<int> ParseCchoAnswer(std::string_view line);

// The information lines and URCs of one command's answer, fed line by line.
class AtAnswer {
 public:
  // `command` is what was sent (without CR), to recognise its echo. `prefix` starts the
  // answer's information lines ("+CSIM:"); `bare_numbers` also takes a line of digits
  // (AT+CCHO answers without a prefix on some modems).
  AtAnswer(std::string command, std::string prefix, bool bare_numbers = false);

  // Takes one line; true once the final result code has arrived.
  bool Feed(std::string_view line);

  bool complete() const { return final_.has_value(); }
  const std::optional<AtFinalResult>& final() const { return final_; }
  const std::vector<std::string>& info() const { return info_; }
  // Lines that were neither the echo, nor the answer, nor the final code.
  const std::vector<std::string>& unsolicited() const { return unsolicited_; }

 private:
  std::string command_;
  std::string prefix_;
  bool bare_numbers_;
  std::vector<std::string> info_;
  std::vector<std::string> unsolicited_;
  std::optional<AtFinalResult> final_;
};

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_AT_RESPONSE_H_
