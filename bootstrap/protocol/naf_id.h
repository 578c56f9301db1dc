// NAF_Id = FQDN of the NAF || Ua security protocol identifier (TS 33.220 Annex H, B.3).
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_NAF_ID_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_NAF_ID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// The 5-byte Ua security protocol identifier: organisation octet + 4 protocol octets
// (TS 33.220 Annex H).
class UaSecurityProtocolId {
 public:
  static constexpr size_t kSize = 5;
  using Octets = std::array<uint8_t, kSize>;

  // Organisation octets (TS 33.220 Annex H).
  static constexpr uint8_t kOrgDefault = 0x00;  // only 00 00 00 00 00 is defined
  static constexpr uint8_t kOrg3gpp = 0x01;
  static constexpr uint8_t kOrg3gpp2 = 0x02;
  static constexpr uint8_t kOrgOma = 0x03;
  static constexpr uint8_t kOrgGsma = 0x04;
  static constexpr uint8_t kOrgPrivate = 0xFF;

  // Validates the organisation octet (00 only as 00 00 00 00 00; 01-04 and FF).
  static absl::StatusOr<UaSecurityProtocolId> FromBytes(ByteView bytes);
  // Hex, with or without spaces/colons: "01 00 01 00 AE", "01000100ae".
  static absl::StatusOr<UaSecurityProtocolId> FromHex(std::string_view hex);

  // 3GPP identifiers (TS 33.220 Annex H).
  static UaSecurityProtocolId Ts33221();                   // 01 00 00 00 00
  static UaSecurityProtocolId Mbms();                      // 01 00 00 00 01
  static UaSecurityProtocolId HttpDigest();                // 01 00 00 00 02 (TS 24.109)
  static UaSecurityProtocolId HttpMbms();                  // 01 00 00 00 03
  static UaSecurityProtocolId SipMbms();                   // 01 00 00 00 04
  static UaSecurityProtocolId GenericPush();               // 01 00 00 00 05
  static UaSecurityProtocolId ImsUeToKms();                // 01 00 00 00 06
  static UaSecurityProtocolId Tls13SharedKey();            // 01 00 00 00 07 (TS 33.222 §5.4.0.2)
  static UaSecurityProtocolId Tmpi();                      // 01 00 00 01 00 (Annex B.4)
  static UaSecurityProtocolId Tls(uint16_t cipher_suite);  // 01 00 01 yy zz (TS 33.222)
  // OMA identifiers.
  static UaSecurityProtocolId OmaUlp();                       // 03 00 00 00 01
  static UaSecurityProtocolId OmaLocSip();                    // 03 00 00 00 02
  static UaSecurityProtocolId OmaSipDigest();                 // 03 00 00 00 03
  static UaSecurityProtocolId OmaTls(uint16_t cipher_suite);  // 03 00 01 yy zz

  const Octets& octets() const { return octets_; }
  uint8_t organization() const { return octets_[0]; }
  std::string ToHex() const;  // "010001 00ae" style: lower-case, no spaces
  // Human description, e.g. "3GPP TLS, cipher suite 0x00AE" or "unknown 3GPP protocol".
  std::string Describe() const;

  friend bool operator==(const UaSecurityProtocolId&, const UaSecurityProtocolId&) = default;

 private:
  explicit constexpr UaSecurityProtocolId(Octets octets) : octets_(octets) {}
  Octets octets_;
};

class NafId {
 public:
  // Validates the FQDN (RFC 1035 letters/digits/hyphens, labels 1..63, total <= 253,
  // at least two labels, no trailing dot; lower-cased for comparison and derivation).
  static absl::StatusOr<NafId> Create(std::string_view fqdn, UaSecurityProtocolId ua);
  // Parses FQDN || 5-byte Ua id (as carried on Zn or in EF_GBANL).
  static absl::StatusOr<NafId> Decode(ByteView encoded);

  const std::string& fqdn() const { return fqdn_; }
  const UaSecurityProtocolId& ua() const { return ua_; }
  // The bytes fed to the KDF as P3: FQDN (UTF-8) || Ua id (TS 33.220 B.3).
  Bytes Encode() const;

  friend bool operator==(const NafId&, const NafId&) = default;

 private:
  NafId(std::string fqdn, UaSecurityProtocolId ua) : fqdn_(std::move(fqdn)), ua_(ua) {}
  std::string fqdn_;
  UaSecurityProtocolId ua_;
};

// FQDN validation shared with request validation (daemon, Zn).
absl::Status ValidateFqdn(std::string_view fqdn);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_NAF_ID_H_
