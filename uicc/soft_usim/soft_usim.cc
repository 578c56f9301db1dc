#include "uicc/soft_usim/soft_usim.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/soft_usim/apdu_log.h"
#include "uicc/soft_usim/atr.h"
#include "uicc/soft_usim/gba_files.h"
#include "uicc/soft_usim/soft_usim_apdus.h"
#include "uicc/soft_usim/soft_usim_status.h"

namespace gbabridge {
namespace {

using namespace card_apdu;  // NOLINT(build/namespaces): the card's own command table

Bytes StatusOnly(uint16_t sw) {
  return {static_cast<uint8_t>(sw >> 8), static_cast<uint8_t>(sw & 0xff)};
}

// 61xx / 6Cxx carry a length of 1..256 in one byte, 256 as 00.
uint8_t LengthByte(size_t length) { return static_cast<uint8_t>(std::min<size_t>(length, 256)); }

}  // namespace

SoftUsim::Reply::~Reply() { Cleanse(std::span<uint8_t>(data)); }

SoftUsim::SoftUsim(CardProfile profile, CardStateStore store, CardState state, Milenage milenage,
                   std::unique_ptr<FileSystem> files, Options options)
    : profile_(std::move(profile)),
      store_(std::move(store)),
      state_(std::move(state)),
      milenage_(std::move(milenage)),
      files_(std::move(files)),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<SoftUsim>> SoftUsim::Create(CardProfile profile,
                                                           std::string state_path,
                                                           Options options) {
  if (state_path.empty()) {
    return absl::InvalidArgumentError("the soft USIM needs a state file path");
  }
  CardStateStore store(std::move(state_path));
  absl::StatusOr<std::optional<CardState>> loaded = store.Load(profile.sqn_delta);
  if (!loaded.ok()) return loaded.status();
  std::optional<CardState> state = *std::move(loaded);
  const bool fresh = !state.has_value();
  if (fresh) {
    absl::StatusOr<SqnArray> sqn = SqnArray::Create(profile.ind_bits, profile.sqn_delta);
    if (!sqn.ok()) return sqn.status();
    state.emplace(*std::move(sqn));
    state->pin_enabled = profile.pin_enabled;
    state->pin_tries_left = profile.pin_tries;
  } else {
    if (state->sqn.ind_bits() != profile.ind_bits) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state file ", store.path(), " was made with ind_bits ", state->sqn.ind_bits(),
          " but the profile says ", profile.ind_bits,
          ": the SQN array cannot be converted; use a new state file for the new profile"));
    }
    state->pin_tries_left = std::min(state->pin_tries_left, profile.pin_tries);
  }
  absl::StatusOr<Milenage> milenage = Milenage::Create(profile.k, profile.opc);
  if (!milenage.ok()) return milenage.status();
  absl::StatusOr<std::unique_ptr<FileSystem>> files = FileSystem::Build(profile);
  if (!files.ok()) return files.status();
  for (const auto& [key, contents] : state->updated_files) {
    const CardFile* file = (*files)->FindByKey(key);
    if (file == nullptr || file->kind != CardFileKind::kTransparent ||
        file->contents.size() != contents.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("state file ", store.path(), " holds contents for file '", key,
                       "', which this profile's card does not have (or not in that size)"));
    }
  }
  for (const NafKeyEntry& entry : state->naf_keys) {
    if (entry.record < 1 || entry.record > static_cast<int>(kEfGbanlRecords)) {
      return absl::DataLossError(absl::StrCat("state file ", store.path(),
                                              " has a NAF key in EF_GBANL record ", entry.record,
                                              ", outside 1..", kEfGbanlRecords));
    }
  }
  if (fresh) {
    absl::Status saved = store.Save(*state);
    if (!saved.ok()) return saved;
  }
  std::unique_ptr<SoftUsim> card(new SoftUsim(std::move(profile), std::move(store),
                                              *std::move(state), *std::move(milenage),
                                              *std::move(files), std::move(options)));
  card->SyncFiles();
  card->Reset();
  return card;
}

Bytes SoftUsim::Atr() const { return options_.t0 ? SoftUsimAtrT0() : SoftUsimAtrT1(); }

