// SELECT, STATUS, READ BINARY, UPDATE BINARY and READ RECORD (ETSI TS 102 221 §11.1.1 to
// §11.1.5).
#include <algorithm>

#include "uicc/fcp.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/soft_usim/soft_usim_apdus.h"
#include "uicc/soft_usim/soft_usim_status.h"
#include "uicc/tlv.h"

namespace gbabridge {
namespace {

constexpr uint8_t kLifeCycleOperationalActivated = 0x05;  // TS 102 221 §11.1.1.4.9
using namespace card_apdu;  // NOLINT(build/namespaces): the card's own command table

uint16_t Fid(ByteView data) { return static_cast<uint16_t>((data[0] << 8) | data[1]); }

}  // namespace

bool SoftUsim::MayAccess(CardAccess access) const {
  switch (access) {
    case CardAccess::kAlways:
      return true;
    case CardAccess::kPin:
      return !state_.pin_enabled || pin_verified_;
    case CardAccess::kNever:
      return false;
  }
  return false;
}

Bytes SoftUsim::FcpOf(const CardFile& file) const {
  Fcp fcp;
  fcp.file_id = file.fid;
  fcp.life_cycle = kLifeCycleOperationalActivated;
  switch (file.kind) {
    case CardFileKind::kMf:
    case CardFileKind::kAdf:
      fcp.structure = FileStructure::kDf;
      fcp.df_name = file.aid;
      // PIN status template DO (TS 102 221 §11.1.1.4.10): PS_DO says whether PIN1 is
      // enabled, key reference 01.
      fcp.pins.push_back(
          PinStatus{.key_reference = kPin1KeyReference, .enabled = state_.pin_enabled});
      break;
    case CardFileKind::kTransparent:
      fcp.structure = FileStructure::kTransparent;
      fcp.file_size = static_cast<uint32_t>(file.contents.size());
      break;
    case CardFileKind::kLinearFixed:
      fcp.structure = FileStructure::kLinearFixed;
      fcp.record_size = static_cast<uint16_t>(file.record_size);
      fcp.record_count = static_cast<uint8_t>(file.records.size());
      fcp.file_size = static_cast<uint32_t>(file.record_size * file.records.size());
      break;
  }
  return EncodeFcp(fcp);
}

SoftUsim::Reply SoftUsim::Select(const CommandApdu& command) {
  // P2 (TS 102 221 §11.1.1.2): b4-b3 = 01 return the FCP, 11 return nothing; for AIDs
  // b2-b1 = 00 first occurrence, 10 next occurrence. Application session control
  // (b7-b6) and the other combinations are not supported.
  const uint8_t response = command.p2 & kSelectResponseMask;
  const uint8_t occurrence = command.p2 & kSelectOccurrenceMask;
  if ((command.p2 & kSelectUnsupportedP2Bits) != 0 ||
      (response != kSelectReturnFcp && response != kSelectReturnNothing)) {
    return Reply(card_sw::kWrongP1P2);
  }
  if (occurrence != kSelectFirstOccurrence &&
      !(command.p1 == kSelectByAid && occurrence == kSelectNextOccurrence)) {
    return Reply(card_sw::kWrongP1P2);
  }
  const ByteView data = command.data;
  CardFile* target = nullptr;
  switch (command.p1) {
    case kSelectByFid:
      if (data.size() != 2) return Reply(card_sw::kWrongLength);
      target = files_->ResolveFid(selection_, Fid(data));
      break;
    case kSelectByAid: {  // possibly right-truncated (TS 102 221 §8.5.3)
      if (data.size() < kMinAidSize || data.size() > kMaxAidSize)
        return Reply(card_sw::kWrongLength);
      const std::vector<CardFile*> matches = files_->FindAdfs(data);
      if (occurrence == kSelectFirstOccurrence) {
        target = matches.empty() ? nullptr : matches.front();
      } else {
        auto current = std::find(matches.begin(), matches.end(), selection_.adf);
        if (current != matches.end() && current + 1 != matches.end()) target = *(current + 1);
      }
      break;
    }
    case kSelectByPathFromMf:
    case kSelectByPathFromCurrentDf:
      if (data.empty() || data.size() % 2 != 0) return Reply(card_sw::kWrongLength);
      target = files_->ResolvePath(selection_, data, command.p1 == kSelectByPathFromMf);
      break;
    default:
      return Reply(card_sw::kWrongP1P2);
  }
  if (target == nullptr) return Reply(card_sw::kFileNotFound);

  if (target->is_df()) {
    selection_.df = target;
    selection_.ef = nullptr;
  } else {
    selection_.df = target->parent;
    selection_.ef = target;
  }
  // Selecting an ADF, or a file inside one, makes it the current application (7FFF).
  if (selection_.df->kind == CardFileKind::kAdf) selection_.adf = selection_.df;
  if (response == kSelectReturnNothing) return Reply(card_sw::kOk);
  return Reply(FcpOf(*target), card_sw::kOk);
}

SoftUsim::Reply SoftUsim::Status(const CommandApdu& command) {
  // TS 102 221 §11.1.2: P1 = application status (00, 01 initialised, 02 terminating);
  // P2 = 00 FCP of the current DF, 01 DF name of the current application, 0C nothing.
  if (command.p1 > kStatusMaxP1) return Reply(card_sw::kWrongP1P2);
  if (!command.data.empty()) return Reply(card_sw::kWrongLength);
  switch (command.p2) {
    case kStatusReturnFcp:
      return Reply(FcpOf(*selection_.df), card_sw::kOk);
    case kStatusReturnDfName:
      if (selection_.adf == nullptr) return Reply(card_sw::kConditionsNotSatisfied);
      return Reply(EncodeTlv(kFcpDfNameTag, selection_.adf->aid), card_sw::kOk);
    case kStatusReturnNothing:
      return Reply(card_sw::kOk);
    default:
      return Reply(card_sw::kWrongP1P2);
  }
}

SoftUsim::Reply SoftUsim::ReadBinary(const CommandApdu& command) {
  // P1 b8 = 1 would address a file by SFI (TS 102 221 §11.1.3.2); not supported.
  if (command.p1 & 0x80) return Reply(card_sw::kWrongP1P2);
  if (!command.data.empty()) return Reply(card_sw::kWrongLength);
  const CardFile* ef = selection_.ef;
  if (ef == nullptr) return Reply(card_sw::kNoCurrentEf);
  if (ef->kind != CardFileKind::kTransparent) return Reply(card_sw::kIncompatibleFile);
  if (!MayAccess(ef->read)) return Reply(card_sw::kSecurityNotSatisfied);
  const size_t offset = (size_t{command.p1} << 8) | command.p2;
  if (offset >= ef->contents.size()) return Reply(card_sw::kOffsetOutsideEf);
  // Le absent is read as "up to 256" (short Le 00).
  const size_t n = std::min<size_t>(command.le.value_or(256), ef->contents.size() - offset);
  const auto begin = ef->contents.begin() + static_cast<ptrdiff_t>(offset);
  return Reply(Bytes(begin, begin + static_cast<ptrdiff_t>(n)), card_sw::kOk);
}

SoftUsim::Reply SoftUsim::UpdateBinary(const CommandApdu& command) {
  if (command.p1 & 0x80) return Reply(card_sw::kWrongP1P2);
  if (command.data.empty() || command.le.has_value()) return Reply(card_sw::kWrongLength);
  const CardFile* ef = selection_.ef;
  if (ef == nullptr) return Reply(card_sw::kNoCurrentEf);
  if (ef->kind != CardFileKind::kTransparent) return Reply(card_sw::kIncompatibleFile);
  // Files updatable only with ADM count as NEVer: this card has no ADM key.
  if (!MayAccess(ef->update)) return Reply(card_sw::kSecurityNotSatisfied);
  const size_t offset = (size_t{command.p1} << 8) | command.p2;
  if (offset >= ef->contents.size()) return Reply(card_sw::kOffsetOutsideEf);
  if (command.data.size() > ef->contents.size() - offset) return Reply(card_sw::kWrongLength);
  Bytes contents = ef->contents;
  std::copy(command.data.begin(), command.data.end(),
            contents.begin() + static_cast<ptrdiff_t>(offset));
  CardState next = state_.Clone();
  next.updated_files[ef->key] = std::move(contents);
  if (!Commit(std::move(next)).ok()) return Reply(card_sw::kTechnicalProblem);
  return Reply(card_sw::kOk);
}

SoftUsim::Reply SoftUsim::ReadRecord(const CommandApdu& command) {
  // P2 (TS 102 221 §11.1.5): b8-b4 SFI (00 = current EF), b3-b1 mode; only absolute
  // mode (04) with an explicit record number is supported.
  if ((command.p2 & kReadRecordModeMask) != kReadRecordAbsolute || (command.p2 >> 3) != 0 ||
      command.p1 == 0) {
    return Reply(card_sw::kWrongP1P2);
  }
  if (!command.data.empty()) return Reply(card_sw::kWrongLength);
  const CardFile* ef = selection_.ef;
  if (ef == nullptr) return Reply(card_sw::kNoCurrentEf);
  if (ef->kind != CardFileKind::kLinearFixed) return Reply(card_sw::kIncompatibleFile);
  if (!MayAccess(ef->read)) return Reply(card_sw::kSecurityNotSatisfied);
  if (command.p1 > ef->records.size()) return Reply(card_sw::kRecordNotFound);
  return Reply(ef->records[command.p1 - 1], card_sw::kOk);
}

}  // namespace gbabridge
