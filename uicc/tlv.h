// BER-TLV (ISO/IEC 7816-4 §5.2, ETSI TS 102 221 Annex D): parsing and encoding.
// Every tag and length is checked against the buffer; views point into the input.
#ifndef GBABRIDGE_UICC_TLV_H_
#define GBABRIDGE_UICC_TLV_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

struct TlvView {
  uint32_t tag = 0;          // Multi-byte tags are packed big-endian, e.g. 0x9F70.
  ByteView value;            // Points into the parsed buffer.
  bool constructed() const;  // Bit 6 of the first tag byte.
};

// Parses one TLV at the front of `input`; `consumed` receives its total size.
// Accepts tags of up to 3 bytes and lengths in forms 1 to 4 bytes (0x00..0x7F, 0x81 xx,
// 0x82 xx xx, 0x83 xx xx xx). Indefinite length (0x80) is rejected.
absl::StatusOr<TlvView> ParseTlv(ByteView input, size_t* consumed);

// Parses a concatenation of TLVs that must fill `input` exactly. Padding bytes 0xFF and
// 0x00 between or after objects are skipped (TS 102 221 allows FF filling in records).
absl::StatusOr<std::vector<TlvView>> ParseTlvList(ByteView input);

// The first object with `tag` in a list, if any.
std::optional<TlvView> FindTlv(const std::vector<TlvView>& list, uint32_t tag);

// Encodes tag, length and value (tag up to 3 bytes, length up to 0xFFFFFF).
Bytes EncodeTlv(uint32_t tag, ByteView value);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_TLV_H_
