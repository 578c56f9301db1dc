#include "uicc/base/secret_bytes.h"

#include <type_traits>

#include "gtest/gtest.h"

namespace gbabridge {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>, "secrets are never copied implicitly");
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom(Bytes{1, 2, 3});
  SecretBytes b = std::move(a);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.RevealHex(), "010203");
}

TEST(SecretBytesTest, CloneIsIndependent) {
  SecretBytes a = SecretBytes::CopyFrom(Bytes{9, 9});
  SecretBytes b = a.Clone();
  b.data()[0] = 1;
  EXPECT_EQ(a.RevealHex(), "0909");
  EXPECT_EQ(b.RevealHex(), "0109");
}

TEST(SecretBytesTest, FromHexErrorDoesNotEchoInput) {
  absl::StatusOr<SecretBytes> s = SecretBytes::FromHex("deadbeefzz");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("dead"), std::string_view::npos);
}

TEST(SecretBytesTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{1, 2}, Bytes{1}));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
}

TEST(HexTest, RoundTripAndErrors) {
  EXPECT_EQ(HexEncode(*HexDecode("00 A4:04")), "00a404");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("0g").ok());
  EXPECT_FALSE(HexDecode("0 0").ok());
}

}  // namespace
}  // namespace gbabridge
