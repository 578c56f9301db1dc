#include "uicc/modem/modem_transport.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_error.h"
#include "uicc/status_words.h"
#include "uicc/usim_apdus.h"

namespace gbabridge::modem {
namespace {

using usim::kInsGetResponse;
using usim::kInsSelect;
using usim::kSelectByAid;
using usim::kSelectByFid;
using usim::kSelectByPathFromMf;
// 3GPP TS 27.007 §8.17: AT+CSIM=<length>,<command>, length in hex characters.
constexpr char kCsimPrefix[] = "+CSIM:";
constexpr char kCglaPrefix[] = "+CGLA:";

std::string ApduCommand(absl::string_view at, int channel, ByteView apdu) {
  const std::string hex = HexEncode(apdu);
  if (channel > 0) return absl::StrCat(at, "=", channel, ",", hex.size(), ",\"", hex, "\"");
  return absl::StrCat(at, "=", hex.size(), ",\"", hex, "\"");
}

// What a +CME ERROR to an APDU command means for the card.
absl::Status ApduRefused(ModemLink& link, absl::string_view at, const AtFinalResult& final) {
  const std::string what = DescribeFinal(final);
  if (std::optional<SimState> sim = SimStateFromError(final)) {
    if (!SimPresent(*sim)) {
      link.NoteSimRemoved();
      return CardError(
          CardErrorReason::kCardRemoved,
          absl::StrCat("the SIM left the modem at ", link.options().port, " (", what, ")"));
    }
    if (*sim == SimState::kBusy) {
      return CardError(
          CardErrorReason::kCardUnresponsive,
          absl::StrCat("the SIM in the modem at ", link.options().port, " is busy (", what, ")"));
    }
  }
  return CardError(CardErrorReason::kTransportFailed,
                   absl::StrCat("the modem at ", link.options().port, " refused ", at, ": ", what));
}

}  // namespace

uint8_t ClaOnChannel(uint8_t cla, int channel) {
  if (channel <= 0) return cla;
  const bool proprietary = (cla & 0x80) != 0;
  if (channel <= 3) {
    // First interindustry ('0X') or its proprietary twins ('8X', 'AX'): b2-b1.
    return static_cast<uint8_t>((cla & 0xFC) | channel);
  }
  // Further interindustry: '4X' (ISO) or 'CX' (proprietary), b4-b1 = channel - 4.
  return static_cast<uint8_t>((proprietary ? 0xC0 : 0x40) | ((channel - 4) & 0x0F));
}

ModemTransport::ModemTransport(std::shared_ptr<ModemLink> link, ModemTransportOptions options)
    : link_(std::move(link)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ModemTransport>> ModemTransport::Connect(
    std::shared_ptr<ModemLink> link, ModemTransportOptions options) {
  std::unique_ptr<ModemTransport> transport(
      new ModemTransport(std::move(link), std::move(options)));
  if (absl::Status opened = transport->Open(); !opened.ok()) return opened;
  return transport;
}

absl::Status ModemTransport::Open() {
  link_->Lock();
  auto unlock = [this](absl::Status s) {
    link_->Unlock();
    return s;
  };
  if (absl::Status open = link_->EnsureOpen(); !open.ok()) return unlock(open);
  // TS 27.007 §8.3: is there a SIM at all?
  absl::StatusOr<std::optional<SimState>> sim = link_->QuerySim();
  if (!sim.ok()) return unlock(sim.status());
  const std::optional<SimState> state = *sim;
  if (state.has_value() && !SimPresent(*state)) {
    return unlock(CardError(CardErrorReason::kNoCard,
                            absl::StrCat("no SIM in the modem at ", link_->options().port, " (",
                                         std::string(SimStateName(*state)), ")")));
  }
  link_->NoteSimPresent();
  // This card session: it ends when the port or the SIM goes.
  generation_ = link_->generation();
  if (options_.logical_channel) {
    // TS 27.007 §8.45: AT+CCHO=<dfname> answers the session id, with or without "+CCHO:".
    absl::StatusOr<AtReply> ccho = link_->Command(
        absl::StrCat("AT+CCHO=\"", options_.channel_aid, "\""), "+CCHO:", /*bare_numbers=*/true);
    if (!ccho.ok()) return unlock(ccho.status());
    if (ccho->final.kind == AtFinalKind::kOk && !ccho->info.empty()) {
      absl::StatusOr<int> session = ParseCchoAnswer(ccho->info.front());
      if (!session.ok()) {
        return unlock(CardError(CardErrorReason::kMalformedResponse, session.status().message()));
      }
      if (*session < 1 || *session > 19) {
        return unlock(CardError(CardErrorReason::kMalformedResponse,
                                absl::StrCat("AT+CCHO gave logical channel ", *session,
                                             ", outside 1-19 (TS 102 221 §10.1.1)")));
      }
      channel_ = *session;
      return unlock(absl::OkStatus());
    }
    // No AT+CCHO (ERROR, +CME ERROR: 4 operation not supported, ...): the basic channel.
  }
  return unlock(absl::OkStatus());
}

ModemTransport::~ModemTransport() {
  if (channel_ > 0 && link_->generation() == generation_ && link_->open()) {
    // TS 27.007 §8.46: give the channel back; the modem may close it itself on errors.
    link_->Command(absl::StrCat("AT+CCHC=", channel_), "", false, link_->options().probe_timeout)
        .IgnoreError();
  }
}

std::string ModemTransport::ActiveProtocol() const {
  if (channel_ > 0) return absl::StrCat("AT+CGLA, logical channel ", channel_);
  return "AT+CSIM";
}

absl::Status ModemTransport::BeginTransaction() {
  link_->Lock();
  ++transaction_depth_;
  return absl::OkStatus();
}

absl::Status ModemTransport::EndTransaction() {
  if (transaction_depth_ == 0) return absl::FailedPreconditionError("no transaction");
  --transaction_depth_;
  link_->Unlock();
  return absl::OkStatus();
}

absl::StatusOr<Bytes> ModemTransport::SendApdu(ByteView command) {
  const char* at = channel_ > 0 ? "AT+CGLA" : "AT+CSIM";
  const std::string line = ApduCommand(at, channel_, command);
  absl::StatusOr<AtReply> reply = link_->Command(line, channel_ > 0 ? kCglaPrefix : kCsimPrefix);
  if (!reply.ok()) return reply.status();
  if (reply->final.kind != AtFinalKind::kOk) {
    // ISO 7816-4 §5.3.2 (T=0): after 61xx the answer waits for a GET RESPONSE (INS C0); a
    // modem that passes 61xx up but refuses the GET RESPONSE loses it.
    const bool get_response = command.size() >= 2 && command[1] == 0xC0;
    return ApduRefused(*link_,
                       get_response ? absl::StrCat(at,
                                                   " with GET RESPONSE (after a 61xx: this "
                                                   "modem neither fetches the answer itself nor "
                                                   "lets us)")
                                    : std::string(at),
                       reply->final);
  }
  if (reply->info.empty()) {
    return CardError(CardErrorReason::kMalformedResponse,
                     absl::StrCat("the modem at ", link_->options().port, " answered ", at,
                                  " with OK but no response APDU"));
  }
  absl::StatusOr<Bytes> response =
      ParseApduAnswer(reply->info.front(), channel_ > 0 ? kCglaPrefix : kCsimPrefix);
  if (!response.ok()) {
    return CardError(
        CardErrorReason::kMalformedResponse,
        absl::StrCat("the modem at ", link_->options().port, ": ", response.status().message()));
  }
  return response;
}

bool ModemTransport::LostSelection(ByteView command, const Bytes& response) {
  const size_t n = response.size();
  if (n != 2) return false;
  const uint16_t sw = static_cast<uint16_t>((response[0] << 8) | response[1]);
  const uint8_t ins = command[1];
  // 6986: no current EF (TS 102 221 §10.2.1.5) for a command on the current EF.
  if (ins != kInsSelect && ins != kInsGetResponse) return sw == kSwNoCurrentEf;
  // 6A82 for a SELECT by file id relative to the current DF.
  const bool relative_select = ins == kInsSelect && command[2] == kSelectByFid &&
                               !(command.size() >= 7 && command[5] == 0x3F && command[6] == 0x00);
  return relative_select && sw == kSwFileNotFound;
}

void ModemTransport::NoteSelection(ByteView command, const Bytes& response) {
  const size_t n = response.size();
  const bool ok = n >= 2 && (response[n - 2] == 0x90 || response[n - 2] == 0x61);
  if (!ok || command.size() < 4) return;
  const uint8_t p1 = command[2];
  const bool from_root =
      p1 == kSelectByAid || p1 == kSelectByPathFromMf ||
      (p1 == kSelectByFid && command.size() >= 7 && command[5] == 0x3F && command[6] == 0x00);
  if (from_root) selection_.clear();
  Bytes replay(command.begin(), command.end());
  // Replayed without a response (P2 b4-b3 = 11, TS 102 221 §11.1.1.2) and without Le.
  replay[3] = static_cast<uint8_t>((replay[3] & 0xF3) | 0x0C);
  if (replay.size() > 5 && replay.size() == size_t{5} + replay[4] + 1) replay.pop_back();
  selection_.push_back(std::move(replay));
}

absl::StatusOr<Bytes> ModemTransport::TransmitRaw(ByteView command) {
  if (command.size() < 4) return absl::InvalidArgumentError("APDU shorter than its header");
  if (link_->generation() != generation_) {
    // The port went and came back, or the SIM left: the card session and the logical
    // channel are gone with it. Said once (the caller must forget what it knew of the
    // card), then, like PcscTransport, the next command connects to whatever card is there.
    if (!loss_reported_) {
      loss_reported_ = true;
      channel_ = 0;
      selection_.clear();
      return CardError(CardErrorReason::kCardRemoved,
                       absl::StrCat("the modem at ", link_->options().port,
                                    " was reconnected or its SIM removed; the card session is "
                                    "lost"));
    }
    if (absl::Status reopened = Open(); !reopened.ok()) return reopened;
    loss_reported_ = false;
  }
  const uint8_t ins = command[1];
  Bytes apdu(command.begin(), command.end());
  apdu[0] = ClaOnChannel(apdu[0], channel_);
  absl::StatusOr<Bytes> response = SendApdu(apdu);
  if (response.ok() && channel_ == 0 && LostSelection(command, *response) && !selection_.empty()) {
    // On the basic channel the modem may select files itself between two AT+CSIM (its own
    // SIM polling): put our selection back and try once more.
    ++selection_replays_;
    for (const Bytes& select : selection_) {
      absl::StatusOr<Bytes> replayed = SendApdu(select);
      if (!replayed.ok()) {
        Cleanse(std::span<uint8_t>(apdu));
        return replayed.status();
      }
    }
    response = SendApdu(apdu);
  }
  Cleanse(std::span<uint8_t>(apdu));
  if (!response.ok()) {
    if (GetCardErrorReason(response.status()) == CardErrorReason::kCardRemoved) {
      // Reported now; the next command reconnects (generation 0 is never the link's).
      generation_ = 0;
      loss_reported_ = true;
      channel_ = 0;
      selection_.clear();
    }
    return response.status();
  }
  if (channel_ == 0 && ins == kInsSelect) NoteSelection(command, *response);
  return response;
}

}  // namespace gbabridge::modem
