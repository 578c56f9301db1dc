#include "uicc/base/kdf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace gbabridge {
namespace {

constexpr std::string_view kImpi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";

SecretBytes TestKs() {
  SecretBytes ks(32);
  for (size_t i = 0; i < ks.size(); ++i) ks.data()[i] = static_cast<uint8_t>(i);
  return ks;
}

Bytes TestRand() {
  Bytes rand(16);
  for (size_t i = 0; i < rand.size(); ++i) rand[i] = static_cast<uint8_t>(0xa0 + i);
  return rand;
}

// "mef.example.com" || Ua id 01 00 01 00 AE (TLS, cipher suite 0x00AE; TS 33.220 Annex H).
Bytes TestNafId() {
  constexpr std::string_view kNafId("mef.example.com\x01\x00\x01\x00\xAE", 20);
  const ByteView bytes = AsBytes(kNafId);
  return Bytes(bytes.begin(), bytes.end());
}

// The reference: S assembled by hand as TS 33.220 B.2.1 describes it, and HMAC through
// OpenSSL's one-shot HMAC() rather than the EVP_MAC API that Kdf uses.
std::string ReferenceKdfHex(ByteView key, uint8_t fc, std::initializer_list<ByteView> params) {
  Bytes s = {fc};
  for (ByteView p : params) {
    s.insert(s.end(), p.begin(), p.end());
    s.push_back(static_cast<uint8_t>(p.size() >> 8));
    s.push_back(static_cast<uint8_t>(p.size() & 0xff));
  }
  static constexpr uint8_t kNoKey = 0;
  uint8_t out[32];
  unsigned int out_len = 0;
  EXPECT_NE(HMAC(EVP_sha256(), key.empty() ? &kNoKey : key.data(), static_cast<int>(key.size()),
                 s.data(), s.size(), out, &out_len),
            nullptr);
  EXPECT_EQ(out_len, 32u);
  return HexEncode(ByteView(out, out_len));
}

// The B.3 parameters (FC 0x01, P0, RAND, IMPI, NAF_Id) fed to the generic Kdf.
absl::StatusOr<SecretBytes> NafKdf(std::string_view p0, const SecretBytes& ks, ByteView rand,
                                   ByteView naf_id) {
  return Kdf(ks, kFcGbaNafKey, {AsBytes(p0), rand, AsBytes(kImpi), naf_id});
}

TEST(KdfTest, KsExtNafMatchesPythonVector) {
  // Computed outside the project with Python's hmac module:
  //   ks = bytes(range(32)); rand = bytes(range(0xa0, 0xb0))
  //   impi = b"001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
  //   naf = b"mef.example.com" + bytes([1, 0, 1, 0, 0xae])
  //   s = b"\x01" + b"".join(p + len(p).to_bytes(2, "big")
  //                           for p in [b"gba-me", rand, impi, naf])
  //   hmac.new(ks, s, hashlib.sha256).hexdigest()
  absl::StatusOr<SecretBytes> key = NafKdf(kP0GbaMe, TestKs(), TestRand(), TestNafId());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->RevealHex(), "fb8be51f823563405e45a29ad7a1a5cffb2925781e6cf0a3ca5999bbb07b1e8d");
}

TEST(KdfTest, KsIntNafMatchesPythonVector) {
  // As above, with P0 = b"gba-u".
  absl::StatusOr<SecretBytes> key = NafKdf(kP0GbaU, TestKs(), TestRand(), TestNafId());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->RevealHex(), "f5d38a9f50b34d2bc008ae9ce6cc2104e0bf97306c2ed3c1e4c6f469657d3a2c");
}

