#include "bootstrap/daemon/card_watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "uicc/base/identifiers.h"
#include "uicc/card_error.h"
#include "uicc/iccid.h"
#include "uicc/pcsc_reader_monitor.h"

namespace gbabridge::daemon {
namespace {

// `snapshot` with nothing left of the card: what the daemon shows once the card (or the
// PC/SC service) is gone.
CardSnapshot WithoutCard(CardSnapshot snapshot, const std::string& reader, const absl::Status& why,
                         const std::string& bsf_url) {
  snapshot.reader = reader;
  snapshot.card_present = false;
  snapshot.iccid.clear();
  snapshot.imsi_masked.clear();
  snapshot.gba_u_capable.reset();
  snapshot.pin = PinStatus::kUnknown;
  snapshot.bsf_url = bsf_url;
  snapshot.last_error = why;
  return snapshot;
}

std::string Sv(absl::string_view s) { return std::string(s.data(), s.size()); }

PinStatus ToPinStatus(const PinState& pin) {
  if (pin.blocked) return PinStatus::kBlocked;
  if (!pin.enabled) return PinStatus::kDisabled;
  return pin.verified ? PinStatus::kVerified : PinStatus::kRequired;
}

absl::Time Now() { return absl::Now(); }

std::string NoSuchReaderMessage(const std::string& wanted,
                                const std::vector<ReaderState>& readers) {
  std::string message = absl::StrCat("no reader named \"", wanted, "\"");
  if (readers.empty()) {
    absl::StrAppend(&message, "; no smart card reader is connected");
  } else {
    absl::StrAppend(&message, "; the readers are:");
    for (size_t i = 0; i < readers.size(); ++i) {
      absl::StrAppend(&message, i == 0 ? " \"" : ", \"", readers[i].name, "\"");
    }
    absl::StrAppend(&message, " ([card] reader, --reader)");
  }
  return message;
}

}  // namespace

std::unique_ptr<CardPresenceSource> MakePcscReaderStateSource() {
  return std::make_unique<PcscReaderMonitor>();
}

std::string ChooseReader(const std::vector<ReaderState>& readers, std::string_view configured,
                         std::string_view current) {
  if (!configured.empty()) return std::string(configured);
  const auto find = [&](std::string_view name) {
    return std::find_if(readers.begin(), readers.end(),
                        [&](const ReaderState& r) { return r.name == name; });
  };
  if (auto it = find(current); !current.empty() && it != readers.end() && it->card_present) {
    return it->name;
  }
  for (const ReaderState& r : readers) {
    if (r.card_present) return r.name;
  }
  if (!current.empty() && find(current) != readers.end()) return std::string(current);
  return readers.empty() ? std::string() : readers.front().name;
}

CardWatcher::CardWatcher(SessionManager& sessions, EventBus& events,
                         std::unique_ptr<CardPresenceSource> source, CardWatcherOptions options)
    : sessions_(sessions),
      events_(events),
      source_(std::move(source)),
      options_(std::move(options)),
      backoff_(options_.min_backoff) {
  snapshot_.bsf_url = options_.bsf_url;
  snapshot_.last_error =
      CardError(CardErrorReason::kNoCard, "the card has not been looked for yet");
}

CardWatcher::~CardWatcher() { Stop(); }

void CardWatcher::Start() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void CardWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  source_->Interrupt();
  thread_.join();
}

CardSnapshot CardWatcher::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

void CardWatcher::Run() {
  absl::Time next_tick = Now() + options_.tick;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopping_) return;
    }
    const absl::Time now = Now();
    if (now >= next_tick) {
      Tick();
      next_tick = now + options_.tick;
    }
    if (now >= next_poll_) {
      // The wait is bounded by the next tick, so expiry is checked on time.
      PollOnce(std::max(next_tick - now, absl::Milliseconds(10)));
      continue;
    }
    // Backing off after a PC/SC failure: sleep until the next poll or tick, or Stop().
    std::unique_lock<std::mutex> lock(stop_mu_);
    stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(next_poll_, next_tick) - now),
                      [this] { return stopping_; });
  }
}

void CardWatcher::Tick() {
  if (sessions_.WipeIfExpired()) {
    spdlog::info("the GBA session expired; its keys were wiped");
    if (options_.publish_session_expired) {
      Publish(DaemonEventType::kSessionExpired, Snapshot().reader);
    }
  }
}

