// GBA key derivations (TS 33.220 Annex B), as thin wrappers over the one KDF in
// uicc/base/kdf.h. Each wrapper cites its clause. Which of them a session uses (GBA_ME in
// the ME, or GBA_U on the card) is chosen in one place: bootstrap/client/naf_key_derivation.h.
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_KEY_DERIVATION_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_KEY_DERIVATION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bootstrap/protocol/naf_id.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

// Ks = CK || IK (TS 33.220 §4.5.2).
SecretBytes MakeKs(const SecretBytes& ck, const SecretBytes& ik);

// Ks_NAF (GBA_ME) = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id) (TS 33.220 B.3).
absl::StatusOr<SecretBytes> DeriveKsNaf(const SecretBytes& ks, ByteView rand, std::string_view impi,
                                        const NafId& naf);
// Ks_ext_NAF (GBA_U): the same derivation, computed on the UICC or by the BSF (B.3).
absl::StatusOr<SecretBytes> DeriveKsExtNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, const NafId& naf);
// Ks_int_NAF (GBA_U) with P0 = "gba-u" (B.3).
absl::StatusOr<SecretBytes> DeriveKsIntNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, const NafId& naf);

// TMPI (TS 33.220 B.4): base64 of the first 24 bytes of
// KDF(Ks, 0x01, "gba-me", RAND, IMPI, BSF FQDN || 01 00 00 01 00), then
// "@tmpi.bsf.3gppnetwork.org".
// The realm of every TMPI (TS 33.220 B.4).
inline constexpr char kTmpiRealm[] = "@tmpi.bsf.3gppnetwork.org";

// The TMPI from an already derived Ks_ext_NAF for NAF_Id = BSF FQDN || 01 00 00 01 00 (a
// GBA_U card computes it in NAF derivation mode): base64 of its first 24 bytes, then the
// TMPI realm (B.4).
absl::StatusOr<std::string> TmpiFromKey(const SecretBytes& key);
// NAF_Id of the TMPI derivation: the BSF FQDN with Ua id 01 00 00 01 00 (Annex H.3).
absl::StatusOr<NafId> TmpiNafId(std::string_view bsf_fqdn);

absl::StatusOr<std::string> DeriveTmpi(const SecretBytes& ks, ByteView rand, std::string_view impi,
                                       std::string_view bsf_fqdn);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_KEY_DERIVATION_H_
