#include "uicc/modem/at_response.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gbabridge::modem {
namespace {

absl::string_view Abs(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value after "PREFIX" (case-insensitive), trimmed; nullopt when the line lacks it.
std::optional<std::string_view> After(std::string_view line, std::string_view prefix) {
  if (line.size() < prefix.size() ||
      !absl::EqualsIgnoreCase(Abs(line.substr(0, prefix.size())), Abs(prefix))) {
    return std::nullopt;
  }
  return Trim(line.substr(prefix.size()));
}

std::optional<int> Number(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int n = 0;
  if (!absl::SimpleAtoi(Abs(s), &n)) return std::nullopt;
  return n;
}

std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  const std::string h = absl::AsciiStrToLower(Abs(haystack));
  const std::string n = absl::AsciiStrToLower(Abs(needle));
  return h.find(n) != std::string::npos;
}

}  // namespace

absl::Status AtLineSplitter::Append(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      if (!partial_.empty()) lines_.push_back(std::move(partial_));
      partial_.clear();
      continue;
    }
    if (partial_.size() >= kMaxAtLineLength) {
      partial_.clear();
      return absl::DataLossError(
          absl::StrCat("the modem sent a line longer than ", kMaxAtLineLength, " characters"));
    }
    partial_.push_back(c);
  }
  return absl::OkStatus();
}

std::optional<std::string> AtLineSplitter::NextLine() {
  if (next_ >= lines_.size()) {
    lines_.clear();
    next_ = 0;
    return std::nullopt;
  }
  return std::move(lines_[next_++]);
}

void AtLineSplitter::Clear() {
  partial_.clear();
  lines_.clear();
  next_ = 0;
}

std::optional<AtFinalResult> ParseFinalResult(std::string_view raw) {
  const std::string_view line = Trim(raw);
  // V.250 §5.7.1: OK and ERROR, or 0 and 4 in numeric mode (ATV0).
  if (absl::EqualsIgnoreCase(Abs(line), "OK") || line == "0") return AtFinalResult{};
  if (absl::EqualsIgnoreCase(Abs(line), "ERROR") || line == "4") {
    return AtFinalResult{.kind = AtFinalKind::kError, .code = -1, .text = ""};
  }
  // TS 27.007 §9.2: +CME ERROR: <err>, numeric (AT+CMEE=1) or verbose (AT+CMEE=2); the
  // SMS commands' +CMS ERROR (TS 27.005 §3.2.5) ends a command the same way.
  for (auto [prefix, kind] : {std::pair{std::string_view("+CME ERROR:"), AtFinalKind::kCmeError},
                              std::pair{std::string_view("+CMS ERROR:"), AtFinalKind::kCmsError}}) {
    if (std::optional<std::string_view> value = After(line, prefix)) {
      AtFinalResult final{.kind = kind, .code = -1, .text = ""};
      if (std::optional<int> n = Number(*value)) {
        final.code = *n;
      } else {
        final.text = std::string(Unquote(*value));
      }
      return final;
    }
  }
  return std::nullopt;
}

std::string DescribeFinal(const AtFinalResult& final) {
  switch (final.kind) {
    case AtFinalKind::kOk:
      return "OK";
    case AtFinalKind::kError:
      return "ERROR";
    case AtFinalKind::kCmeError:
    case AtFinalKind::kCmsError:
      return absl::StrCat(final.kind == AtFinalKind::kCmeError ? "+CME ERROR: " : "+CMS ERROR: ",
                          final.code >= 0 ? absl::StrCat(final.code) : final.text);
  }
  return "?";
}

std::string_view SimStateName(SimState state) {
  switch (state) {
    case SimState::kReady:
      return "ready";
    case SimState::kPinRequired:
      return "PIN required";
    case SimState::kPukRequired:
      return "PUK required";
    case SimState::kLocked:
      return "locked";
    case SimState::kNotInserted:
      return "not inserted";
    case SimState::kBusy:
      return "busy";
    case SimState::kFailure:
      return "failure";
  }
  return "?";
}

bool SimPresent(SimState state) {
  return state != SimState::kNotInserted && state != SimState::kFailure;
}

