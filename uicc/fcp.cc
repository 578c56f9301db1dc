#include "uicc/fcp.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "uicc/card_error.h"
#include "uicc/tlv.h"

namespace gbabridge {
namespace {

// Tags of ETSI TS 102 221 §11.1.1.3 (Table 11.4 and following).
constexpr uint32_t kTagFcp = 0x62;
constexpr uint32_t kTagFileSize = 0x80;
constexpr uint32_t kTagFileDescriptor = 0x82;
constexpr uint32_t kTagFileId = 0x83;
constexpr uint32_t kTagDfName = 0x84;
constexpr uint32_t kTagLifeCycle = 0x8A;
constexpr uint32_t kTagPinStatus = 0xC6;
// Inside the PIN status template DO (TS 102 221 §9.5.2).
constexpr uint32_t kTagPsDo = 0x90;
constexpr uint32_t kTagKeyReference = 0x83;

// File descriptor byte (TS 102 221 §11.1.1.4.3, Table 11.5).
constexpr uint8_t kShareable = 0x40;
constexpr uint8_t kDescriptorDf = 0x38;
constexpr uint8_t kDescriptorTransparent = 0x01;
constexpr uint8_t kDescriptorLinearFixed = 0x02;
constexpr uint8_t kDescriptorCyclic = 0x06;
constexpr uint8_t kDataCoding = 0x21;  // The value TS 102 221 §11.1.1.4.3 prescribes.

absl::Status Malformed(absl::string_view what) {
  return CardError(CardErrorReason::kMalformedResponse,
                   absl::StrCat("the card sent a malformed FCP: ", what));
}

FileStructure StructureFromDescriptor(uint8_t descriptor) {
  const uint8_t fd = descriptor & static_cast<uint8_t>(~kShareable);
  if (fd == kDescriptorDf) return FileStructure::kDf;
  if ((fd & kDescriptorDf) == kDescriptorDf) return FileStructure::kUnknown;  // e.g. BER-TLV EF
  switch (fd & 0x07) {
    case kDescriptorTransparent:
      return FileStructure::kTransparent;
    case kDescriptorLinearFixed:
      return FileStructure::kLinearFixed;
    case kDescriptorCyclic:
      return FileStructure::kCyclic;
    default:
      return FileStructure::kUnknown;
  }
}

// Tag 82: 2 bytes (descriptor, data coding), or 5 for record EFs with the record length
// (2 bytes) and the number of records (TS 102 221 §11.1.1.4.3).
absl::Status ParseFileDescriptor(ByteView v, Fcp& fcp) {
  if (v.size() != 2 && v.size() != 5) {
    return Malformed(absl::StrCat("file descriptor (tag 82) has ", v.size(), " bytes, not 2 or 5"));
  }
  fcp.structure = StructureFromDescriptor(v[0]);
  if (v.size() == 5) {
    fcp.record_size = static_cast<uint16_t>((v[2] << 8) | v[3]);
    fcp.record_count = v[4];
  } else if (fcp.structure == FileStructure::kLinearFixed ||
             fcp.structure == FileStructure::kCyclic) {
    return Malformed("record EF without record length and count in tag 82");
  }
  return absl::OkStatus();
}

// Tag C6: PS_DO (tag 90, a bitmap), then the key references (tag 83), each optionally
// preceded by a usage qualifier (tag 95). Bit b8 of the first PS_DO byte is the first key
// reference, b7 the second, and so on; a set bit means the PIN is enabled
// (TS 102 221 §9.5.2).
absl::Status ParsePinStatus(ByteView v, Fcp& fcp) {
  absl::StatusOr<std::vector<TlvView>> items = ParseTlvList(v);
  if (!items.ok()) {
    return Malformed(absl::StrCat("PIN status template: ", items.status().message()));
  }
  std::optional<ByteView> ps_do;
  size_t index = 0;
  for (const TlvView& item : *items) {
    if (item.tag == kTagPsDo) {
      if (ps_do.has_value() || item.value.empty()) {
        return Malformed("PIN status template has an empty or repeated PS_DO (tag 90)");
      }
      ps_do = item.value;
    } else if (item.tag == kTagKeyReference) {
      if (!ps_do.has_value()) {
        return Malformed("key reference before the PS_DO (tag 90) in the PIN status template");
      }
      if (item.value.size() != 1) return Malformed("key reference (tag 83) is not 1 byte");
      if (index / 8 >= ps_do->size()) {
        return Malformed(absl::StrCat("PS_DO has ", ps_do->size() * 8,
                                      " bits but the template lists more key references"));
      }
      const bool enabled = ((*ps_do)[index / 8] & (0x80 >> (index % 8))) != 0;
      fcp.pins.push_back(PinStatus{.key_reference = item.value[0], .enabled = enabled});
      ++index;
    }
    // Usage qualifiers (tag 95) and anything else are not needed.
  }
  return absl::OkStatus();
}

void AppendTlv(Bytes& out, uint32_t tag, ByteView value) {
  const Bytes tlv = EncodeTlv(tag, value);
  out.insert(out.end(), tlv.begin(), tlv.end());
}

}  // namespace

absl::StatusOr<Fcp> ParseFcp(ByteView response_data) {
  absl::StatusOr<std::vector<TlvView>> outer = ParseTlvList(response_data);
  if (!outer.ok()) return Malformed(outer.status().message());
  if (outer->size() != 1 || (*outer)[0].tag != kTagFcp) {
    return Malformed("expected exactly one FCP template (tag 62)");
  }
  absl::StatusOr<std::vector<TlvView>> items = ParseTlvList((*outer)[0].value);
  if (!items.ok()) return Malformed(items.status().message());

  Fcp fcp;
  // TS 102 221 §11.1.1.3: the file descriptor is mandatory in every FCP.
  const std::optional<TlvView> descriptor = FindTlv(*items, kTagFileDescriptor);
  if (!descriptor.has_value()) return Malformed("no file descriptor (tag 82)");
  if (absl::Status s = ParseFileDescriptor(descriptor->value, fcp); !s.ok()) return s;

  if (const std::optional<TlvView> fid = FindTlv(*items, kTagFileId)) {
    if (fid->value.size() != 2) return Malformed("file identifier (tag 83) is not 2 bytes");
    fcp.file_id = static_cast<uint16_t>((fid->value[0] << 8) | fid->value[1]);
  }
  if (const std::optional<TlvView> name = FindTlv(*items, kTagDfName)) {
    // An AID is at most 16 bytes (TS 101 220 §4).
    if (name->value.empty() || name->value.size() > 16) {
      return Malformed("DF name (tag 84) is not 1 to 16 bytes");
    }
    fcp.df_name.assign(name->value.begin(), name->value.end());
  }
  if (const std::optional<TlvView> size = FindTlv(*items, kTagFileSize)) {
    if (size->value.empty() || size->value.size() > 4) {
      return Malformed("file size (tag 80) is not 1 to 4 bytes");
    }
    uint32_t n = 0;
    for (uint8_t b : size->value) n = (n << 8) | b;
    fcp.file_size = n;
  }
  if (const std::optional<TlvView> life = FindTlv(*items, kTagLifeCycle)) {
    if (life->value.size() != 1) return Malformed("life cycle status (tag 8A) is not 1 byte");
    fcp.life_cycle = life->value[0];
  }
  if (const std::optional<TlvView> pins = FindTlv(*items, kTagPinStatus)) {
    if (absl::Status s = ParsePinStatus(pins->value, fcp); !s.ok()) return s;
  }
  return fcp;
}

Bytes EncodeFcp(const Fcp& fcp) {
  Bytes body;
  // Objects in the order of TS 102 221 §11.1.1.3.1/.2 (82, 83, 84, 8A, C6, 80).
  uint8_t descriptor = 0;
  switch (fcp.structure) {
    case FileStructure::kTransparent:
      descriptor = kDescriptorTransparent;
      break;
    case FileStructure::kLinearFixed:
      descriptor = kDescriptorLinearFixed;
      break;
    case FileStructure::kCyclic:
      descriptor = kDescriptorCyclic;
      break;
    case FileStructure::kDf:
      descriptor = kDescriptorDf;
      break;
    case FileStructure::kUnknown:
      break;
  }
  if (descriptor != 0) {
    Bytes fd = {descriptor, kDataCoding};
    if (fcp.record_size.has_value() || fcp.record_count.has_value()) {
      const uint16_t size = fcp.record_size.value_or(0);
      fd.push_back(static_cast<uint8_t>(size >> 8));
      fd.push_back(static_cast<uint8_t>(size & 0xff));
      fd.push_back(fcp.record_count.value_or(0));
    }
    AppendTlv(body, kTagFileDescriptor, fd);
  }
  if (fcp.file_id.has_value()) {
    const uint8_t fid[2] = {static_cast<uint8_t>(*fcp.file_id >> 8),
                            static_cast<uint8_t>(*fcp.file_id & 0xff)};
    AppendTlv(body, kTagFileId, fid);
  }
  if (!fcp.df_name.empty()) AppendTlv(body, kTagDfName, fcp.df_name);
  if (fcp.life_cycle.has_value()) {
    const uint8_t life = *fcp.life_cycle;
    AppendTlv(body, kTagLifeCycle, ByteView(&life, 1));
  }
  if (!fcp.pins.empty()) {
    Bytes ps_do((fcp.pins.size() + 7) / 8, 0x00);
    Bytes template_body;
    for (size_t i = 0; i < fcp.pins.size(); ++i) {
      if (fcp.pins[i].enabled) ps_do[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    }
    AppendTlv(template_body, kTagPsDo, ps_do);
    for (const PinStatus& pin : fcp.pins) {
      AppendTlv(template_body, kTagKeyReference, ByteView(&pin.key_reference, 1));
    }
    AppendTlv(body, kTagPinStatus, template_body);
  }
  if (fcp.file_size.has_value()) {
    // TS 102 221 §11.1.1.4.1 uses at least 2 bytes for the file size.
    const uint32_t n = *fcp.file_size;
    Bytes size;
    if (n > 0xFFFFFF) size.push_back(static_cast<uint8_t>(n >> 24));
    if (n > 0xFFFF) size.push_back(static_cast<uint8_t>(n >> 16));
    size.push_back(static_cast<uint8_t>(n >> 8));
    size.push_back(static_cast<uint8_t>(n & 0xff));
    AppendTlv(body, kTagFileSize, size);
  }
  return EncodeTlv(kTagFcp, body);
}

}  // namespace gbabridge
