// Diameter messages encoded by hand for tests, octet by octet from RFC 6733 §3 (header) and
// §4.1 (AVP header, padding), with the TS 29.109 §6.3 AVP codes: an encoding independent of
// freeDiameter's. Used by the dictionary's unit tests and by the raw-peer e2e test.
#ifndef GBABRIDGE_TESTS_UNIT_ZN_DIAMETER_DIAMETER_WIRE_H_
#define GBABRIDGE_TESTS_UNIT_ZN_DIAMETER_DIAMETER_WIRE_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "uicc/base/bytes.h"

namespace gbabridge::diameter_wire {

inline constexpr uint8_t kV = 0x80;  // AVP flags (RFC 6733 §4.1)
inline constexpr uint8_t kM = 0x40;
inline constexpr uint8_t kRequest = 0x80;  // command flags (RFC 6733 §3)
inline constexpr uint8_t kProxiable = 0x40;
inline constexpr uint8_t kError = 0x20;

inline void Put32(Bytes& out, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline uint32_t Get32(ByteView in, size_t at) {
  return (uint32_t{in[at]} << 24) | (uint32_t{in[at + 1]} << 16) | (uint32_t{in[at + 2]} << 8) |
         uint32_t{in[at + 3]};
}

// RFC 6733 §4.1: code, flags, 24-bit length (without padding), [vendor], data, padding.
inline Bytes Avp(uint32_t code, uint8_t flags, const Bytes& data, uint32_t vendor = 0) {
  Bytes out;
  Put32(out, code);
  const uint32_t length = 8 + ((flags & kV) ? 4 : 0) + static_cast<uint32_t>(data.size());
  Put32(out, (uint32_t{flags} << 24) | length);
  if (flags & kV) Put32(out, vendor);
  out.insert(out.end(), data.begin(), data.end());
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}
inline Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline Bytes U32(uint32_t v) {
  Bytes out;
  Put32(out, v);
  return out;
}
// A Zn AVP: vendor 10415 with V and M (TS 29.109 §6.3).
inline Bytes Zn(uint32_t code, const Bytes& data) { return Avp(code, kV | kM, data, 10415); }
inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// RFC 6733 §3: version 1, 24-bit length, flags, 24-bit command, application, hop-by-hop,
// end-to-end, then the AVPs.
inline Bytes Message(uint8_t flags, const Bytes& avps, uint32_t command = 310,
                     uint32_t application = 16777220, uint32_t hop_by_hop = 0x11223344,
                     uint32_t end_to_end = 0x55667788) {
  Bytes out;
  Put32(out, (1u << 24) | static_cast<uint32_t>(20 + avps.size()));
  Put32(out, (uint32_t{flags} << 24) | command);
  Put32(out, application);
  Put32(out, hop_by_hop);
  Put32(out, end_to_end);
  out.insert(out.end(), avps.begin(), avps.end());
  return out;
}

// One top-level AVP of a whole message, found by code: its data, or nullopt. Bounds-checked.
inline std::optional<Bytes> FindTopLevelAvp(ByteView message, uint32_t code) {
  size_t at = 20;
  while (at + 8 <= message.size()) {
    const uint32_t avp_code = Get32(message, at);
    const uint8_t flags = message[at + 4];
    const uint32_t length = Get32(message, at + 4) & 0xFFFFFF;
    const size_t header = (flags & kV) ? 12 : 8;
    if (length < header || at + length > message.size()) return std::nullopt;
    if (avp_code == code) {
      return Bytes(message.begin() + at + header, message.begin() + at + length);
    }
    at += (length + 3) & ~size_t{3};
  }
  return std::nullopt;
}

}  // namespace gbabridge::diameter_wire

#endif  // GBABRIDGE_TESTS_UNIT_ZN_DIAMETER_DIAMETER_WIRE_H_