void CardWatcher::PollOnce(absl::Duration wait) {
  absl::StatusOr<std::vector<ReaderState>> readers = source_->Wait(wait);
  if (!readers.ok()) {
    HandleSourceError(readers.status());
    return;
  }
  backoff_ = options_.min_backoff;
  next_poll_ = absl::InfinitePast();
  if (pcsc_down_) {
    pcsc_down_ = false;
    spdlog::info("PC/SC is reachable again");
  }

  const std::string reader = ChooseReader(*readers, options_.reader, current_reader_);
  auto it = std::find_if(readers->begin(), readers->end(),
                         [&](const ReaderState& r) { return r.name == reader; });
  const bool reader_exists = it != readers->end();
  const bool present = reader_exists && it->card_present;
  const uint32_t count = reader_exists ? it->event_count : 0;
  const bool same_reader = reader == current_reader_;
  const bool swapped = present && current_present_ && same_reader && count != current_count_;

  if (current_present_ && (!present || !same_reader || swapped)) {
    absl::Status why = !reader_exists && same_reader
                           ? CardError(CardErrorReason::kNoReader,
                                       absl::StrCat("reader ", current_reader_, " went away"))
                           : CardError(CardErrorReason::kNoCard,
                                       absl::StrCat("no card in reader ", current_reader_));
    CardRemoved(current_reader_, why);
  }
  const bool inserted = present && (!current_present_ || !same_reader || swapped);
  current_reader_ = reader;
  current_present_ = present;
  current_count_ = count;

  if (inserted) {
    CardInserted(reader);
    return;
  }
  if (!present) {
    const CardSnapshot before = Snapshot();
    CardSnapshot snapshot = before;
    snapshot.reader = reader;
    snapshot.card_present = false;
    if (reader.empty()) {
      snapshot.last_error =
          CardError(CardErrorReason::kNoReader,
                    options_.reader.empty() ? "no smart card reader is connected"
                                            : NoSuchReaderMessage(options_.reader, *readers));
    } else if (!reader_exists) {
      // A configured reader that is not there (misspelt, or unplugged): say so, with the
      // names of the readers that are, not "no card".
      snapshot.last_error =
          CardError(CardErrorReason::kNoReader, NoSuchReaderMessage(reader, *readers));
    } else {
      snapshot.last_error =
          CardError(CardErrorReason::kNoCard, absl::StrCat("no card in reader ", reader));
    }
    if (before.reader != snapshot.reader || before.card_present ||
        before.last_error.message() != snapshot.last_error.message()) {
      SetSnapshot(std::move(snapshot));
    }
    return;
  }
  if (inspect_again_ && Now() >= inspect_again_at_) {
    // The card was there but could not be read (reset, transport): try again.
    Inspect(reader);
  }
}

void CardWatcher::HandleSourceError(const absl::Status& status) {
  next_poll_ = Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  if (current_present_) CardRemoved(current_reader_, status);
  current_present_ = false;
  current_count_ = 0;
  if (pcsc_down_) return;  // reported once per outage
  pcsc_down_ = true;
  spdlog::warn("PC/SC unavailable: {}; retrying with backoff", Sv(status.message()));
  // While pcscd is away a card may be swapped unseen: no session may survive the outage.
  sessions_.InvalidateSession(GetCardErrorReason(status) == CardErrorReason::kPcscdNotRunning
                                  ? "pcscd not running"
                                  : "PC/SC failure");
  NotifyCardChanged();
  SetSnapshot(WithoutCard(Snapshot(), "", status, options_.bsf_url));
  Publish(DaemonEventType::kError, "", status);
}

void CardWatcher::CardRemoved(const std::string& reader, const absl::Status& why) {
  spdlog::info("card removed from reader {}", reader);
  // Keys first: a session from this card must never serve another card's callers.
  sessions_.InvalidateSession("card removed");
  NotifyCardChanged();
  inspect_again_ = false;
  SetSnapshot(WithoutCard(Snapshot(), reader, why, options_.bsf_url));
  Publish(DaemonEventType::kCardRemoved, reader);
}

void CardWatcher::CardInserted(const std::string& reader) {
  spdlog::info("card present in reader {}", reader);
  NotifyCardChanged();
  Inspect(reader);
  Publish(DaemonEventType::kCardInserted, reader);
  const absl::Status error = Snapshot().last_error;
  if (!error.ok()) Publish(DaemonEventType::kError, reader, error);
}

