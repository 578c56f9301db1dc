#include "bootstrap/protocol/naf_id.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {
namespace {

// RFC 1035 §2.3.4 / RFC 1123 §2.1 limits for a host name in presentation form without the
// trailing dot.
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxFqdnLength = 253;

bool IsLetterOrDigit(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

std::string Hex16(uint16_t value) {
  char buffer[7];
  std::snprintf(buffer, sizeof(buffer), "0x%04X", value);
  return buffer;
}

uint16_t LastTwo(const UaSecurityProtocolId::Octets& o) {
  return static_cast<uint16_t>((o[3] << 8) | o[4]);
}

std::string Describe3gpp(const UaSecurityProtocolId::Octets& o) {
  // TS 33.220 Annex H.3.
  if (o[1] == 0x00 && o[2] == 0x01) {
    return absl::StrCat("3GPP TLS (TS 33.222 §5.3/5.4), cipher suite ", Hex16(LastTwo(o)));
  }
  if (o[1] == 0x00 && o[2] == 0x00 && o[3] == 0x01 && o[4] == 0x00) {
    return "3GPP TMPI generation (TS 33.220 B.4)";
  }
  if (o[1] == 0x00 && o[2] == 0x00 && o[3] == 0x00) {
    switch (o[4]) {
      case 0x00:
        return "3GPP Ua protocol of TS 33.221";
      case 0x01:
        return "3GPP MBMS (TS 33.246)";
      case 0x02:
        return "3GPP HTTP Digest authentication (TS 24.109)";
      case 0x03:
        return "3GPP HTTP-based MBMS user services (TS 26.237)";
      case 0x04:
        return "3GPP SIP-based MBMS user services (TS 26.237)";
      case 0x05:
        return "3GPP Generic Push Layer (TS 33.224)";
      case 0x06:
        return "3GPP IMS UE to KMS (TS 33.328)";
      case 0x07:
        return "3GPP shared-key TLS 1.3 (TS 33.222 §5.4.0.2)";
      default:
        break;
    }
  }
  return "unknown 3GPP protocol";
}

std::string DescribeOma(const UaSecurityProtocolId::Octets& o) {
  // OMA's own assignments under organisation octet 0x03 (listed in gba-facts §2).
  if (o[1] == 0x00 && o[2] == 0x01) {
    return absl::StrCat("OMA TLS/PSK-TLS, cipher suite ", Hex16(LastTwo(o)));
  }
  if (o[1] == 0x00 && o[2] == 0x00 && o[3] == 0x00) {
    switch (o[4]) {
      case 0x01:
        return "OMA SUPL ULP";
      case 0x02:
        return "OMA LOCSIP";
      case 0x03:
        return "OMA SIP Digest";
      default:
        break;
    }
  }
  return "unknown OMA protocol";
}

constexpr UaSecurityProtocolId::Octets Make(uint8_t org, uint8_t b1, uint8_t b2, uint8_t b3,
                                            uint8_t b4) {
  return {org, b1, b2, b3, b4};
}

}  // namespace

absl::StatusOr<UaSecurityProtocolId> UaSecurityProtocolId::FromBytes(ByteView bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Ua security protocol identifier must be 5 bytes (TS 33.220 Annex H), got ", bytes.size()));
  }
  Octets octets;
  std::copy(bytes.begin(), bytes.end(), octets.begin());
  switch (octets[0]) {
    case kOrgDefault:
      // Annex H.2: organisation octet 0x00 is reserved for the default identifier
      // 00 00 00 00 00 alone.
      if (octets[1] != 0 || octets[2] != 0 || octets[3] != 0 || octets[4] != 0) {
        return absl::InvalidArgumentError(
            "Ua security protocol identifier with organisation octet 0x00 must be "
            "00 00 00 00 00 (TS 33.220 Annex H.2)");
      }
      break;
    case kOrg3gpp:
    case kOrg3gpp2:
    case kOrgOma:
    case kOrgGsma:
    case kOrgPrivate:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Ua security protocol identifier has unassigned organisation octet 0x",
                       HexEncode(ByteView(octets.data(), 1)), " (TS 33.220 Annex H.2)"));
  }
  return UaSecurityProtocolId(octets);
}

absl::StatusOr<UaSecurityProtocolId> UaSecurityProtocolId::FromHex(std::string_view hex) {
  absl::StatusOr<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ua security protocol identifier: ", bytes.status().message()));
  }
  return FromBytes(*bytes);
}

UaSecurityProtocolId UaSecurityProtocolId::Ts33221() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x00));
}
UaSecurityProtocolId UaSecurityProtocolId::Mbms() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x01));
}
UaSecurityProtocolId UaSecurityProtocolId::HttpDigest() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x02));
}
UaSecurityProtocolId UaSecurityProtocolId::HttpMbms() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x03));
}
UaSecurityProtocolId UaSecurityProtocolId::SipMbms() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x04));
}
UaSecurityProtocolId UaSecurityProtocolId::GenericPush() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x05));
}
UaSecurityProtocolId UaSecurityProtocolId::ImsUeToKms() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x06));
}
UaSecurityProtocolId UaSecurityProtocolId::Tls13SharedKey() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0, 0x07));
}
UaSecurityProtocolId UaSecurityProtocolId::Tmpi() {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0, 0x01, 0x00));
}
UaSecurityProtocolId UaSecurityProtocolId::Tls(uint16_t cipher_suite) {
  return UaSecurityProtocolId(Make(kOrg3gpp, 0, 0x01, static_cast<uint8_t>(cipher_suite >> 8),
                                   static_cast<uint8_t>(cipher_suite & 0xff)));
}
UaSecurityProtocolId UaSecurityProtocolId::OmaUlp() {
  return UaSecurityProtocolId(Make(kOrgOma, 0, 0, 0, 0x01));
}
UaSecurityProtocolId UaSecurityProtocolId::OmaLocSip() {
  return UaSecurityProtocolId(Make(kOrgOma, 0, 0, 0, 0x02));
}
UaSecurityProtocolId UaSecurityProtocolId::OmaSipDigest() {
  return UaSecurityProtocolId(Make(kOrgOma, 0, 0, 0, 0x03));
}
UaSecurityProtocolId UaSecurityProtocolId::OmaTls(uint16_t cipher_suite) {
  return UaSecurityProtocolId(Make(kOrgOma, 0, 0x01, static_cast<uint8_t>(cipher_suite >> 8),
                                   static_cast<uint8_t>(cipher_suite & 0xff)));
}

