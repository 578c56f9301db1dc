#include "uicc/tlv.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

constexpr size_t kMaxTagBytes = 3;
constexpr size_t kMaxLengthBytes = 3;  // 0x83 xx xx xx

absl::Status Malformed(absl::string_view what) {
  return CardError(CardErrorReason::kMalformedResponse, absl::StrCat("malformed BER-TLV: ", what));
}

// ISO/IEC 7816-4 §5.2.2: '00' and 'FF' are not valid first tag bytes; both are used as
// padding between objects.
bool IsPadding(uint8_t b) { return b == 0x00 || b == 0xFF; }

}  // namespace

bool TlvView::constructed() const {
  uint8_t first = static_cast<uint8_t>(tag);
  if (tag > 0xFFFF) {
    first = static_cast<uint8_t>(tag >> 16);
  } else if (tag > 0xFF) {
    first = static_cast<uint8_t>(tag >> 8);
  }
  return (first & 0x20) != 0;
}

absl::StatusOr<TlvView> ParseTlv(ByteView input, size_t* consumed) {
  size_t pos = 0;
  if (input.empty()) return Malformed("empty input where a tag was expected");

  // Tag (ISO/IEC 7816-4 §5.2.2.1): low 5 bits all set in the first byte means more tag
  // bytes follow; in each following byte, bit 8 set means yet another one follows.
  const uint8_t first = input[pos++];
  if (IsPadding(first)) {
    return Malformed(absl::StrCat("invalid tag byte 0x", absl::Hex(first, absl::kZeroPad2)));
  }
  uint32_t tag = first;
  if ((first & 0x1F) == 0x1F) {
    while (true) {
      if (pos >= input.size()) return Malformed("truncated multi-byte tag");
      if (pos >= kMaxTagBytes) return Malformed("tag longer than 3 bytes");
      const uint8_t b = input[pos++];
      tag = (tag << 8) | b;
      if ((b & 0x80) == 0) break;
    }
  }

  // Length (ISO/IEC 7816-4 §5.2.2.2): short form 00..7F, or 81..83 followed by 1..3
  // big-endian bytes. 80 (indefinite, BER only) is not allowed in card data.
  if (pos >= input.size()) return Malformed("truncated before the length");
  const uint8_t length_byte = input[pos++];
  size_t length = length_byte;
  if (length_byte == 0x80) return Malformed("indefinite length (0x80) is not allowed");
  if (length_byte > 0x80) {
    const size_t n = length_byte & 0x7F;
    if (n > kMaxLengthBytes) {
      return Malformed(absl::StrCat("length form 0x", absl::Hex(length_byte, absl::kZeroPad2),
                                    " is not supported (at most 0x83)"));
    }
    if (input.size() - pos < n) return Malformed("truncated length field");
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | input[pos++];
  }

  if (input.size() - pos < length) {
    return Malformed(absl::StrCat("tag 0x", absl::Hex(tag), " has length ", length, " but only ",
                                  input.size() - pos, " bytes follow"));
  }
  TlvView tlv;
  tlv.tag = tag;
  tlv.value = input.subspan(pos, length);
  if (consumed != nullptr) *consumed = pos + length;
  return tlv;
}

absl::StatusOr<std::vector<TlvView>> ParseTlvList(ByteView input) {
  std::vector<TlvView> list;
  size_t pos = 0;
  while (pos < input.size()) {
    if (IsPadding(input[pos])) {
      ++pos;
      continue;
    }
    size_t consumed = 0;
    absl::StatusOr<TlvView> tlv = ParseTlv(input.subspan(pos), &consumed);
    if (!tlv.ok()) return tlv.status();
    list.push_back(*tlv);
    pos += consumed;
  }
  return list;
}

std::optional<TlvView> FindTlv(const std::vector<TlvView>& list, uint32_t tag) {
  for (const TlvView& tlv : list) {
    if (tlv.tag == tag) return tlv;
  }
  return std::nullopt;
}

Bytes EncodeTlv(uint32_t tag, ByteView value) {
  Bytes out;
  out.reserve(value.size() + 8);
  if (tag > 0xFFFF) out.push_back(static_cast<uint8_t>(tag >> 16));
  if (tag > 0xFF) out.push_back(static_cast<uint8_t>(tag >> 8));
  out.push_back(static_cast<uint8_t>(tag));

  // Shortest length form (ISO/IEC 7816-4 §5.2.2.2). Values above 0xFFFFFF are outside the
  // header's contract; they get the 4-byte form, which is valid BER but not read back.
  const size_t n = value.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    size_t bytes = 1;
    while (bytes < sizeof(uint32_t) && (n >> (8 * bytes)) != 0) ++bytes;
    out.push_back(static_cast<uint8_t>(0x80 | bytes));
    for (size_t i = bytes; i > 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * (i - 1))));
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

}  // namespace gbabridge
