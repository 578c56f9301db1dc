#include "uicc/soft_usim/at_modem_simulator.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

constexpr char kEol[] = "\r\n";
// TS 27.007 §9.2.1.
constexpr int kCmeOperationNotSupported = 4;
constexpr int kCmeSimNotInserted = 10;
constexpr int kCmeInvalidParameters = 50;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         absl::EqualsIgnoreCase(absl::string_view(s.data(), prefix.size()),
                                absl::string_view(prefix.data(), prefix.size()));
}

std::string_view Unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

uint16_t Sw(const Bytes& r) {
  return r.size() < 2 ? 0 : static_cast<uint16_t>((r[r.size() - 2] << 8) | r.back());
}

}  // namespace

absl::StatusOr<AtModemQuirks> ParseAtModemQuirks(std::string_view spec) {
  AtModemQuirks q;
  for (absl::string_view item :
       absl::StrSplit(absl::string_view(spec.data(), spec.size()), ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "echo-stuck") {
      q.echo_stuck = true;
    } else if (item == "no-logical-channels") {
      q.no_logical_channels = true;
    } else if (item == "bare-ccho") {
      q.bare_ccho = true;
    } else if (item == "pass-61xx") {
      q.pass_61xx = true;
    } else if (item == "refuse-get-response") {
      q.refuse_get_response = true;
    } else if (item == "reselect-mf") {
      q.reselect_mf = true;
    } else if (item == "urc-between") {
      q.urc_between = "+QIND: \"csq\",20,99";
    } else if (item == "stall-authenticate") {
      q.stall_first_authenticate = true;
    } else if (absl::StartsWith(item, "cme-error=")) {
      if (!absl::SimpleAtoi(item.substr(10), &q.cme_error) || q.cme_error < 0) {
        return absl::InvalidArgumentError(absl::StrCat("bad quirk ", item));
      }
    } else if (item == "verbose-errors") {
      q.verbose_errors = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown modem quirk '", item,
          "' (echo-stuck, no-logical-channels, bare-ccho, pass-61xx, refuse-get-response, "
          "reselect-mf, urc-between, stall-authenticate, cme-error=N, verbose-errors)"));
    }
  }
  return q;
}

AtModemSimulator::AtModemSimulator(ApduHandler& card, AtModemSimulatorOptions options)
    : card_(card), options_(std::move(options)), sim_inserted_(options_.sim_inserted) {}

absl::StatusOr<std::unique_ptr<AtModemSimulator>> AtModemSimulator::Start(
    ApduHandler& card, AtModemSimulatorOptions options) {
  if (options.link_path.empty()) return absl::InvalidArgumentError("the modem needs a link path");
  std::unique_ptr<AtModemSimulator> sim(new AtModemSimulator(card, std::move(options)));
  if (::pipe2(sim->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  if (absl::Status plugged = sim->Plug(); !plugged.ok()) return plugged;
  card.Reset();
  sim->thread_ = std::thread([s = sim.get()] { s->Run(); });
  return sim;
}

AtModemSimulator::~AtModemSimulator() {
  Stop();
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

absl::Status AtModemSimulator::Plug() {
  int master = -1;
  int slave = -1;
  char name[256] = {};
  if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) {
    return absl::InternalError(absl::StrCat("openpty: ", std::strerror(errno)));
  }
  // Raw at once: the line discipline must not echo or translate what either side sends
  // before the host sets the port up.
  termios tio{};
  ::tcgetattr(slave, &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(slave, TCSANOW, &tio);
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  std::error_code ec;
  std::filesystem::remove(options_.link_path, ec);
  std::filesystem::create_symlink(name, options_.link_path, ec);
  if (ec) {
    ::close(master);
    ::close(slave);
    return absl::InternalError(
        absl::StrCat("cannot link ", options_.link_path, " to ", name, ": ", ec.message()));
  }
  master_ = master;
  slave_ = slave;
  plugged_ = true;
  input_.clear();
  echo_ = true;  // a modem comes up with echo on (V.250 §6.2.4)
  cmee_ = 0;
  return absl::OkStatus();
}

void AtModemSimulator::UnplugNow() {
  if (!plugged_) return;
  std::error_code ec;
  std::filesystem::remove(options_.link_path, ec);
  ::close(slave_);
  ::close(master_);  // the host's reads now fail with EIO
  master_ = slave_ = -1;
  plugged_ = false;
}

void AtModemSimulator::Submit(Request request) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t before = requests_done_;
  int expected = kNone;
  while (!pending_.compare_exchange_weak(expected, request)) {
    expected = kNone;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    lock.lock();
  }
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "w", 1);
  done_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return requests_done_ > before; });
}

