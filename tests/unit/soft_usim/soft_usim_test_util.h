// Helpers shared by the soft USIM tests: temporary directories, test profiles, APDUs and
// authentication vectors built independently of the card's own code.
#ifndef GBABRIDGE_TESTS_UNIT_SOFT_USIM_SOFT_USIM_TEST_UTIL_H_
#define GBABRIDGE_TESTS_UNIT_SOFT_USIM_SOFT_USIM_TEST_UTIL_H_

#include <openssl/sha.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge::soft_usim_testing {

// TS 35.208 test set 1 (test keys only).
inline constexpr char kTestK[] = "465b5ce8b199b49faa5f0a2ee238a6bc";
inline constexpr char kTestOp[] = "cdc202d5123e20f62b6d676ac72cb318";
inline constexpr char kTestOpc[] = "cd63cb71954a9f4e48a5994e37a02baf";
inline constexpr char kTestImsi[] = "001010123456789";
inline constexpr char kTestImpi[] = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";

// A directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "soft-usim-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ProfileToml(std::string_view extra = "", bool gba_u = true) {
  return absl::StrCat(
      "imsi = \"", kTestImsi, "\"\niccid = \"8900101012345678901\"\nk = \"", kTestK, "\"\nopc = \"",
      kTestOpc, "\"\nmnc_length = 2\ngba_u = ", gba_u ? "true" : "false", "\n", std::string(extra));
}

inline CardProfile MakeProfile(std::string_view extra = "", bool gba_u = true) {
  absl::StatusOr<CardProfile> profile = CardProfile::Parse(ProfileToml(extra, gba_u), "test");
  EXPECT_TRUE(profile.ok()) << profile.status();
  return profile.ok() ? *std::move(profile) : CardProfile();
}

inline std::unique_ptr<SoftUsim> MakeCard(const std::string& state_path,
                                          std::string_view extra = "", bool gba_u = true,
                                          bool t0 = false) {
  SoftUsim::Options options;
  options.t0 = t0;
  absl::StatusOr<std::unique_ptr<SoftUsim>> card =
      SoftUsim::Create(MakeProfile(extra, gba_u), state_path, std::move(options));
  EXPECT_TRUE(card.ok()) << card.status();
  return card.ok() ? *std::move(card) : nullptr;
}

// Concatenation without the initializer-list-then-insert pattern, which trips GCC 12's
// -Warray-bounds false positive.
inline Bytes Cat(std::initializer_list<ByteView> parts) {
  size_t total = 0;
  for (ByteView part : parts) total += part.size();
  Bytes out;
  out.reserve(total);
  for (ByteView part : parts) {
    for (uint8_t b : part) out.push_back(b);
  }
  return out;
}

inline Bytes Hex(std::string_view hex) {
  absl::StatusOr<Bytes> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : Bytes();
}

inline uint16_t Sw(const Bytes& response) {
  if (response.size() < 2) return 0;
  return static_cast<uint16_t>((response[response.size() - 2] << 8) | response.back());
}

inline Bytes Data(const Bytes& response) {
  return response.size() < 2 ? Bytes() : Bytes(response.begin(), response.end() - 2);
}

inline Milenage TestMilenage() {
  absl::StatusOr<SecretBytes> k = SecretBytes::FromHex(kTestK);
  absl::StatusOr<SecretBytes> opc = SecretBytes::FromHex(kTestOpc);
  absl::StatusOr<Milenage> milenage = Milenage::Create(*k, *opc);
  EXPECT_TRUE(milenage.ok());
  return *std::move(milenage);
}

inline Sqn ToSqn(uint64_t value) {
  Sqn out{};
  for (int i = 5; i >= 0; --i, value >>= 8) out[i] = static_cast<uint8_t>(value);
  return out;
}

inline uint64_t FromSqn(ByteView sqn) {
  uint64_t value = 0;
  for (uint8_t b : sqn) value = (value << 8) | b;
  return value;
}

inline Rand MakeRand(uint8_t seed) {
  Rand rand{};
  for (size_t i = 0; i < rand.size(); ++i) rand[i] = static_cast<uint8_t>(seed * 17 + i * 31 + 1);
  return rand;
}

// AUTN = (SQN xor AK) || AMF || MAC (TS 33.102 §6.3.2); for GBA_U the MAC field is
// MAC* = MAC xor first 8 bytes of SHA-1(IK) (TS 33.220 §5.3.2), computed here with
// OpenSSL directly rather than with the card's helper.
inline Bytes MakeAutn(const Milenage& milenage, const Rand& rand, uint64_t sqn_value,
                      bool gba_mac_star = false, Amf amf = {0x80, 0x00}) {
  const Sqn sqn = ToSqn(sqn_value);
  const MilenageF2345 keys = milenage.F2345(rand);
  Mac mac = milenage.F1(rand, sqn, amf);
  if (gba_mac_star) {
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1(keys.ik.data(), keys.ik.size(), digest);
    for (size_t i = 0; i < mac.size(); ++i) mac[i] ^= digest[i];
  }
  Bytes concealed(6);
  for (size_t i = 0; i < 6; ++i) concealed[i] = sqn[i] ^ keys.ak[i];
  return Cat({concealed, amf, mac});
}

// 00 88 00 P2 Lc [tag] 10 RAND 10 AUTN 00
inline Bytes AuthenticateApdu(uint8_t p2, const Rand& rand, ByteView autn,
                              std::optional<uint8_t> tag = std::nullopt) {
  const Bytes tag_byte = tag.has_value() ? Bytes{*tag} : Bytes{};
  const Bytes data =
      Cat({tag_byte, Bytes{16}, rand, Bytes{static_cast<uint8_t>(autn.size())}, autn});
  return Cat({Bytes{0x00, 0x88, 0x00, p2, static_cast<uint8_t>(data.size())}, data, Bytes{0x00}});
}

inline Bytes SelectAidApdu(ByteView aid, uint8_t p2 = 0x04) {
  return Cat({Bytes{0x00, 0xA4, 0x04, p2, static_cast<uint8_t>(aid.size())}, aid,
              p2 == 0x04 ? Bytes{0x00} : Bytes{}});
}

inline Bytes SelectFidApdu(uint16_t fid) {
  return {0x00,
          0xA4,
          0x00,
          0x04,
          0x02,
          static_cast<uint8_t>(fid >> 8),
          static_cast<uint8_t>(fid & 0xff),
          0x00};
}

}  // namespace gbabridge::soft_usim_testing

#endif  // GBABRIDGE_TESTS_UNIT_SOFT_USIM_SOFT_USIM_TEST_UTIL_H_
