// Plain (non-secret) byte strings and hex helpers.
#ifndef GBABRIDGE_UICC_BASE_BYTES_H_
#define GBABRIDGE_UICC_BASE_BYTES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gbabridge {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// Lower-case hex, no separators.
std::string HexEncode(ByteView bytes);

// Accepts upper or lower case; ignores spaces and ':' between bytes. Fails on odd digit
// counts and non-hex characters.
absl::StatusOr<Bytes> HexDecode(std::string_view hex);

// Views a string's characters as bytes (no copy).
inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_BYTES_H_