TEST(KdfTest, NafKeyParametersMatchIndependentHmac) {
  const SecretBytes ks = TestKs();
  const Bytes rand = TestRand();
  const Bytes naf = TestNafId();
  absl::StatusOr<SecretBytes> ext = NafKdf(kP0GbaMe, ks, rand, naf);
  absl::StatusOr<SecretBytes> in = NafKdf(kP0GbaU, ks, rand, naf);
  ASSERT_TRUE(ext.ok() && in.ok());
  EXPECT_EQ(ext->RevealHex(),
            ReferenceKdfHex(ks.view(), 0x01, {AsBytes("gba-me"), rand, AsBytes(kImpi), naf}));
  EXPECT_EQ(in->RevealHex(),
            ReferenceKdfHex(ks.view(), 0x01, {AsBytes("gba-u"), rand, AsBytes(kImpi), naf}));
}

TEST(KdfTest, ExtAndIntNafKeysDiffer) {
  absl::StatusOr<SecretBytes> ext = NafKdf(kP0GbaMe, TestKs(), TestRand(), TestNafId());
  absl::StatusOr<SecretBytes> in = NafKdf(kP0GbaU, TestKs(), TestRand(), TestNafId());
  ASSERT_TRUE(ext.ok() && in.ok());
  EXPECT_EQ(ext->size(), kKdfOutputSize);
  EXPECT_EQ(in->size(), kKdfOutputSize);
  EXPECT_FALSE(ConstantTimeEquals(ext->view(), in->view()));
}

TEST(KdfTest, GenericKdfMatchesIndependentHmac) {
  const SecretBytes ks = TestKs();
  const Bytes long_param(300, 0x5a);  // Li = 01 2C: exercises the high length byte.
  const Bytes max_param(kMaxKdfParameterSize, 0x33);
  auto check = [&](uint8_t fc, std::initializer_list<ByteView> params) {
    SCOPED_TRACE(static_cast<int>(fc));
    absl::StatusOr<SecretBytes> got = Kdf(ks, fc, params);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->RevealHex(), ReferenceKdfHex(ks.view(), fc, params));
  };
  check(0x01, {});
  check(0x80, {AsBytes("AKMA"), AsBytes("imsi-001010123456789")});  // TS 33.535 A.2 shape
  check(0x81, {ByteView()});  // An empty parameter still contributes L = 00 00.
  check(0x82, {long_param});
  check(0x02, {max_param, AsBytes("x")});  // 65535 bytes is allowed.
}

TEST(KdfTest, KeyChangesBetweenCallsAreHonoured) {
  // The per-thread context is re-keyed on every call: alternating keys must not leak the
  // previous key into the next result, including an empty key after a non-empty one.
  const SecretBytes a = TestKs();
  SecretBytes b = TestKs();
  b.data()[0] ^= 1;
  const SecretBytes empty;
  const std::vector<const SecretBytes*> keys = {&a, &b, &empty, &a};
  for (int i = 0; i < 2; ++i) {
    for (const SecretBytes* key : keys) {
      absl::StatusOr<SecretBytes> got = Kdf(*key, 0x01, {AsBytes("p")});
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->RevealHex(), ReferenceKdfHex(key->view(), 0x01, {AsBytes("p")}));
    }
  }
}

TEST(KdfTest, RejectsParameterLongerThan65535Bytes) {
  const SecretBytes ks = TestKs();
  const Bytes too_long(kMaxKdfParameterSize + 1, 0x00);
  absl::StatusOr<SecretBytes> got = Kdf(ks, 0x01, {AsBytes("gba-me"), too_long});
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("P1"), std::string_view::npos) << got.status();
  EXPECT_NE(got.status().message().find("65535"), std::string_view::npos) << got.status();
  // Key material never appears in errors.
  EXPECT_EQ(got.status().message().find(ks.RevealHex().substr(0, 8)), std::string_view::npos);

  const std::string long_impi(70000, 'a');
  EXPECT_EQ(Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), TestRand(), AsBytes(long_impi), TestNafId()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KdfTest, ThreadsEachGetCorrectResults) {
  const std::string want = ReferenceKdfHex(TestKs().view(), 0x01, {AsBytes("gba-me")});
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      const SecretBytes ks = TestKs();
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<SecretBytes> got = Kdf(ks, 0x01, {AsBytes("gba-me")});
        if (!got.ok() || got->RevealHex() != want) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace gbabridge
