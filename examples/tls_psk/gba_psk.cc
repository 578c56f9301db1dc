#include "examples/tls_psk/gba_psk.h"

#include "absl/strings/str_cat.h"

namespace gbabridge::examples {

UaSecurityProtocolId TlsUaId(uint16_t cipher_suite) {
  return UaSecurityProtocolId::Tls(cipher_suite);
}

absl::Status ValidateBtid(std::string_view btid) {
  if (btid.empty()) return absl::InvalidArgumentError("the B-TID is empty");
  if (btid.size() > kMaxBtidLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the B-TID is longer than ", kMaxBtidLength, " characters"));
  }
  for (char c : btid) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return absl::InvalidArgumentError("the B-TID must be printable ASCII without spaces");
    }
  }
  const size_t at = btid.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == btid.size()) {
    return absl::InvalidArgumentError(
        "the B-TID must have the form base64(RAND)@BSF-name (TS 33.220 §4.5.2)");
  }
  return absl::OkStatus();
}

std::string PskIdentity::ToString() const {
  const std::string_view prefix = gba_u ? kIdentityPrefixUicc : kIdentityPrefixMe;
  return std::string(prefix) + btid;
}

absl::StatusOr<std::string> MakePskIdentity(std::string_view btid, bool gba_u) {
  if (absl::Status valid = ValidateBtid(btid); !valid.ok()) return valid;
  std::string identity = PskIdentity{std::string(btid), gba_u}.ToString();
  if (identity.size() > kMaxIdentityLength) {
    return absl::InvalidArgumentError(absl::StrCat("the PSK identity would be ", identity.size(),
                                                   " bytes; TLS-PSK here allows ",
                                                   kMaxIdentityLength, " (the B-TID is too long)"));
  }
  return identity;
}

absl::StatusOr<PskIdentity> ParsePskIdentity(std::string_view identity) {
  if (identity.size() > kMaxIdentityLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the PSK identity is longer than ", kMaxIdentityLength, " bytes"));
  }
  // The two prefixes cannot be confused: after "3GPP-bootstrapping" comes '.' or "-uicc.".
  PskIdentity parsed;
  std::string_view btid;
  if (identity.substr(0, kIdentityPrefixMe.size()) == kIdentityPrefixMe) {
    btid = identity.substr(kIdentityPrefixMe.size());
  } else if (identity.substr(0, kIdentityPrefixUicc.size()) == kIdentityPrefixUicc) {
    btid = identity.substr(kIdentityPrefixUicc.size());
    parsed.gba_u = true;
  } else {
    return absl::InvalidArgumentError(
        "the PSK identity does not start with \"3GPP-bootstrapping.\" or "
        "\"3GPP-bootstrapping-uicc.\" (TS 33.222 §5.4.0.1)");
  }
  if (absl::Status valid = ValidateBtid(btid); !valid.ok()) return valid;
  parsed.btid = std::string(btid);
  return parsed;
}

}  // namespace gbabridge::examples
