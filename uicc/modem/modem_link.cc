#include "uicc/modem/modem_link.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "uicc/card_error.h"

namespace gbabridge::modem {
namespace {

constexpr char kCr[] = "\r";

}  // namespace

ModemLink::ModemLink(ModemOptions options) : options_(std::move(options)) {}

ModemLink::~ModemLink() { Close(); }

uint64_t ModemLink::generation() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return generation_;
}

void ModemLink::NoteSimRemoved() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (!sim_out_) ++generation_;
  sim_out_ = true;
}

void ModemLink::NoteSimPresent() {
  std::lock_guard<std::mutex> lock(state_mu_);
  sim_out_ = false;
}

bool ModemLink::open() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return open_;
}

uint64_t ModemLink::bytes_written() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return bytes_written_;
}

uint64_t ModemLink::bytes_read() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return bytes_read_;
}

void ModemLink::Close() {
  std::lock_guard<std::recursive_mutex> io(io_mu_);
  ClosePortLocked();
  needs_resync_ = false;
}

void ModemLink::ClosePortLocked() {
  port_.reset();
  lines_.Clear();
  std::lock_guard<std::mutex> lock(state_mu_);
  open_ = false;
}

absl::StatusOr<std::optional<SimState>> ModemLink::QuerySim() {
  absl::StatusOr<AtReply> cpin = Command("AT+CPIN?", "+CPIN:", false, options_.probe_timeout);
  if (!cpin.ok()) return cpin.status();
  std::optional<SimState> state;
  if (!cpin->info.empty()) state = ParseCpinLine(cpin->info.front());
  if (cpin->final.kind != AtFinalKind::kOk) state = SimStateFromError(cpin->final);
  if (state.has_value() && !SimPresent(*state)) NoteSimRemoved();
  return state;
}

absl::Status ModemLink::EnsureOpen() {
  std::lock_guard<std::recursive_mutex> io(io_mu_);
  if (port_ != nullptr) return absl::OkStatus();
  return OpenLocked();
}

absl::Status ModemLink::OpenLocked() {
  absl::StatusOr<std::unique_ptr<SerialPort>> port = SerialPort::Open(
      {.path = options_.port, .baud = options_.baud, .lock_dir = options_.lock_dir});
  if (!port.ok()) return port.status();
  port_ = *std::move(port);
  lines_.Clear();
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    ++generation_;
    open_ = true;
  }
  // V.250 §6.2.4: ATE0, no echo (the answer parser takes an echo anyway); a modem that has
  // just been plugged in may swallow the first command, hence the resynchronisation.
  needs_resync_ = true;
  if (absl::Status synced = ResynchroniseLocked(); !synced.ok()) return FailedLocked(synced);
  absl::StatusOr<AtReply> echo_off = CommandLocked("ATE0", "", false, options_.probe_timeout);
  if (!echo_off.ok()) return FailedLocked(echo_off.status());
  // TS 27.007 §9.1: numeric +CME ERROR codes (verbose ones are parsed too).
  absl::StatusOr<AtReply> cmee = CommandLocked("AT+CMEE=1", "", false, options_.probe_timeout);
  if (!cmee.ok()) return FailedLocked(cmee.status());
  return absl::OkStatus();
}

absl::Status ModemLink::FailedLocked(absl::Status status) {
  // A port that vanished: close; the next command reopens it. (A command that timed out
  // keeps the port: the next command resynchronises first.)
  if (GetCardErrorReason(status) == CardErrorReason::kCardRemoved) ClosePortLocked();
  return status;
}

absl::Status ModemLink::ResynchroniseLocked() {
  if (!needs_resync_) return absl::OkStatus();
  // A late answer to a command that timed out may still be on its way: drop it, then make
  // sure the modem answers a plain AT before anything else is sent.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_->DiscardInput();
    lines_.Clear();
    absl::StatusOr<AtReply> at = CommandLocked("AT", "", false, options_.probe_timeout);
    if (at.ok() && at->final.kind == AtFinalKind::kOk) {
      needs_resync_ = false;
      return absl::OkStatus();
    }
    if (!at.ok() && GetCardErrorReason(at.status()) == CardErrorReason::kCardRemoved) {
      return at.status();
    }
  }
  // Not even AT: start again from a fresh open next time.
  ClosePortLocked();
  return CardError(CardErrorReason::kCardUnresponsive,
                   absl::StrCat("the modem at ", options_.port, " does not answer AT"));
}

