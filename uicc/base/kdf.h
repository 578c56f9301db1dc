// The generic key derivation function of 3GPP TS 33.220 Annex B.2:
//   derived = HMAC-SHA-256(Key, S),  S = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln
// with each Li the length of Pi as 2 bytes big-endian.
//
// It lives in uicc (the bottom library) because the software USIM derives Ks_ext_NAF and
// Ks_int_NAF on the card; the GBA protocol library wraps it per clause
// (bootstrap/protocol/key_derivation.h: Ks_NAF, Ks_ext_NAF, Ks_int_NAF, TMPI). There is
// one KDF in the project: this one.
//
// The HMAC algorithm is fetched once per process (OpenSSL 3 EVP_MAC_fetch is costly) and
// each thread reuses one context.
#ifndef GBABRIDGE_UICC_BASE_KDF_H_
#define GBABRIDGE_UICC_BASE_KDF_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

inline constexpr size_t kKdfOutputSize = 32;
inline constexpr size_t kMaxKdfParameterSize = 0xFFFF;

// Fails only when a parameter is longer than 65535 bytes or OpenSSL fails.
absl::StatusOr<SecretBytes> Kdf(const SecretBytes& key, uint8_t fc,
                                std::initializer_list<ByteView> parameters);

// How many times this process has run the KDF (one HMAC-SHA-256 each), for benchmarks and
// tests that must show a path computes none (e.g. a cached GetNafKey).
uint64_t KdfInvocationCount();

// TS 33.220 B.3: the NAF-specific keys use FC = 0x01 with P0 = "gba-me" (Ks_NAF of GBA_ME,
// Ks_ext_NAF of GBA_U) or P0 = "gba-u" (Ks_int_NAF), then RAND, IMPI and NAF_Id.
inline constexpr uint8_t kFcGbaNafKey = 0x01;
inline constexpr std::string_view kP0GbaMe = "gba-me";
inline constexpr std::string_view kP0GbaU = "gba-u";

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_KDF_H_