std::string UaSecurityProtocolId::ToHex() const { return HexEncode(octets_); }

std::string UaSecurityProtocolId::Describe() const {
  switch (octets_[0]) {
    case kOrgDefault:
      return "default Ua security protocol (TS 33.220 Annex H.2)";
    case kOrg3gpp:
      return Describe3gpp(octets_);
    case kOrg3gpp2:
      return absl::StrCat("3GPP2 protocol ", ToHex());
    case kOrgOma:
      return DescribeOma(octets_);
    case kOrgGsma:
      return absl::StrCat("GSMA protocol ", ToHex());
    case kOrgPrivate:
      return absl::StrCat("private/experimental protocol ", ToHex());
    default:
      // Unreachable through the factories; kept so that Describe never lies.
      return absl::StrCat("unknown organisation ", ToHex());
  }
}

absl::Status ValidateFqdn(std::string_view fqdn) {
  // The FQDN itself is not echoed: it may come from an untrusted peer and end up in logs.
  if (fqdn.empty()) return absl::InvalidArgumentError("FQDN is empty");
  if (fqdn.size() > kMaxFqdnLength) {
    return absl::InvalidArgumentError(absl::StrCat("FQDN is ", fqdn.size(),
                                                   " characters long; at most 253 are allowed "
                                                   "(RFC 1035 §2.3.4)"));
  }
  if (fqdn.back() == '.') {
    // NAF_Id uses the name as the NAF is addressed in HTTP/TLS (TS 33.220 §4.5.3), which
    // has no root dot; accepting it would give two NAF_Ids (and two keys) for one NAF.
    return absl::InvalidArgumentError("FQDN must not end with a dot");
  }
  size_t labels = 0;
  size_t start = 0;
  while (start <= fqdn.size()) {
    size_t end = fqdn.find('.', start);
    if (end == std::string_view::npos) end = fqdn.size();
    const std::string_view label = fqdn.substr(start, end - start);
    ++labels;
    if (label.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("FQDN has an empty label at position ", start));
    }
    if (label.size() > kMaxLabelLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("FQDN label ", labels, " is ", label.size(),
                       " characters long; at most 63 are allowed (RFC 1035 §2.3.4)"));
    }
    for (size_t i = 0; i < label.size(); ++i) {
      const char c = label[i];
      if (IsLetterOrDigit(c)) continue;
      if (c == '-' && i != 0 && i + 1 != label.size()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "FQDN has a character not allowed in a host name at position ", start + i,
          " (letters, digits and inner hyphens only; RFC 1035 §2.3.1, RFC 1123 §2.1)"));
    }
    start = end + 1;
  }
  if (labels < 2) {
    return absl::InvalidArgumentError("FQDN must have at least two labels (e.g. naf.example)");
  }
  return absl::OkStatus();
}

absl::StatusOr<NafId> NafId::Create(std::string_view fqdn, UaSecurityProtocolId ua) {
  if (absl::Status s = ValidateFqdn(fqdn); !s.ok()) return s;
  // DNS names compare case-insensitively (RFC 4343), but the KDF compares bytes: one
  // canonical (lower-case) form keeps the UE, the BSF and the NAF on the same key.
  return NafId(absl::AsciiStrToLower(absl::string_view(fqdn.data(), fqdn.size())), ua);
}

absl::StatusOr<NafId> NafId::Decode(ByteView encoded) {
  // NAF_Id = FQDN || Ua security protocol identifier (TS 33.220 B.3, Annex H): the Ua id
  // has a fixed size, so it is the last 5 bytes and everything before is the FQDN.
  if (encoded.size() <= UaSecurityProtocolId::kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAF_Id is ", encoded.size(),
                     " bytes; it must hold an FQDN followed by the 5-byte Ua security protocol "
                     "identifier (TS 33.220 B.3)"));
  }
  const size_t fqdn_size = encoded.size() - UaSecurityProtocolId::kSize;
  absl::StatusOr<UaSecurityProtocolId> ua =
      UaSecurityProtocolId::FromBytes(encoded.subspan(fqdn_size));
  if (!ua.ok()) return ua.status();
  const std::string_view fqdn(reinterpret_cast<const char*>(encoded.data()), fqdn_size);
  return Create(fqdn, *ua);
}

Bytes NafId::Encode() const {
  Bytes out(fqdn_.begin(), fqdn_.end());
  out.insert(out.end(), ua_.octets().begin(), ua_.octets().end());
  return out;
}

}  // namespace gbabridge
