#include "bootstrap/daemon/card_slot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "uicc/apdu.h"
#include "uicc/card_error.h"
#include "uicc/iccid.h"
#include "uicc/pcsc_transport.h"

namespace gbabridge::daemon {
namespace {

// Wraps the real channel to see the transport errors that pass through it: Usim operations
// run deep inside the SessionManager, so a removal or a reset by another PC/SC client would
// otherwise go unnoticed here, and the card would stay without its PIN verified.
class ObservingChannel : public CardTransport {
 public:
  ObservingChannel(std::unique_ptr<CardTransport> inner, CardSlot::Observed& observed)
      : inner_(std::move(inner)), observed_(observed) {}

  absl::Status BeginTransaction() override { return Note(inner_->BeginTransaction()); }
  absl::Status EndTransaction() override { return Note(inner_->EndTransaction()); }
  std::string ReaderName() const override { return inner_->ReaderName(); }
  Bytes Atr() const override { return inner_->Atr(); }
  std::string ActiveProtocol() const override { return inner_->ActiveProtocol(); }

 protected:
  // The inner channel follows 61xx/6Cxx itself, so this layer only ever sees final status
  // words and its own Transmit() passes them through unchanged.
  absl::StatusOr<Bytes> TransmitRaw(ByteView raw) override {
    absl::StatusOr<CommandApdu> command = CommandApdu::Parse(raw);
    if (!command.ok()) return command.status();
    absl::StatusOr<ResponseApdu> response = inner_->Transmit(*command);
    // Commands carry the PIN and NAF derivation input.
    Cleanse(std::span<uint8_t>(command->data));
    if (!response.ok()) return Note(response.status());
    // AUTHENTICATE answers carry RES/CK/IK or Ks_ext_NAF: wipe this layer's copy.
    Bytes encoded = response->Encode();
    Cleanse(std::span<uint8_t>(response->data));
    return encoded;
  }

 private:
  absl::Status Note(absl::Status status) {
    const std::optional<CardErrorReason> reason = GetCardErrorReason(status);
    if (reason == CardErrorReason::kCardReset) observed_.reset = true;
    if (reason == CardErrorReason::kCardRemoved || reason == CardErrorReason::kNoCard ||
        reason == CardErrorReason::kNoReader || reason == CardErrorReason::kPcscdNotRunning) {
      observed_.removed = true;
    }
    return status;
  }

  std::unique_ptr<CardTransport> inner_;
  CardSlot::Observed& observed_;
};

std::string_view PinView(const SecretBytes& pin) {
  return std::string_view(reinterpret_cast<const char*>(pin.data()), pin.size());
}

}  // namespace

absl::StatusOr<SecretBytes> ReadPinFile(const std::string& path) {
  // read(2) into a small local buffer, wiped afterwards: an ifstream would leave the PIN in
  // its own heap buffer. A PIN file is a few bytes; more than 64 is not a PIN file.
  std::array<uint8_t, 64> buffer{};
  size_t length = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the PIN file ", path,
                                                   " (missing, or not readable by this user)"));
  }
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data() + length, buffer.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    length += static_cast<size_t>(n);
    if (length == buffer.size()) break;
  }
  ::close(fd);
  std::string_view text(reinterpret_cast<const char*>(buffer.data()), length);
  text = text.substr(0, text.find('\n'));
  const size_t begin = text.find_first_not_of(" \t\r");
  const size_t end = text.find_last_not_of(" \t\r");
  const std::string_view pin =
      begin == std::string_view::npos ? std::string_view() : text.substr(begin, end - begin + 1);
  const bool valid =
      pin.size() >= 4 && pin.size() <= 8 &&
      std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
  SecretBytes result = valid ? SecretBytes::CopyFrom(AsBytes(pin)) : SecretBytes();
  Cleanse(std::span<uint8_t>(buffer));
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the PIN file ", path, " must hold PIN1 on its first line: 4 to 8 decimal digits"));
  }
  return result;
}

CardSlot::CardSlot(CardSlotOptions options)
    : options_(std::move(options)),
      rejections_(options_.rejections.has_value() ? *std::move(options_.rejections)
                                                  : *PinRejections::Load("")) {
  if (!options_.open_channel) {
    const std::string reader = options_.reader;
    options_.open_channel = [reader]() -> absl::StatusOr<std::unique_ptr<CardTransport>> {
      absl::StatusOr<std::unique_ptr<PcscTransport>> channel =
          PcscTransport::Connect(PcscOptions{.reader = reader});
      if (!channel.ok()) return channel.status();
      return std::unique_ptr<CardTransport>(*std::move(channel));
    };
  }
}

