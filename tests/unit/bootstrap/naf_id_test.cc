#include "bootstrap/protocol/naf_id.h"

#include <string>

#include "gtest/gtest.h"

namespace gbabridge {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

// FQDN bytes followed by a Ua id given in hex.
Bytes Concat(std::string_view fqdn, std::string_view ua_hex) {
  Bytes out(fqdn.begin(), fqdn.end());
  const Bytes ua = Hex(ua_hex);
  out.insert(out.end(), ua.begin(), ua.end());
  return out;
}

TEST(NafIdFqdnTest, AcceptsHostNames) {
  for (std::string_view fqdn : {"naf.example.org", "a.b", "NAF.Example.ORG", "x-1.y-2.example",
                                "1.2.3.example", "bsf.mnc001.mcc001.pub.3gppnetwork.org"}) {
    EXPECT_TRUE(ValidateFqdn(fqdn).ok()) << fqdn;
  }
  // Exactly 63-character labels and exactly 253 characters are allowed.
  EXPECT_TRUE(ValidateFqdn(std::string(63, 'a') + ".example").ok());
  const std::string label(63, 'b');
  const std::string max = label + "." + label + "." + label + "." + std::string(61, 'c');
  ASSERT_EQ(max.size(), 253u);
  EXPECT_TRUE(ValidateFqdn(max).ok());
}

TEST(NafIdFqdnTest, RejectsMalformedNames) {
  const std::string label(63, 'b');
  const std::string too_long = label + "." + label + "." + label + "." + std::string(62, 'c');
  ASSERT_EQ(too_long.size(), 254u);
  for (const std::string& fqdn :
       std::initializer_list<std::string>{"",                                 // empty
                                          "naf.example.org.",                 // trailing dot
                                          std::string(64, 'a') + ".example",  // 64-character label
                                          "naf_1.example.org",                // underscore
                                          "naf example.org",                  // space
                                          "naf.exa*mple.org",                 // bad character
                                          "naïve.example.org",  // non-ASCII (IDNs must be A-labels)
                                          "localhost",          // single label
                                          "-naf.example.org",   // leading hyphen
                                          "naf-.example.org",   // trailing hyphen
                                          "naf..example.org",   // empty label
                                          ".naf.example.org",   // leading dot
                                          std::string("naf\0.example.org", 16),  // NUL
                                          too_long}) {
    const absl::Status status = ValidateFqdn(fqdn);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << fqdn;
  }
}

TEST(NafIdFqdnTest, ErrorDoesNotEchoTheName) {
  const absl::Status status = ValidateFqdn("secret_name.example.org");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()).find("secret_name"), std::string::npos);
}

TEST(UaSecurityProtocolIdTest, NamedConstantsHaveAnnexHBytes) {
  struct Case {
    UaSecurityProtocolId id;
    std::string_view hex;
  };
  const Case cases[] = {
      {UaSecurityProtocolId::Ts33221(), "0100000000"},
      {UaSecurityProtocolId::Mbms(), "0100000001"},
      {UaSecurityProtocolId::HttpDigest(), "0100000002"},
      {UaSecurityProtocolId::HttpMbms(), "0100000003"},
      {UaSecurityProtocolId::SipMbms(), "0100000004"},
      {UaSecurityProtocolId::GenericPush(), "0100000005"},
      {UaSecurityProtocolId::ImsUeToKms(), "0100000006"},
      {UaSecurityProtocolId::Tls13SharedKey(), "0100000007"},
      {UaSecurityProtocolId::Tmpi(), "0100000100"},
      {UaSecurityProtocolId::Tls(0x00AE), "01000100ae"},
      {UaSecurityProtocolId::Tls(0xC0A8), "010001c0a8"},
      {UaSecurityProtocolId::OmaUlp(), "0300000001"},
      {UaSecurityProtocolId::OmaLocSip(), "0300000002"},
      {UaSecurityProtocolId::OmaSipDigest(), "0300000003"},
      {UaSecurityProtocolId::OmaTls(0x008C), "030001008c"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.id.ToHex(), c.hex);
    const Bytes expected = Hex(c.hex);
    EXPECT_EQ(Bytes(c.id.octets().begin(), c.id.octets().end()), expected) << c.hex;
    absl::StatusOr<UaSecurityProtocolId> parsed = UaSecurityProtocolId::FromBytes(expected);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, c.id);
  }
  EXPECT_EQ(UaSecurityProtocolId::Tls(0x00AE).organization(), UaSecurityProtocolId::kOrg3gpp);
  EXPECT_EQ(UaSecurityProtocolId::OmaUlp().organization(), UaSecurityProtocolId::kOrgOma);
}

TEST(UaSecurityProtocolIdTest, TlsCipherSuiteIsBigEndian) {
  const UaSecurityProtocolId::Octets expected = {0x01, 0x00, 0x01, 0x00, 0xAE};
  EXPECT_EQ(UaSecurityProtocolId::Tls(0x00AE).octets(), expected);
}

TEST(UaSecurityProtocolIdTest, FromHexAcceptsSeparators) {
  for (std::string_view hex : {"01 00 01 00 AE", "01000100ae", "01:00:01:00:ae"}) {
    absl::StatusOr<UaSecurityProtocolId> id = UaSecurityProtocolId::FromHex(hex);
    ASSERT_TRUE(id.ok()) << hex << ": " << id.status();
    EXPECT_EQ(*id, UaSecurityProtocolId::Tls(0x00AE));
  }
  EXPECT_FALSE(UaSecurityProtocolId::FromHex("01 00 01 00").ok());        // 4 bytes
  EXPECT_FALSE(UaSecurityProtocolId::FromHex("01 00 01 00 AE 00").ok());  // 6 bytes
  EXPECT_FALSE(UaSecurityProtocolId::FromHex("01 00 01 00 AG").ok());     // not hex
}