void AtModemSimulator::ToggleSimFromSignal() {
  int expected = kNone;
  pending_.compare_exchange_strong(expected, kToggleSim);
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "s", 1);
}

void AtModemSimulator::TogglePlugFromSignal() {
  int expected = kNone;
  pending_.compare_exchange_strong(expected, kTogglePlug);
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "p", 1);
}

void AtModemSimulator::RemoveSim() { Submit(kRemove); }
void AtModemSimulator::InsertSim() { Submit(kInsert); }
void AtModemSimulator::Unplug() { Submit(kUnplug); }
void AtModemSimulator::Replug() { Submit(kReplug); }

void AtModemSimulator::Stop() {
  if (stopping_.exchange(true)) return;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  UnplugNow();
}

void AtModemSimulator::Apply(Request request) {
  switch (request) {
    case kToggleSim:
      Apply(sim_inserted_ ? kRemove : kInsert);
      return;
    case kTogglePlug:
      Apply(plugged_ ? kUnplug : kReplug);
      return;
    case kRemove:
      if (!sim_inserted_) return;
      sim_inserted_ = false;
      Send(absl::StrCat(kEol, "+CPIN: NOT READY", kEol, kEol, "+QSIMSTAT: 1,0", kEol));
      return;
    case kInsert:
      if (sim_inserted_) return;
      sim_inserted_ = true;
      card_.Reset();
      Send(absl::StrCat(kEol, "+QSIMSTAT: 1,1", kEol, kEol, "+CPIN: READY", kEol));
      return;
    case kUnplug:
      UnplugNow();
      return;
    case kReplug:
      if (plugged_) return;
      if (!Plug().ok()) return;
      card_.Reset();  // the modem restarted: a new card session
      return;
    case kNone:
      return;
  }
}

void AtModemSimulator::Send(const std::string& text) {
  if (!plugged_) return;
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(master_, rest.data(), rest.size());
    if (n > 0) {
      rest.remove_prefix(static_cast<size_t>(n));
      bytes_out_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{.fd = master_, .events = POLLOUT, .revents = 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return;
  }
}

void AtModemSimulator::Run() {
  while (!stopping_) {
    std::vector<pollfd> fds = {{.fd = wake_[0], .events = POLLIN, .revents = 0}};
    if (plugged_) fds.push_back({.fd = master_, .events = POLLIN, .revents = 0});
    ::poll(fds.data(), fds.size(), 200);
    if ((fds[0].revents & POLLIN) != 0) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (stopping_) break;
    if (const int request = pending_.exchange(kNone); request != kNone) {
      Apply(static_cast<Request>(request));
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_done_;
      done_cv_.notify_all();
    }
    if (!plugged_ || fds.size() < 2 || (fds[1].revents & POLLIN) == 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(master_, buffer, sizeof(buffer));
    if (n <= 0) continue;
    bytes_in_ += static_cast<uint64_t>(n);
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[i];
      if (c == '\n') continue;
      if (c != '\r') {
        if (input_.size() < 4096) input_.push_back(c);
        continue;
      }
      std::string line = std::move(input_);
      input_.clear();
      if (!line.empty()) HandleLine(line);
    }
  }
}

void AtModemSimulator::HandleLine(const std::string& line) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t out_before = bytes_out_;
  // V.250 §5.2.1: the echo goes back as received, before the answer.
  if (echo_) Send(line + "\r");
  std::string answer = HandleCommand(line);
  if (answer.empty()) return;  // stalled: no answer at all
  if (options_.baud > 0) {
    // The bytes of command and answer at 10 bits each (8N1) on a line of this baud.
    const uint64_t bits = (line.size() + 1 + (bytes_out_ - out_before) + answer.size()) * 10;
    const auto wire =
        std::chrono::microseconds(bits * 1000000 / static_cast<uint64_t>(options_.baud));
    std::this_thread::sleep_until(start + wire);
  }
  Send(answer);
}

