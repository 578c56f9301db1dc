#include "bootstrap/protocol/base64.h"

#include <string>

#include "gtest/gtest.h"

namespace gbabridge {
namespace {

std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

TEST(Base64Test, Rfc4648Section10Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    absl::StatusOr<Bytes> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status();
    EXPECT_EQ(ToString(*decoded), plain);
  }
}

TEST(Base64Test, BinaryRoundTrip) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= all.size(); ++n) {
    const ByteView in(all.data(), n);
    absl::StatusOr<Bytes> out = Base64Decode(Base64Encode(in));
    ASSERT_TRUE(out.ok()) << n;
    EXPECT_EQ(*out, Bytes(in.begin(), in.end()));
  }
}

TEST(Base64Test, LargeInputCrossesChunks) {
  // Larger than the 3 MiB encode / 4 MiB-character decode chunks.
  Bytes big(7 * 1024 * 1024 + 1);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 131 + (i >> 11));
  const std::string text = Base64Encode(big);
  EXPECT_EQ(text.size(), (big.size() + 2) / 3 * 4);
  absl::StatusOr<Bytes> back = Base64Decode(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, big);
}

TEST(Base64Test, RejectsBadInput) {
  for (std::string_view bad : {
           "Zg",        // not a multiple of 4
           "Zg=",       // not a multiple of 4
           "Z===",      // three padding characters
           "====",      // padding only
           "=Zg=",      // padding first
           "Zg==Zg==",  // padding in the middle
           "Zm9v\n",    // new line
           " Zm9v",     // leading space (EVP_DecodeBlock would skip it)
           "Zm9v    ",  // trailing spaces
           "Zm-v",      // base64url alphabet
           "Zm_v",      // base64url alphabet
           "Zh==",      // non-zero bits before padding (RFC 4648 §3.5)
           "Zm9=",      // non-zero bits before padding
           "Zm\x00v",   // NUL (the literal stops there, so this is "Zm": bad length)
       }) {
    absl::StatusOr<Bytes> decoded = Base64Decode(bad);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(Base64Decode(std::string_view("Zm\0v", 4)).ok());
}

TEST(Base64Test, ErrorDoesNotEchoInput) {
  absl::StatusOr<Bytes> decoded = Base64Decode("c2VjcmV0!!!!");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(std::string(decoded.status().message()).find("c2Vjc"), std::string::npos);
}

}  // namespace
}  // namespace gbabridge
