// Status words and what they mean (ETSI TS 102 221 §10.2.1, ISO/IEC 7816-4 §5.6,
// TS 31.102 §7.3 for AUTHENTICATE).
#ifndef GBABRIDGE_UICC_STATUS_WORDS_H_
#define GBABRIDGE_UICC_STATUS_WORDS_H_

#include <cstdint>
#include <string>

namespace gbabridge {

// Named status words the client acts on.
inline constexpr uint16_t kSwSecurityStatusNotSatisfied = 0x6982;
inline constexpr uint16_t kSwAuthMethodBlocked = 0x6983;  // PIN blocked
inline constexpr uint16_t kSwConditionsNotSatisfied = 0x6985;
inline constexpr uint16_t kSwNoCurrentEf = 0x6986;  // TS 102 221 §10.2.1.5
inline constexpr uint16_t kSwFileNotFound = 0x6A82;
inline constexpr uint16_t kSwRecordNotFound = 0x6A83;
inline constexpr uint16_t kSwAuthMacFailure = 0x9862;  // TS 31.102 §7.3: AUTN MAC invalid
inline constexpr uint16_t kSwWrongLength = 0x6700;
inline constexpr uint16_t kSwWrongP1P2 = 0x6A86;
inline constexpr uint16_t kSwInsNotSupported = 0x6D00;
inline constexpr uint16_t kSwClaNotSupported = 0x6E00;

// "63C2: verification failed, 2 retries left"-style text for any status word.
std::string DescribeStatusWord(uint16_t sw);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_STATUS_WORDS_H_