std::string AtModemSimulator::Error(int code, const char* text) const {
  // TS 27.007 §9.1: AT+CMEE=0 plain ERROR, 1 numeric, 2 verbose.
  const int mode = options_.quirks.verbose_errors ? 2 : cmee_;
  if (mode == 0) return absl::StrCat(kEol, "ERROR", kEol);
  if (mode == 1) return absl::StrCat(kEol, "+CME ERROR: ", code, kEol);
  return absl::StrCat(kEol, "+CME ERROR: ", text, kEol);
}

Bytes AtModemSimulator::Exchange(ByteView apdu) {
  ++apdus_;
  Bytes response = card_.Process(apdu);
  if (!options_.quirks.pass_61xx && response.size() == 2 && response[0] == 0x61) {
    // Most modems run the T=0 GET RESPONSE themselves and hand back data || 9000.
    const uint8_t channel = apdu.empty() ? 0 : (apdu[0] & 0x03);
    const Bytes get_response = {channel, 0xC0, 0x00, 0x00, response[1]};
    Cleanse(std::span<uint8_t>(response));
    response = card_.Process(get_response);
  }
  return response;
}

std::string AtModemSimulator::ApduAnswer(const std::string& prefix, const std::string& hex,
                                         int length) {
  const AtModemQuirks& q = options_.quirks;
  if (!sim_inserted_) return Error(kCmeSimNotInserted, "SIM not inserted");
  if (length < 0 || static_cast<size_t>(length) != hex.size() || hex.size() % 2 != 0) {
    return Error(kCmeInvalidParameters, "Incorrect parameters");
  }
  absl::StatusOr<Bytes> apdu = HexDecode(hex);
  if (!apdu.ok() || apdu->size() < 4) return Error(kCmeInvalidParameters, "Incorrect parameters");
  if (q.cme_error >= 0) return Error(q.cme_error, "SIM failure");
  const uint8_t ins = (*apdu)[1];
  if (q.refuse_get_response && ins == 0xC0) return absl::StrCat(kEol, "ERROR", kEol);
  if (q.stall_first_authenticate && ins == 0x88 && !stalled_once_) {
    stalled_once_ = true;
    return "";
  }
  if (q.reselect_mf && prefix == "+CSIM" && ins != 0xC0 && ++csim_count_ % 8 == 0) {
    // What a modem's own SIM polling does on the basic channel now and then: select the MF
    // (its answer is not ours).
    const Bytes select_mf = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};
    card_.Process(select_mf);
  }
  Bytes response = Exchange(*apdu);
  Cleanse(std::span<uint8_t>(*apdu));
  const std::string out = HexEncode(response);
  Cleanse(std::span<uint8_t>(response));
  std::string answer;
  if (!q.urc_between.empty()) absl::StrAppend(&answer, kEol, q.urc_between, kEol);
  absl::StrAppend(&answer, kEol, prefix, ": ", out.size(), ",\"", out, "\"", kEol, kEol, "OK",
                  kEol);
  return answer;
}

