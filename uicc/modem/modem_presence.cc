#include "uicc/modem/modem_presence.h"

#include <utility>

#include "uicc/card_error.h"

namespace gbabridge::modem {

ModemPresenceSource::ModemPresenceSource(std::shared_ptr<ModemLink> link,
                                         absl::Duration poll_interval)
    : link_(std::move(link)), poll_interval_(poll_interval) {}

void ModemPresenceSource::Interrupt() {
  interrupted_ = true;
  link_->Interrupt();
}

std::optional<ReaderState> ModemPresenceSource::Poll() {
  if (!link_->TryLock()) {
    // A card transaction holds the link: the card is in use, so it is there as before.
    return last_;
  }
  struct Unlock {
    ModemLink& link;
    ~Unlock() { link.Unlock(); }
  } unlock{*link_};

  const uint64_t generation_before = link_->generation();
  if (!link_->EnsureOpen().ok()) return std::nullopt;  // no port: the modem is gone
  link_->ReadUnsolicited().IgnoreError();
  absl::StatusOr<std::optional<SimState>> sim = link_->QuerySim();
  if (!sim.ok()) {
    if (GetCardErrorReason(sim.status()) == CardErrorReason::kCardRemoved) return std::nullopt;
    return last_;  // no answer this time: keep what we knew
  }
  const std::optional<SimState> state = *sim;
  bool present =
      state.has_value() ? SimPresent(*state) : (last_.has_value() && last_->card_present);
  if (state == SimState::kBusy && last_.has_value()) present = last_->card_present;

  // URCs since the last look: a removal between two polls is a removal even if the SIM
  // is back now.
  bool removed_meanwhile = false;
  for (const SimEvent& event : link_->TakeSimEvents()) {
    if (!SimPresent(event.state)) removed_meanwhile = true;
  }
  // A reopened port is a new modem session: whatever card was in use is gone.
  const bool reconnected = last_.has_value() && link_->generation() != generation_before;
  ReaderState now{
      .name = link_->options().port, .card_present = present, .event_count = event_count_};
  if (last_.has_value() && last_->card_present && (removed_meanwhile || reconnected) && present) {
    event_count_ += 2;  // out and in again
  } else if (!last_.has_value() || last_->card_present != present) {
    ++event_count_;
  }
  now.event_count = event_count_;
  return now;
}

absl::StatusOr<std::vector<ReaderState>> ModemPresenceSource::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::optional<ReaderState> now = Poll();
    const bool changed = first_ || now.has_value() != last_.has_value() ||
                         (now.has_value() && (now->card_present != last_->card_present ||
                                              now->event_count != last_->event_count));
    first_ = false;
    last_ = now;
    std::vector<ReaderState> readers;
    if (now.has_value()) readers.push_back(*now);
    if (changed || absl::Now() >= deadline || interrupted_.exchange(false)) return readers;
    // Until the next poll, a SIM URC (or Interrupt) wakes us early.
    link_->WaitForSimEvent(std::min(poll_interval_, deadline - absl::Now()));
  }
}

}  // namespace gbabridge::modem