Bytes SoftUsim::Reset() {
  // After the ATR the MF is the current DF (TS 102 221 §8.2); no application is active.
  selection_ = Selection{.df = files_->mf(), .ef = nullptr, .adf = nullptr};
  channel_selections_.fill(selection_);
  channel_open_ = {true, false, false, false};
  pin_verified_ = false;
  pending_response_.Clear();
  return Atr();
}

Bytes SoftUsim::Process(ByteView command_apdu) {
  if (command_observer_) command_observer_(LoggableCommandHeader(command_apdu));
  absl::StatusOr<CommandApdu> command = CommandApdu::Parse(command_apdu);
  if (!command.ok()) {
    pending_response_.Clear();
    return StatusOnly(card_sw::kWrongLength);
  }
  Bytes response;
  if (command->ins == kInsGetResponse && (command->cla & ~kClaChannelMask) == kClaIso) {
    Reply reply = GetResponse(*command);
    response = std::move(reply.data);
    response.push_back(static_cast<uint8_t>(reply.sw >> 8));
    response.push_back(static_cast<uint8_t>(reply.sw & 0xff));
  } else {
    pending_response_.Clear();  // the T=0 response data is only kept until the next command
    response = Respond(*command, Dispatch(*command));
  }
  Cleanse(std::span<uint8_t>(command->data));  // may hold a PIN
  return response;
}

SoftUsim::Reply SoftUsim::Dispatch(const CommandApdu& command) {
  // The two classes of TS 102 221 §10.1.1, on logical channels 0-3.
  const uint8_t cla_class = command.cla & ~kClaChannelMask;
  if (cla_class != kClaIso && cla_class != kClaProprietary) return Reply(card_sw::kClaWrong);
  const int channel = command.cla & kClaChannelMask;
  // ISO 7816-4 §5.1.1: 6881, logical channel not supported (not open).
  if (!channel_open_[channel]) return Reply(card_sw::kLogicalChannelNotSupported);
  if (command.ins == kInsManageChannel) return ManageChannel(command);
  // The command works on its channel's selection only.
  selection_ = channel_selections_[channel];
  Reply reply = DispatchOnChannel(command);
  channel_selections_[channel] = selection_;
  return reply;
}

SoftUsim::Reply SoftUsim::ManageChannel(const CommandApdu& command) {
  if ((command.cla & ~kClaChannelMask) != kClaIso) return Reply(card_sw::kClaWrong);
  if (command.p1 == kManageChannelOpen && command.p2 == 0) {
    for (int n = 1; n < kLogicalChannels; ++n) {
      if (channel_open_[n]) continue;
      channel_open_[n] = true;
      // TS 102 221 §11.1.17.2: opened from the basic channel, the new one starts at the MF.
      channel_selections_[n] = Selection{.df = files_->mf(), .ef = nullptr, .adf = nullptr};
      return Reply({static_cast<uint8_t>(n)}, card_sw::kOk);
    }
    return Reply(card_sw::kLogicalChannelNotSupported);  // all in use
  }
  if (command.p1 == kManageChannelClose && command.p2 > 0 && command.p2 < kLogicalChannels) {
    if (!channel_open_[command.p2]) return Reply(card_sw::kWrongP1P2);
    channel_open_[command.p2] = false;
    return Reply(card_sw::kOk);
  }
  return Reply(card_sw::kWrongP1P2);
}

SoftUsim::Reply SoftUsim::DispatchOnChannel(const CommandApdu& command) {
  auto require = [&](uint8_t cla) { return (command.cla & ~kClaChannelMask) == cla; };
  switch (command.ins) {
    case kInsSelect:
      return require(kClaIso) ? Select(command) : Reply(card_sw::kClaWrong);
    case kInsStatus:
      return require(kClaProprietary) ? Status(command) : Reply(card_sw::kClaWrong);
    case kInsReadBinary:
      return require(kClaIso) ? ReadBinary(command) : Reply(card_sw::kClaWrong);
    case kInsUpdateBinary:
      return require(kClaIso) ? UpdateBinary(command) : Reply(card_sw::kClaWrong);
    case kInsReadRecord:
      return require(kClaIso) ? ReadRecord(command) : Reply(card_sw::kClaWrong);
    case kInsVerify:
      return require(kClaIso) ? Verify(command) : Reply(card_sw::kClaWrong);
    case kInsAuthenticate:
      return require(kClaIso) ? Authenticate(command) : Reply(card_sw::kClaWrong);
    case kInsGetResponse:
      return Reply(card_sw::kClaWrong);  // GET RESPONSE with CLA 80
    default:
      return Reply(card_sw::kInsUnknown);
  }
}