std::string AtModemSimulator::HandleCommand(const std::string& raw) {
  const std::string command(absl::StripAsciiWhitespace(raw));
  const std::string ok = absl::StrCat(kEol, "OK", kEol);
  if (!StartsWithNoCase(command, "AT")) return absl::StrCat(kEol, "ERROR", kEol);
  const std::string body = command.substr(2);
  if (body.empty()) return ok;
  if (absl::EqualsIgnoreCase(body, "E0")) {
    if (!options_.quirks.echo_stuck) echo_ = false;
    return ok;
  }
  if (absl::EqualsIgnoreCase(body, "E1")) {
    echo_ = true;
    return ok;
  }
  if (StartsWithNoCase(body, "+CMEE=")) {
    int mode = 0;
    if (!absl::SimpleAtoi(body.substr(6), &mode) || mode < 0 || mode > 2) {
      return absl::StrCat(kEol, "ERROR", kEol);
    }
    cmee_ = mode;
    return ok;
  }
  if (absl::EqualsIgnoreCase(body, "+CPIN?")) {
    if (!sim_inserted_) return Error(kCmeSimNotInserted, "SIM not inserted");
    return absl::StrCat(kEol, "+CPIN: READY", kEol, ok);
  }
  if (StartsWithNoCase(body, "+CSIM=")) {
    // +CSIM=<length>,<command>
    const std::vector<std::string> parts = absl::StrSplit(body.substr(6), absl::MaxSplits(',', 1));
    int length = -1;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &length)) {
      return Error(kCmeInvalidParameters, "Incorrect parameters");
    }
    return ApduAnswer("+CSIM", std::string(Unquote(parts[1])), length);
  }
  if (StartsWithNoCase(body, "+CCHO=")) {
    if (options_.quirks.no_logical_channels) {
      return Error(kCmeOperationNotSupported, "operation not supported");
    }
    if (!sim_inserted_) return Error(kCmeSimNotInserted, "SIM not inserted");
    absl::StatusOr<Bytes> aid = HexDecode(Unquote(body.substr(6)));
    if (!aid.ok() || aid->empty() || aid->size() > 16) {
      return Error(kCmeInvalidParameters, "Incorrect parameters");
    }
    // TS 27.007 §8.45: the MT opens a channel (MANAGE CHANNEL) and selects the application.
    const Bytes open = {0x00, 0x70, 0x00, 0x00, 0x01};
    const Bytes opened = card_.Process(open);
    if (Sw(opened) != 0x9000 || opened.size() != 3) {
      return Error(kCmeOperationNotSupported, "operation not supported");
    }
    const uint8_t channel = opened[0];
    Bytes select = {channel, 0xA4, 0x04, 0x04, static_cast<uint8_t>(aid->size())};
    select.insert(select.end(), aid->begin(), aid->end());
    select.push_back(0x00);
    const Bytes selected = Exchange(select);
    const bool selected_ok =
        Sw(selected) == 0x9000 || (selected.size() == 2 && selected[0] == 0x61);
    if (!selected_ok) {
      const Bytes close = {0x00, 0x70, 0x80, channel, 0x00};
      card_.Process(close);
      return Error(kCmeOperationNotSupported, "operation not supported");
    }
    if (options_.quirks.bare_ccho) return absl::StrCat(kEol, int{channel}, kEol, ok);
    return absl::StrCat(kEol, "+CCHO: ", int{channel}, kEol, ok);
  }
  if (StartsWithNoCase(body, "+CGLA=")) {
    if (options_.quirks.no_logical_channels) {
      return Error(kCmeOperationNotSupported, "operation not supported");
    }
    // +CGLA=<sessionid>,<length>,<command>
    const std::vector<std::string> parts = absl::StrSplit(body.substr(6), absl::MaxSplits(',', 2));
    int session = -1;
    int length = -1;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &session) ||
        !absl::SimpleAtoi(parts[1], &length) || session < 1 || session > 3) {
      return Error(kCmeInvalidParameters, "Incorrect parameters");
    }
    return ApduAnswer("+CGLA", std::string(Unquote(parts[2])), length);
  }
  if (StartsWithNoCase(body, "+CCHC=")) {
    int session = -1;
    if (!absl::SimpleAtoi(body.substr(6), &session) || session < 1 || session > 3) {
      return Error(kCmeInvalidParameters, "Incorrect parameters");
    }
    if (!sim_inserted_) return Error(kCmeSimNotInserted, "SIM not inserted");
    const Bytes close = {0x00, 0x70, 0x80, static_cast<uint8_t>(session), 0x00};
    card_.Process(close);
    return ok;
  }
  return absl::StrCat(kEol, "ERROR", kEol);
}

}  // namespace gbabridge