void ModemLink::TakeLineLocked(const std::string& line) {
  if (std::optional<SimEvent> event = ParseSimUrc(line)) {
    if (!SimPresent(event->state)) NoteSimRemoved();
    std::lock_guard<std::mutex> lock(state_mu_);
    if (SimPresent(event->state)) sim_out_ = false;
    sim_events_.push_back(*event);
    event_cv_.notify_all();
  }
}

absl::StatusOr<AtReply> ModemLink::Command(const std::string& command, const std::string& prefix,
                                           bool bare_numbers,
                                           std::optional<absl::Duration> timeout) {
  std::lock_guard<std::recursive_mutex> io(io_mu_);
  if (port_ == nullptr) {
    if (absl::Status opened = OpenLocked(); !opened.ok()) return opened;
  }
  if (absl::Status synced = ResynchroniseLocked(); !synced.ok()) return FailedLocked(synced);
  absl::StatusOr<AtReply> reply =
      CommandLocked(command, prefix, bare_numbers, timeout.value_or(options_.command_timeout));
  if (!reply.ok()) return FailedLocked(reply.status());
  return reply;
}

absl::StatusOr<AtReply> ModemLink::CommandLocked(const std::string& command,
                                                 const std::string& prefix, bool bare_numbers,
                                                 absl::Duration timeout) {
  // URCs that came while idle are card events, not part of this answer.
  while (std::optional<std::string> line = lines_.NextLine()) TakeLineLocked(*line);
  const std::string wire = command + kCr;
  if (absl::Status written = port_->Write(wire, timeout); !written.ok()) return written;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    bytes_written_ += wire.size();
  }
  AtAnswer answer(command, prefix, bare_numbers);
  const absl::Time deadline = absl::Now() + timeout;
  while (!answer.complete()) {
    while (std::optional<std::string> line = lines_.NextLine()) {
      if (answer.Feed(*line)) break;
    }
    if (answer.complete()) break;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      needs_resync_ = true;
      for (const std::string& urc : answer.unsolicited()) TakeLineLocked(urc);
      return CardError(
          CardErrorReason::kCardUnresponsive,
          absl::StrCat("no answer from the modem at ", options_.port, " to ",
                       command.substr(0, command.find('=')), " within ",
                       absl::FormatDuration(timeout), " (card.modem_command_timeout_seconds)"));
    }
    absl::StatusOr<std::string> bytes = port_->Read(left);
    if (!bytes.ok()) return bytes.status();
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      bytes_read_ += bytes->size();
    }
    if (absl::Status appended = lines_.Append(*bytes); !appended.ok()) {
      needs_resync_ = true;
      return CardError(CardErrorReason::kMalformedResponse,
                       absl::StrCat("modem at ", options_.port, ": ", appended.message()));
    }
  }
  for (const std::string& urc : answer.unsolicited()) TakeLineLocked(urc);
  return AtReply{.info = answer.info(), .final = *answer.final()};
}

absl::Status ModemLink::ReadUnsolicited() {
  std::lock_guard<std::recursive_mutex> io(io_mu_);
  if (port_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> bytes = port_->Read(absl::ZeroDuration());
  if (!bytes.ok()) return FailedLocked(bytes.status());
  if (absl::Status appended = lines_.Append(*bytes); !appended.ok()) {
    lines_.Clear();
    return absl::OkStatus();
  }
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    bytes_read_ += bytes->size();
  }
  while (std::optional<std::string> line = lines_.NextLine()) TakeLineLocked(*line);
  return absl::OkStatus();
}

std::vector<SimEvent> ModemLink::TakeSimEvents() {
  std::lock_guard<std::mutex> lock(state_mu_);
  return std::exchange(sim_events_, {});
}

void ModemLink::WaitForSimEvent(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(state_mu_);
  event_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                     [this] { return !sim_events_.empty() || interrupted_; });
  interrupted_ = false;
}

void ModemLink::Interrupt() {
  std::lock_guard<std::mutex> lock(state_mu_);
  interrupted_ = true;
  event_cv_.notify_all();
}

}  // namespace gbabridge::modem
