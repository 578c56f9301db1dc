// FCP template returned by SELECT with P2=04 (ETSI TS 102 221 §11.1.1.3).
#ifndef GBABRIDGE_UICC_FCP_H_
#define GBABRIDGE_UICC_FCP_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

enum class FileStructure { kUnknown, kTransparent, kLinearFixed, kCyclic, kDf };

struct PinStatus {
  uint8_t key_reference = 0;  // e.g. 0x01 PIN1/universal PIN, 0x81 second app PIN
  bool enabled = false;       // from the PS_DO bitmap (tag 90)
};

struct Fcp {
  FileStructure structure = FileStructure::kUnknown;  // tag 82, byte 1
  std::optional<uint16_t> file_id;                    // tag 83
  Bytes df_name;                                      // tag 84 (AID), ADFs only
  std::optional<uint16_t> record_size;                // tag 82 bytes 3-4
  std::optional<uint8_t> record_count;                // tag 82 byte 5
  std::optional<uint32_t> file_size;                  // tag 80
  std::optional<uint8_t> life_cycle;                  // tag 8A
  std::vector<PinStatus> pins;                        // tag C6 (PIN status template DO)
};

// Parses `62 L ...`. Malformed or truncated input is an error.
absl::StatusOr<Fcp> ParseFcp(ByteView response_data);

// Encodes an FCP for the card side (soft USIM); inverse of ParseFcp for the fields set.
Bytes EncodeFcp(const Fcp& fcp);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_FCP_H_
