// Command and response APDUs (ISO/IEC 7816-4 §5.1, 5.2; ETSI TS 102 221 §10).
#ifndef GBABRIDGE_UICC_APDU_H_
#define GBABRIDGE_UICC_APDU_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// Largest Ne: 256 for short APDUs, 65536 for extended ones (ISO 7816-4 §5.1).
inline constexpr uint32_t kMaxShortLe = 256;
inline constexpr uint32_t kMaxExtendedLe = 65536;
inline constexpr size_t kMaxShortLc = 255;
inline constexpr size_t kMaxExtendedLc = 65535;

struct CommandApdu {
  uint8_t cla = 0;
  uint8_t ins = 0;
  uint8_t p1 = 0;
  uint8_t p2 = 0;
  Bytes data;                  // Nc = data.size(); empty for cases 1 and 2.
  std::optional<uint32_t> le;  // Ne; absent for cases 1 and 3. 1..65536.

  // ISO 7816-4 cases: 1 (no data, no Le), 2 (Le), 3 (data), 4 (data and Le).
  int Case() const;
  // True when Nc or Ne do not fit the short form.
  bool NeedsExtendedLength() const;
  // Serialises; short form when it fits, extended otherwise. Fails when Nc or Ne is out
  // of range.
  absl::StatusOr<Bytes> Encode() const;
  // Parses a serialised command (the card side). Every length is checked against the
  // buffer: a malformed command is an error, never an out-of-bounds read.
  static absl::StatusOr<CommandApdu> Parse(ByteView raw);
};

// Status word helpers.
inline constexpr uint16_t kSwOk = 0x9000;

struct ResponseApdu {
  Bytes data;
  uint16_t sw = 0;

  ResponseApdu() = default;
  ResponseApdu(Bytes d, uint16_t status) : data(std::move(d)), sw(status) {}
  ResponseApdu(ResponseApdu&&) = default;
  ResponseApdu(const ResponseApdu&) = default;
  // Assignments wipe the data they replace (it may hold keys).
  ResponseApdu& operator=(ResponseApdu&& other) noexcept;
  ResponseApdu& operator=(const ResponseApdu& other);
  // Response data may carry keys (AUTHENTICATE): wipe it when done.
  ~ResponseApdu();

  uint8_t sw1() const { return static_cast<uint8_t>(sw >> 8); }
  uint8_t sw2() const { return static_cast<uint8_t>(sw & 0xff); }
  bool ok() const { return sw == kSwOk; }

  // raw = data || SW1 || SW2; fewer than two bytes is a malformed response.
  static absl::StatusOr<ResponseApdu> Parse(ByteView raw);
  Bytes Encode() const;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_APDU_H_
