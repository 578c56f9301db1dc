#include "bootstrap/protocol/key_derivation.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/base64.h"
#include "gtest/gtest.h"

namespace gbabridge {
namespace {

constexpr std::string_view kImpi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";  // 49
constexpr std::string_view kBsf = "bsf.mnc001.mcc001.pub.3gppnetwork.org";

SecretBytes TestKs() {
  SecretBytes ks(32);
  for (size_t i = 0; i < ks.size(); ++i) ks.data()[i] = static_cast<uint8_t>(0x10 + i);
  return ks;
}

Bytes TestRand() {
  Bytes rand(16);
  for (size_t i = 0; i < rand.size(); ++i) rand[i] = static_cast<uint8_t>(0x80 + i);
  return rand;
}

NafId TestNaf() { return *NafId::Create("naf.example.org", UaSecurityProtocolId::Tls(0x00AE)); }

void Append(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }
void AppendHex(Bytes& out, std::string_view hex) { Append(out, *HexDecode(hex)); }

// S for Ks_(ext/int)_NAF, laid out by hand as TS 33.220 B.2.1 / B.3 describe it, with
// every length written out rather than computed.
Bytes HandBuiltS(std::string_view p0, std::string_view l0_hex) {
  Bytes s;
  AppendHex(s, "01");                     // FC
  Append(s, AsBytes(p0));                 // P0 = "gba-me" / "gba-u"
  AppendHex(s, l0_hex);                   // L0
  Append(s, TestRand());                  // P1 = RAND
  AppendHex(s, "0010");                   // L1 = 16
  Append(s, AsBytes(kImpi));              // P2 = IMPI
  AppendHex(s, "0031");                   // L2 = 49
  Append(s, AsBytes("naf.example.org"));  // P3 = NAF_Id: FQDN ...
  AppendHex(s, "01000100ae");             //      ... || Ua id (TLS, 0x00AE)
  AppendHex(s, "0014");                   // L3 = 20
  return s;
}

// HMAC-SHA-256 by the `openssl` command-line tool: independent of our KDF and of the
// EVP_MAC code path it uses. Returns "" when the tool cannot be run.
std::string OpensslHmacHex(const SecretBytes& key, const Bytes& message) {
  char path[] = "/tmp/gbabridge-kdf-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "";
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(message.data()),
              static_cast<std::streamsize>(message.size()));
  }
  const std::string command =
      absl::StrCat("openssl mac -digest SHA256 -macopt hexkey:", key.RevealHex(), " -in ", path,
                   " HMAC 2>/dev/null");
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
    char buffer[256];
    while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
    if (pclose(pipe) != 0) output.clear();
  }
  unlink(path);
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(output));
}

TEST(KeyDerivationTest, MakeKsConcatenatesCkAndIk) {
  SecretBytes ck = *SecretBytes::FromHex("00112233445566778899aabbccddeeff");
  SecretBytes ik = *SecretBytes::FromHex("ffeeddccbbaa99887766554433221100");
  const SecretBytes ks = MakeKs(ck, ik);
  EXPECT_EQ(ks.RevealHex(), "00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100");
  EXPECT_TRUE(MakeKs(SecretBytes(), SecretBytes()).empty());
}

TEST(KeyDerivationTest, KsNafMatchesOpensslCliOnHandBuiltS) {
  const std::string expected = OpensslHmacHex(TestKs(), HandBuiltS("gba-me", "0006"));
  if (expected.empty()) GTEST_SKIP() << "the openssl command-line tool is not available";
  ASSERT_EQ(expected.size(), 64u) << expected;
  absl::StatusOr<SecretBytes> ks_naf = DeriveKsNaf(TestKs(), TestRand(), kImpi, TestNaf());
  ASSERT_TRUE(ks_naf.ok()) << ks_naf.status();
  EXPECT_EQ(ks_naf->RevealHex(), expected);
}

TEST(KeyDerivationTest, KsIntNafMatchesOpensslCliOnHandBuiltS) {
  const std::string expected = OpensslHmacHex(TestKs(), HandBuiltS("gba-u", "0005"));
  if (expected.empty()) GTEST_SKIP() << "the openssl command-line tool is not available";
  absl::StatusOr<SecretBytes> ks_int = DeriveKsIntNaf(TestKs(), TestRand(), kImpi, TestNaf());
  ASSERT_TRUE(ks_int.ok()) << ks_int.status();
  EXPECT_EQ(ks_int->RevealHex(), expected);
}

// Computed outside the project with Python:
//   import hmac, hashlib
//   ks = bytes(range(0x10, 0x30)); rand = bytes(range(0x80, 0x90))
//   impi = b"001010000000001@ims.mnc001.mcc001.3gppnetwork.org"
//   naf = b"naf.example.org" + bytes([1, 0, 1, 0, 0xae])
//   kdf = lambda p0: hmac.new(ks, b"\x01" + b"".join(p + len(p).to_bytes(2, "big")
//                             for p in [p0, rand, impi, naf]), hashlib.sha256).hexdigest()
//   kdf(b"gba-me"), kdf(b"gba-u")
constexpr std::string_view kKsNafPython =
    "7351c7d5d3a53a74c207f4937d7c1baba0f3268c7d13da1e2a63fc781e5c8f24";
constexpr std::string_view kKsIntNafPython =
    "e0a04f68e231ee463ea0509f5c5870764154666d1a2cf9cab7a18374070a2c0e";

TEST(KeyDerivationTest, KsNafMatchesPythonVector) {
  absl::StatusOr<SecretBytes> ks_naf = DeriveKsNaf(TestKs(), TestRand(), kImpi, TestNaf());
  ASSERT_TRUE(ks_naf.ok()) << ks_naf.status();
  EXPECT_EQ(ks_naf->RevealHex(), kKsNafPython);
}

