// The soft USIM's file tree (ETSI TS 102 221 §8, TS 31.102 §4, TS 31.103 §4):
//
//   MF 3F00
//   ├── EF_DIR 2F00    linear fixed: one application template per ADF (TS 102 221 §13.1)
//   ├── EF_ICCID 2FE2  transparent (TS 102 221 §13.2)
//   ├── ADF.USIM (FID 7FF0, AID A0000000871002FF33FFFF8901010100)
//   │   ├── EF_IMSI 6F07, EF_AD 6FAD, EF_UST 6F38
//   │   └── EF_GBABP 6FD6, EF_GBANL 6FDA  (GBA_U cards only; UST n°68)
//   └── ADF.ISIM (FID 7FF1, AID A0000000871004FF33FFFF8901010100; only with an IMPI)
//       └── EF_IMPI 6F02
//
// It also resolves file identifiers and paths the way TS 102 221 §8.4.1 allows, relative
// to a selection. Contents of EF_GBABP and EF_GBANL are kept up to date by SoftUsim.
#ifndef GBABRIDGE_UICC_SOFT_USIM_FILE_SYSTEM_H_
#define GBABRIDGE_UICC_SOFT_USIM_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/soft_usim/card_profile.h"

namespace gbabridge {

enum class CardFileKind { kMf, kAdf, kTransparent, kLinearFixed };
// Access conditions (TS 102 221 §9.2): ALWays, PIN1 (application PIN), NEVer/ADM.
enum class CardAccess { kAlways, kPin, kNever };

struct CardFile {
  uint16_t fid = 0;
  CardFileKind kind = CardFileKind::kTransparent;
  std::string key;    // stable name for persistence, e.g. "usim/6fd6"
  Bytes aid;          // ADFs only
  std::string label;  // ADFs only: the EF_DIR application label
  CardAccess read = CardAccess::kAlways;
  CardAccess update = CardAccess::kNever;
  Bytes contents;              // transparent EFs
  std::vector<Bytes> records;  // linear fixed EFs, each record_size long
  size_t record_size = 0;
  CardFile* parent = nullptr;
  std::vector<std::unique_ptr<CardFile>> children;

  bool is_df() const { return kind == CardFileKind::kMf || kind == CardFileKind::kAdf; }
  CardFile* Child(uint16_t child_fid) const;
};

// AIDs (TS 101 220 Annex E: RID A000000087, application code 1002 USIM / 1004 ISIM; the
// rest is the provider-specific part, as on commercial cards).
inline constexpr uint8_t kSoftUsimAid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF,
                                           0x33, 0xFF, 0xFF, 0x89, 0x01, 0x01, 0x01, 0x00};
inline constexpr uint8_t kSoftIsimAid[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04, 0xFF,
                                           0x33, 0xFF, 0xFF, 0x89, 0x01, 0x01, 0x01, 0x00};
inline constexpr uint16_t kFidUsimAdf = 0x7FF0;
inline constexpr uint16_t kFidIsimAdf = 0x7FF1;
inline constexpr uint16_t kFidCurrentAdf = 0x7FFF;  // TS 102 221 §8.3
inline constexpr size_t kEfGbabpSize = 256;
inline constexpr size_t kEfGbanlRecordSize = 255;
inline constexpr size_t kEfGbanlRecords = 8;
inline constexpr int kUstServiceGsmAccess = 27;  // TS 31.102 §4.2.8: Kc in AUTHENTICATE

// Where the terminal stands (TS 102 221 §8.2); volatile, lost on reset.
struct Selection {
  CardFile* df = nullptr;   // current DF: the MF or an ADF
  CardFile* ef = nullptr;   // current EF, if any
  CardFile* adf = nullptr;  // current application (what 7FFF means)
};

class FileSystem {
 public:
  static absl::StatusOr<std::unique_ptr<FileSystem>> Build(const CardProfile& profile);

  CardFile* mf() const { return mf_.get(); }
  CardFile* usim() const { return usim_; }
  CardFile* isim() const { return isim_; }  // null without an IMPI
  // A file by its persistence key, or null.
  CardFile* FindByKey(std::string_view key) const;

  // SELECT by file identifier from `selection` (TS 102 221 §8.4.1): the current DF, its
  // children, its parent, the MF, and 7FFF for the current application. Null if none.
  CardFile* ResolveFid(const Selection& selection, uint16_t fid) const;
  // SELECT by path (P1 08 from the MF, P1 09 from the current DF): FIDs of two bytes each,
  // 7FFF allowed as the first one. Null if any step is missing.
  CardFile* ResolvePath(const Selection& selection, ByteView path, bool from_mf) const;
  // ADFs whose AID starts with `partial_aid` (right-truncated AID, TS 102 221 §8.5.3), in
  // EF_DIR order.
  std::vector<CardFile*> FindAdfs(ByteView partial_aid) const;

 private:
  FileSystem() = default;
  std::unique_ptr<CardFile> mf_;
  CardFile* usim_ = nullptr;
  CardFile* isim_ = nullptr;
};

// Sets service n (1-based) in a service table: byte (n-1)/8, bit (n-1)%8 (TS 31.102 §4.2.8).
void SetService(Bytes& table, int service);
// EF_ICCID: swapped BCD, F-padded (TS 102 221 §13.2).
Bytes EncodeIccid(std::string_view digits);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_FILE_SYSTEM_H_
