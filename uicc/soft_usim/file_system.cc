#include "uicc/soft_usim/file_system.h"

#include <algorithm>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uicc/base/identifiers.h"
#include "uicc/ef_imsi.h"
#include "uicc/soft_usim/gba_files.h"
#include "uicc/tlv.h"

namespace gbabridge {
namespace {

constexpr size_t kEfDirRecordSize = 0x26;  // a common size on commercial UICCs
constexpr size_t kUstSize = 9;             // services 1..72
constexpr uint16_t kFidEfDir = 0x2F00;
constexpr uint16_t kFidEfIccid = 0x2FE2;
constexpr uint16_t kFidEfImsi = 0x6F07;
constexpr uint16_t kFidEfAd = 0x6FAD;
constexpr uint16_t kFidEfUst = 0x6F38;
constexpr uint16_t kFidEfGbabp = 0x6FD6;
constexpr uint16_t kFidEfGbanl = 0x6FDA;
constexpr uint16_t kFidEfImpi = 0x6F02;
constexpr int kUstServiceGba = 68;

CardFile* AddChild(CardFile& parent, std::unique_ptr<CardFile> child) {
  child->parent = &parent;
  if (child->key.empty()) {
    child->key = absl::StrFormat("%s/%04x", parent.key, child->fid);
  }
  parent.children.push_back(std::move(child));
  return parent.children.back().get();
}

std::unique_ptr<CardFile> Transparent(uint16_t fid, Bytes contents, CardAccess read,
                                      CardAccess update = CardAccess::kNever) {
  auto file = std::make_unique<CardFile>();
  file->fid = fid;
  file->kind = CardFileKind::kTransparent;
  file->contents = std::move(contents);
  file->read = read;
  file->update = update;
  return file;
}

std::unique_ptr<CardFile> LinearFixed(uint16_t fid, std::vector<Bytes> records, size_t record_size,
                                      CardAccess read) {
  auto file = std::make_unique<CardFile>();
  file->fid = fid;
  file->kind = CardFileKind::kLinearFixed;
  file->records = std::move(records);
  file->record_size = record_size;
  file->read = read;
  return file;
}

std::unique_ptr<CardFile> Adf(uint16_t fid, ByteView aid, std::string label, std::string key) {
  auto file = std::make_unique<CardFile>();
  file->fid = fid;
  file->kind = CardFileKind::kAdf;
  file->aid.assign(aid.begin(), aid.end());
  file->label = std::move(label);
  file->key = std::move(key);
  return file;
}

// EF_DIR record: 61 L { 4F L AID, 50 L label }, FF-padded (TS 102 221 §13.1).
Bytes DirRecord(const CardFile& adf) {
  Bytes inner = EncodeTlv(0x4F, adf.aid);
  const Bytes label = EncodeTlv(0x50, AsBytes(adf.label));
  inner.insert(inner.end(), label.begin(), label.end());
  Bytes record = EncodeTlv(0x61, inner);
  record.resize(kEfDirRecordSize, 0xFF);
  return record;
}

}  // namespace

CardFile* CardFile::Child(uint16_t child_fid) const {
  for (const auto& child : children) {
    if (child->fid == child_fid) return child.get();
  }
  return nullptr;
}

void SetService(Bytes& table, int service) {
  const size_t byte = static_cast<size_t>(service - 1) / 8;
  if (service < 1 || byte >= table.size()) return;
  table[byte] |= static_cast<uint8_t>(1u << ((service - 1) % 8));
}

Bytes EncodeIccid(std::string_view digits) {
  Bytes out((digits.size() + 1) / 2, 0xFF);
  for (size_t i = 0; i < digits.size(); ++i) {
    const uint8_t nibble = static_cast<uint8_t>(digits[i] - '0');
    uint8_t& byte = out[i / 2];
    // First digit in the low nibble ("swapped" BCD).
    byte = (i % 2 == 0) ? static_cast<uint8_t>((byte & 0xF0) | nibble)
                        : static_cast<uint8_t>((byte & 0x0F) | (nibble << 4));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<FileSystem>> FileSystem::Build(const CardProfile& profile) {
  std::unique_ptr<FileSystem> fs(new FileSystem());
  fs->mf_ = std::make_unique<CardFile>();
  CardFile& mf = *fs->mf_;
  mf.fid = 0x3F00;
  mf.kind = CardFileKind::kMf;
  mf.key = "mf";

  // ADF.USIM and its EFs; reading them needs PIN1 when it is enabled (TS 31.102 §4.2).
  CardFile* usim = AddChild(mf, Adf(kFidUsimAdf, kSoftUsimAid, "USIM", "usim"));
  fs->usim_ = usim;
  absl::StatusOr<Bytes> ef_imsi = EncodeEfImsi(profile.imsi);
  if (!ef_imsi.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode the profile's IMSI: ", ef_imsi.status().message()));
  }
  AddChild(*usim, Transparent(kFidEfImsi, *ef_imsi, CardAccess::kPin));
  // EF_AD (TS 31.102 §4.2.18): normal operation, no additional info, MNC length.
  AddChild(*usim,
           Transparent(kFidEfAd, {0x00, 0x00, 0x00, static_cast<uint8_t>(profile.mnc_length)},
                       CardAccess::kPin));
  Bytes ust(kUstSize, 0x00);
  SetService(ust, kUstServiceGsmAccess);
  if (profile.gba_u) SetService(ust, kUstServiceGba);
  AddChild(*usim, Transparent(kFidEfUst, ust, CardAccess::kPin));
  if (profile.gba_u) {
    // TS 31.102 §4.2.79: READ PIN, UPDATE PIN (the terminal writes B-TID and lifetime).
    AddChild(*usim, Transparent(kFidEfGbabp, EmptyEfGbabp(kEfGbabpSize), CardAccess::kPin,
                                CardAccess::kPin));
    // TS 31.102 §4.2.83: READ PIN, UPDATE ADM (only the card writes it).
    AddChild(*usim,
             LinearFixed(kFidEfGbanl,
                         std::vector<Bytes>(kEfGbanlRecords, Bytes(kEfGbanlRecordSize, 0xFF)),
                         kEfGbanlRecordSize, CardAccess::kPin));
  }

  if (profile.impi.has_value()) {
    CardFile* isim = AddChild(mf, Adf(kFidIsimAdf, kSoftIsimAid, "ISIM", "isim"));
    fs->isim_ = isim;
    // EF_IMPI (TS 31.103 §4.2.2): TLV 80 with the NAI.
    AddChild(*isim,
             Transparent(kFidEfImpi, EncodeTlv(0x80, AsBytes(*profile.impi)), CardAccess::kPin));
  }

  std::vector<Bytes> dir_records;
  for (const auto& child : mf.children) {
    if (child->kind == CardFileKind::kAdf) dir_records.push_back(DirRecord(*child));
  }
  // MF-level EFs are readable without PIN (TS 102 221 §13).
  mf.children.insert(mf.children.begin(), LinearFixed(kFidEfDir, std::move(dir_records),
                                                      kEfDirRecordSize, CardAccess::kAlways));
  mf.children.front()->parent = &mf;
  mf.children.front()->key = "mf/2f00";
  AddChild(mf, Transparent(kFidEfIccid, EncodeIccid(profile.iccid), CardAccess::kAlways));
  return fs;
}

CardFile* FileSystem::FindByKey(std::string_view key) const {
  std::function<CardFile*(CardFile&)> visit = [&](CardFile& file) -> CardFile* {
    if (file.key == key) return &file;
    for (const auto& child : file.children) {
      if (CardFile* found = visit(*child)) return found;
    }
    return nullptr;
  };
  return visit(*mf_);
}

CardFile* FileSystem::ResolveFid(const Selection& selection, uint16_t fid) const {
  if (fid == kFidCurrentAdf) return selection.adf;
  if (fid == mf_->fid) return mf_.get();
  CardFile* df = selection.df != nullptr ? selection.df : mf_.get();
  if (fid == df->fid) return df;
  if (CardFile* child = df->Child(fid)) return child;
  if (df->parent != nullptr) {
    if (fid == df->parent->fid) return df->parent;
    // DFs that are siblings of the current DF.
    CardFile* sibling = df->parent->Child(fid);
    if (sibling != nullptr && sibling->is_df()) return sibling;
  }
  return nullptr;
}

CardFile* FileSystem::ResolvePath(const Selection& selection, ByteView path, bool from_mf) const {
  if (path.empty() || path.size() % 2 != 0) return nullptr;
  CardFile* file = from_mf ? mf_.get() : (selection.df != nullptr ? selection.df : mf_.get());
  for (size_t i = 0; i < path.size(); i += 2) {
    const uint16_t fid = static_cast<uint16_t>((path[i] << 8) | path[i + 1]);
    if (i == 0 && fid == kFidCurrentAdf) {
      file = selection.adf;
    } else if (i == 0 && from_mf && fid == mf_->fid) {
      continue;  // tolerate an explicit MF at the start of an absolute path
    } else {
      file = file->is_df() ? file->Child(fid) : nullptr;
    }
    if (file == nullptr) return nullptr;
  }
  return file;
}

std::vector<CardFile*> FileSystem::FindAdfs(ByteView partial_aid) const {
  std::vector<CardFile*> out;
  for (const auto& child : mf_->children) {
    if (child->kind != CardFileKind::kAdf || partial_aid.size() > child->aid.size()) continue;
    if (std::equal(partial_aid.begin(), partial_aid.end(), child->aid.begin())) {
      out.push_back(child.get());
    }
  }
  return out;
}

}  // namespace gbabridge
