// The generic key derivation function of 3GPP TS 33.220 Annex B.2:
//   derived = HMAC-SHA-256(Key, S),  S = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln
// with each Li the length of Pi as 2 bytes big-endian.
//
// It lives in uicc (the bottom library) because the software USIM derives Ks_ext_NAF and
// Ks_int_NAF on the card; the GBA client wraps it per clause (Ks_NAF, TMPI, ...). There is
// one KDF in the project: this one.
//
// The HMAC algorithm is fetched once per process (OpenSSL 3 EVP_MAC_fetch is costly) and
// each thread reuses one context.
#ifndef GBABRIDGE_UICC_BASE_KDF_H_
#define GBABRIDGE_UICC_BASE_KDF_H_

#include <cstdint>
#include <initializer_list>

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

// TS 33.220 B.3: Ks_(ext)_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id) and
// Ks_int_NAF = KDF(Ks, 0x01, "gba-u", RAND, IMPI, NAF_Id).
inline constexpr uint8_t kFcGbaNafKey = 0x01;
absl::StatusOr<SecretBytes> DeriveKsExtNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, ByteView naf_id);
absl::StatusOr<SecretBytes> DeriveKsIntNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, ByteView naf_id);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_KDF_H_