Bytes SoftUsim::Respond(const CommandApdu& command, Reply reply) {
  if (reply.data.empty()) return StatusOnly(reply.sw);
  if (!options_.t0) {
    // T=1: the data comes back with the command; Ne bounds it (ISO 7816-4 §5.1).
    Bytes out = std::move(reply.data);
    if (command.le.has_value() && *command.le < out.size()) {
      Cleanse(std::span<uint8_t>(out).subspan(*command.le));
      out.resize(*command.le);
    }
    out.push_back(static_cast<uint8_t>(reply.sw >> 8));
    out.push_back(static_cast<uint8_t>(reply.sw & 0xff));
    return out;
  }
  if (reply.sw != card_sw::kOk) return StatusOnly(reply.sw);
  if (command.Case() == 2) {
    // T=0 case 2: P3 is the exact length the card sends; a different one gets 6Cxx with
    // the right length, and the terminal resends (TS 102 221 §7.3.1.1.4, ISO 7816-3 §10.3.3).
    if (reply.data.size() > 256 || *command.le != reply.data.size()) {
      return {kSw1WrongLe, LengthByte(reply.data.size())};
    }
    Bytes out = std::move(reply.data);
    out.push_back(static_cast<uint8_t>(card_sw::kOk >> 8));
    out.push_back(static_cast<uint8_t>(card_sw::kOk & 0xff));
    return out;
  }
  // T=0 cases 3 and 4: data only through GET RESPONSE, announced by 61xx.
  pending_response_ = SecretBytes::CopyFrom(reply.data);
  return {kSw1ResponseAvailable, LengthByte(reply.data.size())};
}

SoftUsim::Reply SoftUsim::GetResponse(const CommandApdu& command) {
  // TS 102 221 §11.1.13: P1 = P2 = 00; Le = how much of the pending data to return.
  if (command.p1 != 0 || command.p2 != 0) return Reply(card_sw::kWrongP1P2);
  if (pending_response_.empty()) return Reply(card_sw::kConditionsNotSatisfied);
  const size_t available = pending_response_.size();
  const size_t wanted = command.le.value_or(256);
  if (wanted > available && options_.t0) {
    return Reply({}, static_cast<uint16_t>(0x6C00 | LengthByte(available)));
  }
  const size_t n = std::min(wanted, available);
  Reply reply;
  reply.data.assign(pending_response_.view().begin(), pending_response_.view().begin() + n);
  if (n < available) {
    pending_response_ = SecretBytes::CopyFrom(pending_response_.view().subspan(n));
    reply.sw = static_cast<uint16_t>(0x6100 | LengthByte(pending_response_.size()));
  } else {
    pending_response_.Clear();
    reply.sw = card_sw::kOk;
  }
  return reply;
}

absl::Status SoftUsim::Commit(CardState next) {
  absl::Status saved = store_.Save(next);
  if (!saved.ok()) {
    if (options_.log) {
      options_.log(
          absl::StrCat("soft USIM state not saved, command refused with 6F00: ", saved.message()));
    }
    return saved;
  }
  state_ = std::move(next);
  SyncFiles();
  return absl::OkStatus();
}

void SoftUsim::SyncFiles() {
  for (const auto& [key, contents] : state_.updated_files) {
    if (CardFile* file = files_->FindByKey(key)) file->contents = contents;
  }
  if (CardFile* gbanl = files_->FindByKey("usim/6fda")) {
    for (Bytes& record : gbanl->records) std::fill(record.begin(), record.end(), 0xFF);
    for (const NafKeyEntry& entry : state_.naf_keys) {
      absl::StatusOr<Bytes> record =
          EncodeGbanlRecord(entry.naf_id, entry.btid, kEfGbanlRecordSize);
      const size_t index = static_cast<size_t>(entry.record - 1);
      if (record.ok() && index < gbanl->records.size()) gbanl->records[index] = *record;
    }
  }
}

}  // namespace gbabridge