std::optional<SimState> ParseCpinLine(std::string_view line) {
  std::optional<std::string_view> value = After(Trim(line), "+CPIN:");
  if (!value.has_value()) return std::nullopt;
  const std::string_view code = Unquote(*value);
  // TS 27.007 §8.3 <code>.
  if (absl::EqualsIgnoreCase(Abs(code), "READY")) return SimState::kReady;
  if (absl::EqualsIgnoreCase(Abs(code), "SIM PIN")) return SimState::kPinRequired;
  if (absl::EqualsIgnoreCase(Abs(code), "SIM PUK")) return SimState::kPukRequired;
  // Not in §8.3 but common as a URC: the SIM went away or is starting.
  if (Contains(code, "NOT INSERTED") || Contains(code, "REMOVED")) return SimState::kNotInserted;
  if (absl::EqualsIgnoreCase(Abs(code), "NOT READY")) return SimState::kBusy;
  if (code.empty()) return std::nullopt;
  return SimState::kLocked;
}

std::optional<SimState> SimStateFromError(const AtFinalResult& final) {
  if (final.kind != AtFinalKind::kCmeError) return std::nullopt;
  // TS 27.007 §9.2.1: 10 SIM not inserted, 11 SIM PIN required, 12 SIM PUK required,
  // 13 SIM failure, 14 SIM busy, 15 SIM wrong.
  switch (final.code) {
    case 10:
      return SimState::kNotInserted;
    case 11:
      return SimState::kPinRequired;
    case 12:
      return SimState::kPukRequired;
    case 13:
    case 15:
      return SimState::kFailure;
    case 14:
      return SimState::kBusy;
    default:
      break;
  }
  if (final.code >= 0) return std::nullopt;
  const std::string& t = final.text;
  if (Contains(t, "SIM not inserted")) return SimState::kNotInserted;
  if (Contains(t, "SIM PIN required")) return SimState::kPinRequired;
  if (Contains(t, "SIM PUK required")) return SimState::kPukRequired;
  if (Contains(t, "SIM failure") || Contains(t, "SIM wrong")) return SimState::kFailure;
  if (Contains(t, "SIM busy")) return SimState::kBusy;
  return std::nullopt;
}

std::optional<SimEvent> ParseSimUrc(std::string_view raw) {
  const std::string_view line = Trim(raw);
  if (std::optional<SimState> cpin = ParseCpinLine(line)) return SimEvent{*cpin};
  auto state_of = [](std::optional<int> n, int present_value) -> std::optional<SimEvent> {
    if (!n.has_value()) return std::nullopt;
    return SimEvent{*n == present_value ? SimState::kReady : SimState::kNotInserted};
  };
  // Quectel: +QUSIM: 1 (USIM ready); +QSIMSTAT: <enable>,<inserted>.
  if (std::optional<std::string_view> v = After(line, "+QSIMSTAT:")) {
    const size_t comma = v->find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    return state_of(Number(v->substr(comma + 1)), 1);
  }
  // u-blox +UUSIMSTAT: <state> (0 not present, 1 PIN needed, 2 PIN blocked, 3 PUK blocked,
  // 4 not operational, 5 restricted, 6 operational, ...).
  if (std::optional<std::string_view> v = After(line, "+UUSIMSTAT:")) {
    std::optional<int> n = Number(v->substr(0, v->find(',')));
    if (!n.has_value()) return std::nullopt;
    if (*n == 0) return SimEvent{SimState::kNotInserted};
    if (*n == 1) return SimEvent{SimState::kPinRequired};
    if (*n == 2 || *n == 3) return SimEvent{SimState::kPukRequired};
    if (*n == 4) return SimEvent{SimState::kFailure};
    return SimEvent{SimState::kReady};
  }
  // Huawei/Sierra ^SIMST: <state> (0 invalid, 1 valid, 255 not present).
  if (std::optional<std::string_view> v = After(line, "^SIMST:")) {
    std::optional<int> n = Number(v->substr(0, v->find(',')));
    if (!n.has_value()) return std::nullopt;
    return SimEvent{*n == 1 ? SimState::kReady
                            : (*n == 255 ? SimState::kNotInserted : SimState::kFailure)};
  }
  // SIMCom: +SIMCARD: NOT AVAILABLE.
  if (std::optional<std::string_view> v = After(line, "+SIMCARD:")) {
    return SimEvent{Contains(*v, "NOT AVAILABLE") ? SimState::kNotInserted : SimState::kReady};
  }
  // Telit #QSS: <status> (0 not inserted, 1 inserted, 2 unlocked, 3 ready).
  if (std::optional<std::string_view> v = After(line, "#QSS:")) {
    std::optional<int> n = Number(v->substr(0, v->find(',')));
    if (!n.has_value()) return std::nullopt;
    return SimEvent{*n == 0 ? SimState::kNotInserted : SimState::kReady};
  }
  // +CIEV: simstat,<0|1> (some modems name the indicator).
  if (std::optional<std::string_view> v = After(line, "+CIEV:")) {
    if (!Contains(*v, "simstat")) return std::nullopt;
    const size_t comma = v->find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    return state_of(Number(v->substr(comma + 1)), 1);
  }
  return std::nullopt;
}

