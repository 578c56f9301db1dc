// GBA shared-key TLS, the naming part (3GPP TS 33.222 §5.4, TS 24.109 §5.3.3 and Annex F):
// which cipher suite, which Ua security protocol id, which PSK identity hint and identity.
//
//   NAF -> UE  ServerKeyExchange  psk_identity_hint = "3GPP-bootstrapping"
//   UE  -> NAF ClientKeyExchange  psk_identity      = "3GPP-bootstrapping." + B-TID
//                                 (GBA_U key: "3GPP-bootstrapping-uicc." + B-TID)
//   PSK = Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U), derived for
//         NAF_Id = NAF FQDN || Ua id 01 00 01 yy zz, yy zz = the negotiated cipher suite
//         (TS 33.220 Annex H), here 01 00 01 00 AE.
//
// Both sides must use the same cipher suite: the Ua id, hence the key, depends on it. These
// examples therefore offer exactly one suite, TLS_PSK_WITH_AES_128_CBC_SHA256 (0x00AE,
// RFC 5487), in TLS 1.2 (TLS 1.3 uses Ua id 01 00 00 00 07 and external PSKs, TS 33.222
// §5.4.0.2: another example).
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_GBA_PSK_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_GBA_PSK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bootstrap/protocol/naf_id.h"

namespace gbabridge::examples {

// TLS_PSK_WITH_AES_128_CBC_SHA256 (RFC 5487 §4) and its OpenSSL name.
inline constexpr uint16_t kCipherSuite = 0x00AE;
inline constexpr char kOpenSslCipher[] = "PSK-AES128-CBC-SHA256";

// The PSK identity hint the NAF sends (TS 24.109 Annex F.3 step 2, TS 33.222 §5.4.0.1).
inline constexpr std::string_view kPskIdentityHint = "3GPP-bootstrapping";
// The identity prefixes (TS 33.222 §5.4.0.1). gbabridge serves GBA_U keys (Ks_ext_NAF)
// with the "-uicc" prefix, as Android's GBA API does (gbabridge.proto, GbaMode).
inline constexpr std::string_view kIdentityPrefixMe = "3GPP-bootstrapping.";
inline constexpr std::string_view kIdentityPrefixUicc = "3GPP-bootstrapping-uicc.";

// Ks_NAF and Ks_ext_NAF are the full 32-byte KDF output (TS 33.220 Annex B.2, B.3).
inline constexpr size_t kNafKeySize = 32;
// OpenSSL's limit for a PSK identity (PSK_MAX_IDENTITY_LEN); RFC 4279 §5.3 asks for at
// least 128 bytes.
inline constexpr size_t kMaxIdentityLength = 256;
// A B-TID is base64(RAND)@BSF-name (TS 33.220 §4.5.2): 24 + 1 + at most 253 characters;
// the identity limit above is the tighter bound in practice.
inline constexpr size_t kMaxBtidLength = 255;

// The Ua security protocol id for TLS with `cipher_suite` (TS 33.220 Annex H:
// 01 00 01 yy zz), e.g. 01 00 01 00 AE for kCipherSuite.
UaSecurityProtocolId TlsUaId(uint16_t cipher_suite = kCipherSuite);

// Checks the form of a B-TID: "<base64(RAND)>@<BSF name>", printable ASCII without
// spaces, at most kMaxBtidLength characters. The error quotes no B-TID content.
absl::Status ValidateBtid(std::string_view btid);

// A parsed PSK identity.
struct PskIdentity {
  std::string btid;
  bool gba_u = false;  // the "3GPP-bootstrapping-uicc." prefix

  // The identity string: prefix + B-TID.
  std::string ToString() const;
};

// prefix + B-TID, checked against kMaxIdentityLength.
absl::StatusOr<std::string> MakePskIdentity(std::string_view btid, bool gba_u);

// The NAF side: splits a received identity into prefix and B-TID, and checks both.
// InvalidArgument for anything else (an unknown prefix, an empty or malformed B-TID, an
// identity longer than kMaxIdentityLength).
absl::StatusOr<PskIdentity> ParsePskIdentity(std::string_view identity);

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_GBA_PSK_H_
