#include "uicc/iccid.h"

#include "absl/status/status.h"

namespace gbabridge {

absl::StatusOr<std::string> DecodeIccid(ByteView ef_iccid) {
  std::string digits;
  for (uint8_t b : ef_iccid) {
    // Low nibble first (swapped BCD).
    for (int nibble : {b & 0x0F, b >> 4}) {
      if (nibble == 0x0F) return digits;
      if (nibble > 9) return absl::DataLossError("EF_ICCID holds a non-decimal digit");
      digits.push_back(static_cast<char>('0' + nibble));
    }
  }
  return digits;
}

}  // namespace gbabridge
