#include "uicc/soft_usim/atr.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {

Bytes SoftUsimAtrT1() { return {0x3B, 0x80, 0x01, 0x81}; }

Bytes SoftUsimAtrT0() { return {0x3B, 0x00}; }

absl::StatusOr<AtrSummary> ParseAtr(ByteView atr) {
  // ISO 7816-3 §8.2: at most 33 bytes (TS + 32).
  if (atr.size() < 2 || atr.size() > 33) {
    return absl::InvalidArgumentError(absl::StrCat("ATR of ", atr.size(), " bytes: need 2..33"));
  }
  if (atr[0] != 0x3B && atr[0] != 0x3F) {
    return absl::InvalidArgumentError("ATR TS byte is neither 3B nor 3F");
  }
  AtrSummary summary;
  summary.historical_bytes = atr[1] & 0x0F;
  uint8_t presence = atr[1] >> 4;  // Y1: which of TA1..TD1 follow
  size_t pos = 2;
  bool first_td = true;
  bool other_than_t0 = false;
  while (true) {
    // TAi, TBi, TCi are skipped; TDi carries the protocol and the next presence bits.
    for (int bit = 0; bit < 3; ++bit) {
      if (presence & (1 << bit)) ++pos;
    }
    if (!(presence & 0x08)) break;
    if (pos >= atr.size()) return absl::InvalidArgumentError("ATR truncated in interface bytes");
    const uint8_t td = atr[pos++];
    const int protocol = td & 0x0F;
    if (first_td) {
      summary.default_protocol = protocol;
      first_td = false;
    }
    if (protocol == 0) summary.offers_t0 = true;
    if (protocol == 1) summary.offers_t1 = true;
    if (protocol != 0) other_than_t0 = true;
    presence = td >> 4;
  }
  if (first_td) summary.offers_t0 = true;  // no TD1: T=0 implied (ISO 7816-3 §8.2.3)
  if (pos > atr.size()) return absl::InvalidArgumentError("ATR truncated in interface bytes");
  pos += summary.historical_bytes;
  if (pos > atr.size()) return absl::InvalidArgumentError("ATR truncated in historical bytes");
  if (other_than_t0) {
    if (pos + 1 != atr.size()) {
      return absl::InvalidArgumentError("ATR must end with exactly one TCK byte");
    }
    uint8_t check = 0;
    for (size_t i = 1; i < atr.size(); ++i) check ^= atr[i];
    if (check != 0) return absl::InvalidArgumentError("ATR TCK checksum is wrong");
    summary.tck = atr.back();
  } else if (pos != atr.size()) {
    return absl::InvalidArgumentError("T=0-only ATR has trailing bytes (TCK must be absent)");
  }
  return summary;
}

}  // namespace gbabridge
