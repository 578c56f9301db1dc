#include "uicc/pcsc_reader_monitor.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "uicc/card_error.h"
#include "uicc/pcsc_readers.h"

namespace gbabridge {
namespace {

// pcsc-lite's pseudo-reader whose state changes when a reader is added or removed.
constexpr char kPnpNotification[] = "\\\\?PnP?\\Notification";

}  // namespace

struct PcscReaderMonitor::State {
  // Guards the context against Interrupt() while Wait() replaces it; the blocking
  // SCardGetStatusChange runs without it, so that SCardCancel can reach it (SCardCancel is
  // the one PC/SC call meant to be made from another thread).
  std::mutex mu;
  SCARDCONTEXT context = 0;
  bool has_context = false;
  std::map<std::string, DWORD> known;  // last event state per reader
  DWORD pnp_state = SCARD_STATE_UNAWARE;

  void DropContextLocked() {
    if (has_context) SCardReleaseContext(context);
    has_context = false;
    known.clear();
    pnp_state = SCARD_STATE_UNAWARE;
  }

  absl::Status Fail(LONG rv, absl::string_view operation) {
    return Fail(PcscContextError(rv, operation));
  }
  absl::Status Fail(absl::Status error) {
    if (GetCardErrorReason(error) == CardErrorReason::kPcscdNotRunning) {
      std::lock_guard<std::mutex> lock(mu);
      DropContextLocked();
    }
    return error;
  }

  absl::Status EnsureContext() {
    std::lock_guard<std::mutex> lock(mu);
    if (has_context && SCardIsValidContext(context) == SCARD_S_SUCCESS) return absl::OkStatus();
    DropContextLocked();
    SCARDCONTEXT fresh = 0;
    const LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &fresh);
    if (rv != SCARD_S_SUCCESS) return PcscContextError(rv, "SCardEstablishContext");
    context = fresh;
    has_context = true;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListReaders() {
    absl::StatusOr<std::vector<std::string>> names = ListPcscReaderNames(context);
    if (!names.ok()) return Fail(names.status());
    return names;
  }
};

PcscReaderMonitor::PcscReaderMonitor() : state_(std::make_unique<State>()) {}

PcscReaderMonitor::~PcscReaderMonitor() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->DropContextLocked();
}

absl::StatusOr<std::vector<ReaderState>> PcscReaderMonitor::Wait(absl::Duration timeout) {
  State& s = *state_;
  // A reader may vanish between the listing and the wait (SCARD_E_UNKNOWN_READER): list
  // again at once, a few times at most.
  for (int round = 0; round < 3; ++round) {
    if (absl::Status ok = s.EnsureContext(); !ok.ok()) return ok;
    absl::StatusOr<std::vector<std::string>> names = s.ListReaders();
    if (!names.ok()) return names.status();

    // Each reader's current state is what we saw last (UNAWARE for a new one, which makes
    // the call return at once); the PnP entry carries the reader count pcsc-lite gave us.
    std::vector<SCARD_READERSTATE> states(names->size() + 1);
    for (size_t i = 0; i < names->size(); ++i) {
      states[i].szReader = (*names)[i].c_str();
      auto known = s.known.find((*names)[i]);
      states[i].dwCurrentState =
          known == s.known.end() ? SCARD_STATE_UNAWARE : (known->second & ~SCARD_STATE_CHANGED);
    }
    states.back().szReader = kPnpNotification;
    states.back().dwCurrentState = s.pnp_state;

    const DWORD ms =
        static_cast<DWORD>(std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 0, 60'000));
    const LONG rv =
        SCardGetStatusChange(s.context, ms, states.data(), static_cast<DWORD>(states.size()));
    if (rv == SCARD_E_UNKNOWN_READER) {
      timeout = absl::ZeroDuration();
      continue;
    }
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT && rv != SCARD_E_CANCELLED) {
      return s.Fail(rv, "SCardGetStatusChange");
    }
    // dwEventState is meaningful only after SCARD_S_SUCCESS; on a timeout or a cancel nothing
    // changed, so what we knew still holds.
    std::map<std::string, DWORD> now;
    for (size_t i = 0; i < names->size(); ++i) {
      if (rv == SCARD_S_SUCCESS) {
        now[(*names)[i]] = states[i].dwEventState;
      } else if (auto known = s.known.find((*names)[i]); known != s.known.end()) {
        now[(*names)[i]] = known->second;
      }
    }
    if (rv == SCARD_S_SUCCESS) s.pnp_state = states.back().dwEventState & ~SCARD_STATE_CHANGED;
    s.known = std::move(now);

    std::vector<ReaderState> readers;
    for (const std::string& name : *names) {
      auto it = s.known.find(name);
      if (it == s.known.end()) continue;  // never looked at (cancelled before it was)
      readers.push_back({.name = name,
                         .card_present = (it->second & SCARD_STATE_PRESENT) != 0,
                         .event_count = static_cast<uint32_t>((it->second >> 16) & 0xFFFF)});
    }
    return readers;
  }
  return CardError(CardErrorReason::kTransportFailed,
                   "the PC/SC reader list kept changing while it was read");
}

void PcscReaderMonitor::Interrupt() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->has_context) SCardCancel(state_->context);
}

}  // namespace gbabridge
