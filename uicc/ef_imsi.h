// The card files that hold the IMSI: EF_IMSI (TS 31.102 §4.2.2) and the MNC length in
// EF_AD (§4.2.18). Malformed content is a CardError kMalformedResponse.
#ifndef GBABRIDGE_UICC_EF_IMSI_H_
#define GBABRIDGE_UICC_EF_IMSI_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// EF_IMSI content (TS 31.102 §4.2.2): length byte, then swapped BCD; the low nibble of the
// first digit byte is the parity/type (9 = odd number of digits, 1 = even). Fill F.
absl::StatusOr<std::string> DecodeEfImsi(ByteView ef_imsi);
// The inverse, for the card side.
absl::StatusOr<Bytes> EncodeEfImsi(std::string_view digits);

// EF_AD byte 4 low nibble (TS 31.102 §4.2.18); a missing byte 4 means 2 digits.
absl::StatusOr<int> MncLengthFromEfAd(ByteView ef_ad);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_EF_IMSI_H_