bool CardWatcher::Inspect(const std::string& reader) {
  CardSnapshot snapshot;
  snapshot.reader = reader;
  snapshot.card_present = true;
  snapshot.bsf_url = options_.bsf_url;
  std::optional<std::string> iccid;
  // Everything under the card mutex: never interleaved with a bootstrap. The provider
  // (CardSlot) verifies the PIN first if the card needs it and one is configured. Each field
  // on its own: a card without EF_ICCID, or that refuses one query, still shows the others,
  // and only what GBA needs (the PIN state, the IMSI, the GBA capability) makes it unusable.
  absl::Status read = sessions_.WithCard([&](Usim& usim) -> absl::Status {
    if (absl::StatusOr<Bytes> raw = usim.ReadIccid(); !raw.ok()) {
      spdlog::warn("card in reader {}: ICCID unknown: {}", reader, Sv(raw.status().message()));
    } else if (absl::StatusOr<std::string> digits = DecodeIccid(*raw); !digits.ok()) {
      spdlog::warn("card in reader {}: ICCID unknown: {}", reader, Sv(digits.status().message()));
    } else {
      iccid = *digits;
    }
    absl::Status first_error;
    auto note = [&first_error](const absl::Status& status) {
      if (first_error.ok()) first_error = status;
    };
    absl::StatusOr<PinState> pin = usim.GetPinState();
    if (pin.ok()) {
      snapshot.pin = ToPinStatus(*pin);
    } else {
      note(pin.status());
    }
    absl::StatusOr<Imsi> imsi = usim.ReadImsi();
    if (imsi.ok()) {
      snapshot.imsi_masked = imsi->Masked();
      if (options_.bsf_url.empty()) {
        // As GbaClient::ResolveBsfUrl (TS 23.003 §16.2).
        snapshot.bsf_url = absl::StrCat("https://", DeriveBsfFqdn(*imsi), "/");
      }
    } else {
      note(imsi.status());
    }
    absl::StatusOr<bool> gba = usim.IsGbaCapable();
    if (gba.ok()) {
      snapshot.gba_u_capable = *gba;
    } else {
      note(gba.status());
    }
    return first_error;
  });
  snapshot.last_error = read;
  if (iccid.has_value()) snapshot.iccid = *iccid;
  const std::optional<CardErrorReason> reason = GetCardErrorReason(read);
  if (!read.ok() && snapshot.pin == PinStatus::kUnknown) {
    if (reason == CardErrorReason::kPinRequired || reason == CardErrorReason::kPinWrong) {
      snapshot.pin = PinStatus::kRequired;
    } else if (reason == CardErrorReason::kPinBlocked) {
      snapshot.pin = PinStatus::kBlocked;
    }
  }

  // A card seen without its removal (pcscd restart, start-up, a quick swap) may be another
  // card: compare ICCIDs. An unreadable ICCID is treated as a change, which is safe.
  if (!iccid.has_value() || (last_iccid_.has_value() && *last_iccid_ != *iccid)) {
    sessions_.InvalidateSession("card changed (ICCID)");
  }
  if (iccid.has_value()) last_iccid_ = iccid;

  const bool passing = !read.ok() && reason != CardErrorReason::kPinRequired &&
                       reason != CardErrorReason::kPinWrong &&
                       reason != CardErrorReason::kPinBlocked;
  inspect_again_ = passing;
  if (passing) inspect_again_at_ = Now() + options_.max_backoff / 6;
  if (read.ok()) {
    spdlog::info("card in reader {}: IMSI {}, GBA_U {}, BSF {}", reader, snapshot.imsi_masked,
                 snapshot.gba_u_capable.value_or(false) ? "yes" : "no", snapshot.bsf_url);
  } else {
    spdlog::warn("card in reader {} could not be read: {}", reader, Sv(read.message()));
  }
  SetSnapshot(std::move(snapshot));
  return read.ok();
}

void CardWatcher::NotifyCardChanged() {
  if (options_.on_card_changed) options_.on_card_changed();
}

void CardWatcher::Publish(DaemonEventType type, const std::string& reader, absl::Status error) {
  DaemonEvent event;
  event.type = type;
  event.time = Now();
  event.reader = reader;
  event.error = std::move(error);
  events_.Publish(std::move(event));
}

void CardWatcher::SetSnapshot(CardSnapshot snapshot) {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

}  // namespace gbabridge::daemon