CardSlot::~CardSlot() = default;

absl::StatusOr<Usim*> CardSlot::Provide() {
  if (channel_ == nullptr) {
    absl::StatusOr<std::unique_ptr<CardTransport>> channel = options_.open_channel();
    if (!channel.ok()) return channel.status();
    channel_ = std::make_unique<ObservingChannel>(*std::move(channel), observed_);
    ready_ = false;
    new_card_ = true;
  }
  const uint64_t generation = generation_.load(std::memory_order_relaxed);
  if (generation != seen_generation_) {
    seen_generation_ = generation;
    ready_ = false;
    new_card_ = true;
  }
  if (observed_.removed) new_card_ = true;
  if (observed_.removed || observed_.reset) ready_ = false;
  observed_ = {};
  if (ready_) return usim_.get();

  absl::Status prepared = Prepare(new_card_);
  // Errors seen while preparing describe the state we just failed in, not a later change.
  const bool removed_meanwhile = observed_.removed;
  observed_ = {};
  if (!prepared.ok()) {
    if (removed_meanwhile) new_card_ = true;
    return prepared;
  }
  ready_ = true;
  new_card_ = false;
  return usim_.get();
}

absl::Status CardSlot::Prepare(bool new_card) {
  // A new Usim forgets the previous card's applications and selection; after a reset the
  // selection is gone anyway.
  if (new_card || usim_ == nullptr) {
    usim_ = std::make_unique<Usim>(*channel_);
  }
  return CheckPin();
}

absl::Status CardSlot::CheckPin() {
  absl::StatusOr<PinState> state = usim_->GetPinState();
  if (!state.ok()) return state.status();
  if (!state->enabled || state->verified) return absl::OkStatus();
  if (state->blocked) {
    return CardError(CardErrorReason::kPinBlocked,
                     "PIN1 of the card is blocked: unblock it with the PUK (the daemon never "
                     "presents a PIN to a blocked card)");
  }
  if (options_.pin.empty()) {
    return CardError(CardErrorReason::kPinRequired,
                     "PIN1 is enabled on the card and no PIN is configured: set [card] pin_file "
                     "(--pin-file) to a file holding it");
  }
  // The ICCID is readable without the PIN (EF_ICCID under the MF, TS 102 221 §13.2). Every
  // card that rejected the PIN is remembered; an unreadable ICCID (now or then) counts as
  // possibly the same card: never risk a second wrong try on any card.
  std::string iccid;
  if (absl::StatusOr<Bytes> raw = usim_->ReadIccid(); raw.ok()) {
    if (absl::StatusOr<std::string> digits = DecodeIccid(*raw); digits.ok()) iccid = *digits;
  }
  if (rejections_.WasRejected(iccid, options_.pin)) {
    return CardError(CardErrorReason::kPinWrong,
                     "this card rejected the configured PIN earlier; it is not presented again "
                     "so as not to block the card (also not after a restart). Correct [card] "
                     "pin_file and restart gbabridged, or insert another card");
  }
  // TS 102 221 §9.5.1: at 0 tries only the PUK helps. With one try left a wrong PIN would
  // block the card: leave that last try to a person.
  if (state->tries_left >= 0 && state->tries_left <= 1) {
    return CardError(CardErrorReason::kPinRequired,
                     absl::StrCat("PIN1 has ", state->tries_left,
                                  " try left: gbabridged does not present the PIN with so few "
                                  "tries left (a wrong one would block the card). Verify it "
                                  "with a PIN tool of your own, then restart gbabridged"));
  }
  absl::Status verified = usim_->VerifyPin(PinView(options_.pin));
  if (GetCardErrorReason(verified) == CardErrorReason::kPinWrong) {
    absl::Status recorded = rejections_.Record(iccid, options_.pin);
    return CardError(
        CardErrorReason::kPinWrong,
        absl::StrCat("the configured PIN was rejected: ", verified.message(),
                     ". It will not be presented to this card again; correct "
                     "[card] pin_file and restart gbabridged",
                     recorded.ok() ? "" : absl::StrCat(" (", recorded.message(), ")")));
  }
  return verified;
}

}  // namespace gbabridge::daemon
