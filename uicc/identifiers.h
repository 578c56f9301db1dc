// Subscriber identifiers: EF_IMSI decoding, and the IMPI and BSF FQDN derived from the
// IMSI (3GPP TS 23.003 §13.3, §16.2; TS 31.102 §4.2.2, §4.2.18).
#ifndef GBABRIDGE_UICC_IDENTIFIERS_H_
#define GBABRIDGE_UICC_IDENTIFIERS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/bytes.h"

namespace gbabridge {

struct Imsi {
  std::string digits;  // 6..15 decimal digits
  int mnc_length = 2;  // 2 or 3, from EF_AD byte 4

  // Empty views (never a throw) when `digits` is too short; MakeImsi guarantees it is not.
  std::string_view mcc() const { return Part(0, 3); }
  std::string_view mnc() const { return Part(3, static_cast<size_t>(mnc_length)); }
  // "001010*******89": MCC+MNC and the last two digits, for logs and default output.
  std::string Masked() const;

 private:
  std::string_view Part(size_t pos, size_t len) const {
    return pos + len <= digits.size() ? std::string_view(digits).substr(pos, len)
                                      : std::string_view();
  }
};

// EF_IMSI content (TS 31.102 §4.2.2): length byte, then swapped BCD; the low nibble of the
// first digit byte is the parity/type (9 = odd number of digits, 1 = even). Fill F.
absl::StatusOr<std::string> DecodeEfImsi(ByteView ef_imsi);
// The inverse, for the card side.
absl::StatusOr<Bytes> EncodeEfImsi(std::string_view digits);

// EF_AD byte 4 low nibble (TS 31.102 §4.2.18); a missing byte 4 means 2 digits.
absl::StatusOr<int> MncLengthFromEfAd(ByteView ef_ad);

absl::StatusOr<Imsi> MakeImsi(std::string_view digits, int mnc_length);

// <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org, MNC padded to 3 digits (TS 23.003 §13.3).
std::string DeriveImpi(const Imsi& imsi);
// bsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org (TS 23.003 §16.2).
std::string DeriveBsfFqdn(const Imsi& imsi);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_IDENTIFIERS_H_
