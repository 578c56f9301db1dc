#include "bootstrap/protocol/key_derivation.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/base64.h"
#include "uicc/base/kdf.h"

namespace gbabridge {
namespace {

constexpr size_t kKsSize = 32;    // CK (16) || IK (16), TS 33.220 §4.5.2
constexpr size_t kRandSize = 16;  // TS 33.220 B.3: L1 = 0x00 0x10
constexpr size_t kTmpiKeyBytes = 24;

// The KDF itself takes any lengths; these checks catch an empty or mixed-up Ks (e.g. a
// GBA_U session, whose Ks stays on the card) before it silently yields a wrong key.
absl::Status CheckInputs(const SecretBytes& ks, ByteView rand, std::string_view impi) {
  if (ks.size() != kKsSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ks must be 32 bytes (CK || IK, TS 33.220 §4.5.2), got ", ks.size()));
  }
  if (rand.size() != kRandSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("RAND must be 16 bytes (TS 33.220 B.3), got ", rand.size()));
  }
  if (impi.empty()) return absl::InvalidArgumentError("IMPI is empty");
  return absl::OkStatus();
}

// TS 33.220 B.3: KDF(Ks, FC = 0x01, P0, RAND, IMPI, NAF_Id).
absl::StatusOr<SecretBytes> DeriveNafSpecificKey(const SecretBytes& ks, std::string_view p0,
                                                 ByteView rand, std::string_view impi,
                                                 ByteView naf_id) {
  if (absl::Status s = CheckInputs(ks, rand, impi); !s.ok()) return s;
  return Kdf(ks, kFcGbaNafKey, {AsBytes(p0), rand, AsBytes(impi), naf_id});
}

}  // namespace

SecretBytes MakeKs(const SecretBytes& ck, const SecretBytes& ik) {
  SecretBytes ks(ck.size() + ik.size());
  if (!ck.empty()) std::memcpy(ks.data(), ck.data(), ck.size());
  if (!ik.empty()) std::memcpy(ks.data() + ck.size(), ik.data(), ik.size());
  return ks;
}

absl::StatusOr<SecretBytes> DeriveKsNaf(const SecretBytes& ks, ByteView rand, std::string_view impi,
                                        const NafId& naf) {
  // TS 33.220 B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id).
  return DeriveNafSpecificKey(ks, kP0GbaMe, rand, impi, naf.Encode());
}

absl::StatusOr<SecretBytes> DeriveKsExtNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, const NafId& naf) {
  // TS 33.220 B.3: Ks_ext_NAF uses the same inputs as Ks_NAF (P0 = "gba-me").
  return DeriveNafSpecificKey(ks, kP0GbaMe, rand, impi, naf.Encode());
}

absl::StatusOr<SecretBytes> DeriveKsIntNaf(const SecretBytes& ks, ByteView rand,
                                           std::string_view impi, const NafId& naf) {
  // TS 33.220 B.3: Ks_int_NAF uses P0 = "gba-u".
  return DeriveNafSpecificKey(ks, kP0GbaU, rand, impi, naf.Encode());
}

absl::StatusOr<NafId> TmpiNafId(std::string_view bsf_fqdn) {
  absl::StatusOr<NafId> bsf_id = NafId::Create(bsf_fqdn, UaSecurityProtocolId::Tmpi());
  if (!bsf_id.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("BSF name for the TMPI: ", bsf_id.status().message()));
  }
  return bsf_id;
}

absl::StatusOr<std::string> TmpiFromKey(const SecretBytes& key) {
  if (key.size() < kTmpiKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the TMPI needs ", kTmpiKeyBytes, " key bytes, got ", key.size()));
  }
  // TMPI = base64(the 24 most significant octets of the KDF output) "@tmpi.bsf.3gppnetwork.org"
  // (B.4). The TMPI is an identifier sent in clear on Ub, not a secret.
  return absl::StrCat(Base64Encode(key.view().first(kTmpiKeyBytes)), kTmpiRealm);
}

absl::StatusOr<std::string> DeriveTmpi(const SecretBytes& ks, ByteView rand, std::string_view impi,
                                       std::string_view bsf_fqdn) {
  // TS 33.220 B.4: BSF_Id = the BSF's DNS name as used for the B-TID || Ua id
  // 01 00 00 01 00 (Annex H.3), fed to the B.3 derivation with P0 = "gba-me" (also for
  // GBA_U: the TMPI is kept in the ME).
  absl::StatusOr<NafId> bsf_id = TmpiNafId(bsf_fqdn);
  if (!bsf_id.ok()) return bsf_id.status();
  absl::StatusOr<SecretBytes> key =
      DeriveNafSpecificKey(ks, kP0GbaMe, rand, impi, bsf_id->Encode());
  if (!key.ok()) return key.status();
  return TmpiFromKey(*key);
}

}  // namespace gbabridge