absl::StatusOr<Bytes> ParseApduAnswer(std::string_view raw, std::string_view prefix_view) {
  const absl::string_view prefix = Abs(prefix_view);
  std::optional<std::string_view> value = After(Trim(raw), prefix_view);
  if (!value.has_value()) {
    return absl::DataLossError(absl::StrCat("expected ", prefix, " in the modem's answer"));
  }
  const size_t comma = value->find(',');
  if (comma == std::string_view::npos) {
    return absl::DataLossError(absl::StrCat(prefix, " answer without a length"));
  }
  std::optional<int> length = Number(value->substr(0, comma));
  if (!length.has_value()) {
    return absl::DataLossError(absl::StrCat(prefix, " answer with a bad length"));
  }
  const std::string_view hex = Unquote(value->substr(comma + 1));
  // TS 27.007 §8.17: <length> is the number of characters of <response>, two per byte;
  // SW1 SW2 at least.
  if (static_cast<size_t>(*length) != hex.size()) {
    return absl::DataLossError(absl::StrCat(prefix, " length ", *length, " does not match the ",
                                            hex.size(), " characters of the response"));
  }
  if (hex.size() < 4 || hex.size() % 2 != 0) {
    return absl::DataLossError(
        absl::StrCat(prefix, " response of ", hex.size(), " characters is no response APDU"));
  }
  // Hex digits only: HexDecode would skip the separators ' ' and ':', and "6A:2" would come
  // back as one byte, no status word.
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::DataLossError(absl::StrCat(prefix, " response is not hex"));
    }
  }
  absl::StatusOr<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok()) return absl::DataLossError(absl::StrCat(prefix, " response is not hex"));
  return bytes;
}

absl::StatusOr<int> ParseCchoAnswer(std::string_view raw) {
  std::string_view line = Trim(raw);
  if (std::optional<std::string_view> v = After(line, "+CCHO:")) line = *v;
  std::optional<int> n = Number(Unquote(line));
  if (!n.has_value()) return absl::DataLossError("AT+CCHO answer is not a session id");
  return *n;
}

AtAnswer::AtAnswer(std::string command, std::string prefix, bool bare_numbers)
    : command_(std::move(command)), prefix_(std::move(prefix)), bare_numbers_(bare_numbers) {}

bool AtAnswer::Feed(std::string_view raw) {
  if (final_.has_value()) return true;
  const std::string_view line = Trim(raw);
  if (line.empty()) return false;
  // The echo (ATE1, or a modem that ignores ATE0).
  if (absl::EqualsIgnoreCase(Abs(line), Abs(command_))) return false;
  if (std::optional<AtFinalResult> final = ParseFinalResult(line)) {
    final_ = std::move(*final);
    return true;
  }
  if (!prefix_.empty() && After(line, prefix_).has_value()) {
    info_.emplace_back(line);
    return false;
  }
  if (bare_numbers_ && Number(line).has_value()) {
    info_.emplace_back(line);
    return false;
  }
  unsolicited_.emplace_back(line);
  return false;
}

}  // namespace gbabridge::modem
