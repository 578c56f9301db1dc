// The soft USIM's answers to reset (ISO/IEC 7816-3 §8.2, ETSI TS 102 221 §6.3).
//
// pcscd parses the ATR to choose the transmission protocol (pcsc-lite atrhandler.c: the
// protocol in TD1 is the default one, T=0 when there is no TD1), so the ATR decides whether
// the host talks T=0 or T=1 to the virtual card.
#ifndef GBABRIDGE_UICC_SOFT_USIM_ATR_H_
#define GBABRIDGE_UICC_SOFT_USIM_ATR_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// T=1 only: TS 3B (direct convention), T0 80 (TD1 follows, no historical bytes), TD1 01
// (T=1, nothing follows), TCK 81 (80 xor 01: the XOR of T0..TCK is zero, ISO 7816-3
// §8.2.5; TCK is mandatory because a protocol other than T=0 is indicated).
Bytes SoftUsimAtrT1();
// T=0 only: TS 3B, T0 00 (no interface bytes, no historical bytes). Without TD1 the only
// protocol is T=0, and ISO 7816-3 §8.2.5 forbids TCK in that case.
Bytes SoftUsimAtrT0();

// What an ATR announces; enough to check our own ATRs in tests.
struct AtrSummary {
  bool offers_t0 = false;
  bool offers_t1 = false;
  int default_protocol = 0;  // the protocol of TD1 (0 when TD1 is absent)
  size_t historical_bytes = 0;
  std::optional<uint8_t> tck;
};

// Walks TS, T0, the TA/TB/TC/TD chain, the historical bytes and TCK, checking every length
// and the TCK checksum. Errors say which part is wrong.
absl::StatusOr<AtrSummary> ParseAtr(ByteView atr);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_ATR_H_