TEST(KeyDerivationTest, GbaUExtEqualsGbaMeAndIntDiffers) {
  absl::StatusOr<SecretBytes> ext = DeriveKsExtNaf(TestKs(), TestRand(), kImpi, TestNaf());
  absl::StatusOr<SecretBytes> in = DeriveKsIntNaf(TestKs(), TestRand(), kImpi, TestNaf());
  ASSERT_TRUE(ext.ok() && in.ok());
  // B.3: Ks_ext_NAF is derived exactly like Ks_NAF; Ks_int_NAF uses P0 = "gba-u".
  EXPECT_EQ(ext->RevealHex(), kKsNafPython);
  EXPECT_EQ(in->RevealHex(), kKsIntNafPython);
  EXPECT_NE(ext->RevealHex(), in->RevealHex());
}

TEST(KeyDerivationTest, NafIdAndUaIdSeparateKeys) {
  const SecretBytes ks = TestKs();
  const Bytes rand = TestRand();
  const std::string base = DeriveKsNaf(ks, rand, kImpi, TestNaf())->RevealHex();
  const NafId other_ua = *NafId::Create("naf.example.org", UaSecurityProtocolId::HttpDigest());
  const NafId other_fqdn = *NafId::Create("naf2.example.org", UaSecurityProtocolId::Tls(0x00AE));
  EXPECT_NE(DeriveKsNaf(ks, rand, kImpi, other_ua)->RevealHex(), base);
  EXPECT_NE(DeriveKsNaf(ks, rand, kImpi, other_fqdn)->RevealHex(), base);
  // Upper-case input names the same NAF (NafId lower-cases), hence the same key.
  const NafId upper = *NafId::Create("NAF.EXAMPLE.ORG", UaSecurityProtocolId::Tls(0x00AE));
  EXPECT_EQ(DeriveKsNaf(ks, rand, kImpi, upper)->RevealHex(), base);
}

TEST(KeyDerivationTest, RejectsBadInputSizes) {
  const NafId naf = TestNaf();
  EXPECT_EQ(DeriveKsNaf(SecretBytes(), TestRand(), kImpi, naf).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(DeriveKsNaf(SecretBytes(16), TestRand(), kImpi, naf).ok());
  EXPECT_FALSE(DeriveKsNaf(TestKs(), Bytes(15), kImpi, naf).ok());
  EXPECT_FALSE(DeriveKsNaf(TestKs(), TestRand(), "", naf).ok());
  EXPECT_FALSE(DeriveKsIntNaf(SecretBytes(), TestRand(), kImpi, naf).ok());
  EXPECT_FALSE(DeriveKsExtNaf(TestKs(), Bytes(), kImpi, naf).ok());
  EXPECT_FALSE(DeriveTmpi(SecretBytes(31), TestRand(), kImpi, kBsf).ok());
}

// Computed outside the project with Python (ks, rand, impi as above):
//   import base64
//   bsf_id = b"bsf.mnc001.mcc001.pub.3gppnetwork.org" + bytes([1, 0, 0, 1, 0])
//   k = hmac.new(ks, b"\x01" + b"".join(p + len(p).to_bytes(2, "big")
//                for p in [b"gba-me", rand, impi, bsf_id]), hashlib.sha256).digest()
//   base64.b64encode(k[:24]).decode() + "@tmpi.bsf.3gppnetwork.org"
TEST(KeyDerivationTest, TmpiMatchesPythonVector) {
  absl::StatusOr<std::string> tmpi = DeriveTmpi(TestKs(), TestRand(), kImpi, kBsf);
  ASSERT_TRUE(tmpi.ok()) << tmpi.status();
  EXPECT_EQ(*tmpi, "ZbIi8NEAbfILjmA/V4oox3dtHiaAHNGx@tmpi.bsf.3gppnetwork.org");
}

TEST(KeyDerivationTest, TmpiIsTheFirst24BytesOfTheBsfIdDerivation) {
  const NafId bsf_id = *NafId::Create(kBsf, UaSecurityProtocolId::Tmpi());
  absl::StatusOr<SecretBytes> key = DeriveKsNaf(TestKs(), TestRand(), kImpi, bsf_id);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*DeriveTmpi(TestKs(), TestRand(), kImpi, "BSF.MNC001.mcc001.pub.3gppnetwork.org"),
            Base64Encode(key->view().first(24)) + "@tmpi.bsf.3gppnetwork.org");
}

TEST(KeyDerivationTest, TmpiFromACardsKsExtNafIsTheSame) {
  // GBA_U: the card returns Ks_ext_NAF for the BSF's NAF_Id; the TMPI is made from it alone.
  absl::StatusOr<NafId> bsf_id = TmpiNafId(kBsf);
  ASSERT_TRUE(bsf_id.ok());
  const Bytes encoded = bsf_id->Encode();
  EXPECT_EQ(HexEncode(ByteView(encoded).subspan(encoded.size() - 5)), "0100000100");
  absl::StatusOr<SecretBytes> ks_ext = DeriveKsExtNaf(TestKs(), TestRand(), kImpi, *bsf_id);
  ASSERT_TRUE(ks_ext.ok());
  EXPECT_EQ(*TmpiFromKey(*ks_ext), "ZbIi8NEAbfILjmA/V4oox3dtHiaAHNGx@tmpi.bsf.3gppnetwork.org");
  EXPECT_FALSE(TmpiFromKey(SecretBytes(23)).ok());
}

TEST(KeyDerivationTest, TmpiRejectsBadBsfName) {
  absl::StatusOr<std::string> tmpi = DeriveTmpi(TestKs(), TestRand(), kImpi, "bsf");
  EXPECT_EQ(tmpi.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gbabridge