TEST(UaSecurityProtocolIdTest, ValidatesOrganisationOctet) {
  // Annex H.2: 00 only as the all-zero default; 01-04 and FF assigned; the rest is not.
  EXPECT_TRUE(UaSecurityProtocolId::FromHex("0000000000").ok());
  EXPECT_TRUE(UaSecurityProtocolId::FromHex("0200000001").ok());
  EXPECT_TRUE(UaSecurityProtocolId::FromHex("0400000001").ok());
  EXPECT_TRUE(UaSecurityProtocolId::FromHex("ff12345678").ok());
  for (std::string_view bad :
       {"0500000000", "0000000001", "0001000000", "0000000100", "fe00000000", "8000000000"}) {
    absl::StatusOr<UaSecurityProtocolId> id = UaSecurityProtocolId::FromHex(bad);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(UaSecurityProtocolIdTest, Describe) {
  EXPECT_EQ(UaSecurityProtocolId::Tls(0x00AE).Describe(),
            "3GPP TLS (TS 33.222 §5.3/5.4), cipher suite 0x00AE");
  EXPECT_EQ(UaSecurityProtocolId::HttpDigest().Describe(),
            "3GPP HTTP Digest authentication (TS 24.109)");
  EXPECT_EQ(UaSecurityProtocolId::Tmpi().Describe(), "3GPP TMPI generation (TS 33.220 B.4)");
  EXPECT_EQ(UaSecurityProtocolId::Tls13SharedKey().Describe(),
            "3GPP shared-key TLS 1.3 (TS 33.222 §5.4.0.2)");
  EXPECT_EQ(UaSecurityProtocolId::OmaTls(0x008C).Describe(),
            "OMA TLS/PSK-TLS, cipher suite 0x008C");
  EXPECT_EQ(UaSecurityProtocolId::FromHex("0100000099")->Describe(), "unknown 3GPP protocol");
  EXPECT_EQ(UaSecurityProtocolId::FromHex("0300000099")->Describe(), "unknown OMA protocol");
  EXPECT_EQ(UaSecurityProtocolId::FromHex("ff01020304")->Describe(),
            "private/experimental protocol ff01020304");
  EXPECT_EQ(UaSecurityProtocolId::FromHex("0000000000")->Describe(),
            "default Ua security protocol (TS 33.220 Annex H.2)");
}

TEST(NafIdTest, CreateLowerCasesAndEncodes) {
  absl::StatusOr<NafId> naf = NafId::Create("NAF.Example.Org", UaSecurityProtocolId::Tls(0x00AE));
  ASSERT_TRUE(naf.ok()) << naf.status();
  EXPECT_EQ(naf->fqdn(), "naf.example.org");
  EXPECT_EQ(naf->ua(), UaSecurityProtocolId::Tls(0x00AE));
  // TS 33.220 B.3: P3 = FQDN (UTF-8) || Ua id.
  EXPECT_EQ(HexEncode(naf->Encode()), HexEncode(AsBytes("naf.example.org")) + "01000100ae");
}

TEST(NafIdTest, CreateRejectsBadFqdn) {
  EXPECT_FALSE(NafId::Create("naf.example.org.", UaSecurityProtocolId::HttpDigest()).ok());
  EXPECT_FALSE(NafId::Create("", UaSecurityProtocolId::HttpDigest()).ok());
}

TEST(NafIdTest, EncodeDecodeRoundTrip) {
  for (const UaSecurityProtocolId& ua :
       {UaSecurityProtocolId::Tls(0x00AE), UaSecurityProtocolId::HttpDigest(),
        UaSecurityProtocolId::OmaSipDigest(), *UaSecurityProtocolId::FromHex("0000000000")}) {
    absl::StatusOr<NafId> naf = NafId::Create("m2m.operator.example", ua);
    ASSERT_TRUE(naf.ok());
    absl::StatusOr<NafId> decoded = NafId::Decode(naf->Encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, *naf);
  }
}

TEST(NafIdTest, DecodeTakesTheLastFiveBytesAsUaIdAndLowerCases) {
  absl::StatusOr<NafId> naf = NafId::Decode(Concat("MEF.Example.COM", "0100000002"));
  ASSERT_TRUE(naf.ok()) << naf.status();
  EXPECT_EQ(naf->fqdn(), "mef.example.com");
  EXPECT_EQ(naf->ua(), UaSecurityProtocolId::HttpDigest());
}

TEST(NafIdTest, DecodeRejectsShortOrInvalidInput) {
  EXPECT_FALSE(NafId::Decode({}).ok());
  EXPECT_FALSE(NafId::Decode(Hex("0100000002")).ok());  // Ua id alone, no FQDN
  EXPECT_FALSE(NafId::Decode(Hex("01000002")).ok());    // shorter than a Ua id
  EXPECT_FALSE(NafId::Decode(Concat("naf.example.org", "0500000002")).ok());  // bad org
  EXPECT_FALSE(NafId::Decode(Concat("naf.example.org", "0000000002")).ok());  // 00 non-default
  EXPECT_FALSE(NafId::Decode(Concat("naf", "0100000002")).ok());              // single label
  EXPECT_FALSE(NafId::Decode(Concat("naf.example.org.", "0100000002")).ok());
}

}  // namespace
}  // namespace gbabridge
