// Status words the soft USIM answers with (ETSI TS 102 221 §10.2.1, TS 31.102 §7.3,
// ISO/IEC 7816-4 §5.6). Kept card-side so that the card does not depend on how the client
// names them.
#ifndef GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_STATUS_H_
#define GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_STATUS_H_

#include <cstdint>

namespace gbabridge::card_sw {

inline constexpr uint16_t kOk = 0x9000;
inline constexpr uint16_t kAuthMacFailure = 0x9862;    // TS 31.102 §7.3: bad AUTN MAC
inline constexpr uint16_t kTechnicalProblem = 0x6F00;  // e.g. state could not be saved
inline constexpr uint16_t kWrongLength = 0x6700;
inline constexpr uint16_t kIncompatibleFile = 0x6981;      // command vs file structure
inline constexpr uint16_t kSecurityNotSatisfied = 0x6982;  // PIN needed (or ADM)
inline constexpr uint16_t kPinBlocked = 0x6983;
inline constexpr uint16_t kConditionsNotSatisfied = 0x6985;
inline constexpr uint16_t kNoCurrentEf = 0x6986;
inline constexpr uint16_t kWrongData = 0x6A80;
inline constexpr uint16_t kFileNotFound = 0x6A82;
inline constexpr uint16_t kRecordNotFound = 0x6A83;
inline constexpr uint16_t kNotEnoughMemory = 0x6A84;
inline constexpr uint16_t kWrongP1P2 = 0x6A86;
inline constexpr uint16_t kReferenceNotFound = 0x6A88;  // unknown PIN key reference
inline constexpr uint16_t kOffsetOutsideEf = 0x6B00;
inline constexpr uint16_t kInsUnknown = 0x6D00;
inline constexpr uint16_t kClaWrong = 0x6E00;
inline constexpr uint16_t kLogicalChannelNotSupported = 0x6881;  // ISO 7816-4 §5.1.1
// 63Cx: wrong PIN, x tries left (TS 102 221 §10.2.1.3).
inline constexpr uint16_t PinTriesLeft(int tries) {
  return static_cast<uint16_t>(0x63C0 | (tries & 0x0F));
}

}  // namespace gbabridge::card_sw

#endif  // GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_STATUS_H_
