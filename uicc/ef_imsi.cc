#include "uicc/ef_imsi.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "uicc/base/identifiers.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

// TS 31.102 §4.2.2: EF_IMSI is 9 bytes, a length byte then up to 8 bytes of BCD.
constexpr size_t kEfImsiSize = 9;
constexpr uint8_t kMaxImsiLength = 8;
// The low nibble of the first digit byte (TS 24.008 §10.5.1.4, as TS 31.102 §4.2.2
// uses it): type of identity 001 = IMSI, and bit 4 set for an odd number of digits.
constexpr uint8_t kImsiTypeOdd = 0x9;
constexpr uint8_t kImsiTypeEven = 0x1;

absl::Status MalformedImsi(absl::string_view what) {
  return CardError(CardErrorReason::kMalformedResponse,
                   absl::StrCat("the card's EF_IMSI is malformed: ", what));
}

}  // namespace

absl::StatusOr<std::string> DecodeEfImsi(ByteView ef_imsi) {
  if (ef_imsi.empty()) return MalformedImsi("empty");
  const uint8_t length = ef_imsi[0];
  if (length == 0xFF) return MalformedImsi("not initialised (length byte FF)");
  if (length == 0 || length > kMaxImsiLength) {
    return MalformedImsi(absl::StrCat("length byte ", length, " is not 1 to 8"));
  }
  if (ef_imsi.size() < 1u + length) {
    return MalformedImsi(
        absl::StrCat("length byte says ", length, " but only ", ef_imsi.size() - 1, " follow"));
  }
  // Nibbles in transmission order: low then high of each byte. The first is the
  // type/parity nibble; the rest are digits, the last one F when the count is even.
  const ByteView bcd = ef_imsi.subspan(1, length);
  const uint8_t type = bcd[0] & 0x0F;
  if (type != kImsiTypeOdd && type != kImsiTypeEven) {
    return MalformedImsi(absl::StrCat("type/parity nibble is ", type, ", expected 9 or 1"));
  }
  const size_t count = 2 * bcd.size() - (type == kImsiTypeOdd ? 1 : 2);
  std::string digits;
  digits.reserve(count);
  for (size_t i = 1; i < 2 * bcd.size(); ++i) {
    const uint8_t nibble = (i % 2 == 0) ? (bcd[i / 2] & 0x0F) : (bcd[i / 2] >> 4);
    if (digits.size() == count) {
      if (nibble != 0x0F) return MalformedImsi("even digit count but the last nibble is not F");
      break;
    }
    if (nibble > 9) return MalformedImsi("a digit nibble is not 0 to 9");
    digits.push_back(static_cast<char>('0' + nibble));
  }
  if (digits.size() < kMinImsiDigits) {
    return MalformedImsi(absl::StrCat("only ", digits.size(), " digits"));
  }
  return digits;
}

absl::StatusOr<Bytes> EncodeEfImsi(std::string_view digits) {
  if (absl::Status s = CheckImsiDigits(digits); !s.ok()) return s;
  const bool odd = digits.size() % 2 == 1;
  // Nibbles: type/parity, the digits, and an F filler when that makes an odd total.
  std::vector<uint8_t> nibbles;
  nibbles.push_back(odd ? kImsiTypeOdd : kImsiTypeEven);
  for (char c : digits) nibbles.push_back(static_cast<uint8_t>(c - '0'));
  if (nibbles.size() % 2 == 1) nibbles.push_back(0x0F);
  Bytes out;
  out.push_back(static_cast<uint8_t>(nibbles.size() / 2));
  for (size_t i = 0; i < nibbles.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibbles[i] | (nibbles[i + 1] << 4)));
  }
  out.resize(kEfImsiSize, 0xFF);  // Unused bytes of the 9-byte EF are FF.
  return out;
}

absl::StatusOr<int> MncLengthFromEfAd(ByteView ef_ad) {
  // TS 31.102 §4.2.18: bytes 1-3 are mandatory; byte 4 (length of MNC in the IMSI) was
  // added later, and cards without it have 2-digit MNCs.
  if (ef_ad.size() < 3) {
    return CardError(CardErrorReason::kMalformedResponse,
                     absl::StrCat("EF_AD has ", ef_ad.size(), " bytes, at least 3 expected"));
  }
  if (ef_ad.size() < 4) return 2;
  const int mnc_length = ef_ad[3] & 0x0F;  // b5-b8 are RFU.
  if (mnc_length != 2 && mnc_length != 3) {
    return CardError(CardErrorReason::kMalformedResponse,
                     absl::StrCat("EF_AD gives an MNC length of ", mnc_length, ", not 2 or 3"));
  }
  return mnc_length;
}

}  // namespace gbabridge
