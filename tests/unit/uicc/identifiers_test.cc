#include "uicc/base/identifiers.h"

#include "gtest/gtest.h"
#include "uicc/card_error.h"
#include "uicc/ef_imsi.h"

namespace gbabridge {
namespace {

Bytes Hex(std::string_view hex) {
  absl::StatusOr<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes();
}

TEST(IdentifiersTest, DecodesEfImsiOddDigitCount) {
  // 08: 8 bytes follow. 09: low nibble 9 = IMSI, odd count; high nibble digit 1 = 0.
  // Then each byte gives low nibble first: 10 -> "01", 10 -> "01", 10 -> "01",
  // 32 -> "23", 54 -> "45", 76 -> "67", 98 -> "89".
  absl::StatusOr<std::string> imsi = DecodeEfImsi(Hex("08 09 10 10 10 32 54 76 98"));
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(*imsi, "001010123456789");
}

TEST(IdentifiersTest, DecodesEfImsiEvenDigitCount) {
  // 14 digits: low nibble 1 (even), and the last high nibble is the F filler.
  absl::StatusOr<std::string> imsi = DecodeEfImsi(Hex("08 01 10 10 10 32 54 76 F8"));
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(*imsi, "00101012345678");
}

TEST(IdentifiersTest, DecodesShortEfImsiWithFPadding) {
  // 7 digits in 4 bytes; the rest of the 9-byte file is FF.
  absl::StatusOr<std::string> imsi = DecodeEfImsi(Hex("04 29 43 65 87 FF FF FF FF"));
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(*imsi, "2345678");
}

TEST(IdentifiersTest, EncodesEfImsi) {
  absl::StatusOr<Bytes> ef = EncodeEfImsi("001010123456789");
  ASSERT_TRUE(ef.ok()) << ef.status();
  EXPECT_EQ(HexEncode(*ef), "080910101032547698");
  ef = EncodeEfImsi("00101012345678");
  ASSERT_TRUE(ef.ok()) << ef.status();
  EXPECT_EQ(HexEncode(*ef), "0801101010325476f8");
  ef = EncodeEfImsi("2345678");
  ASSERT_TRUE(ef.ok()) << ef.status();
  EXPECT_EQ(HexEncode(*ef), "0429436587ffffffff");
}

TEST(IdentifiersTest, EfImsiRoundTripForEveryLength) {
  const std::string all = "310260987654321";
  for (size_t n = 6; n <= 15; ++n) {
    const std::string digits = all.substr(0, n);
    SCOPED_TRACE(digits);
    absl::StatusOr<Bytes> ef = EncodeEfImsi(digits);
    ASSERT_TRUE(ef.ok()) << ef.status();
    EXPECT_EQ(ef->size(), 9u);
    EXPECT_EQ((*ef)[0], n / 2 + 1);  // length byte: type nibble + digits, rounded up
    absl::StatusOr<std::string> back = DecodeEfImsi(*ef);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, digits);
  }
}

TEST(IdentifiersTest, EncodeRejectsBadDigits) {
  EXPECT_FALSE(EncodeEfImsi("").ok());
  EXPECT_FALSE(EncodeEfImsi("12345").ok());
  EXPECT_FALSE(EncodeEfImsi("0010101234567890").ok());  // 16 digits
  EXPECT_FALSE(EncodeEfImsi("00101012345678a").ok());
  EXPECT_FALSE(EncodeEfImsi("001010 23456789").ok());
}

TEST(IdentifiersTest, DecodeRejectsMalformedEfImsi) {
  for (std::string_view hex : {
           "",                               // empty
           "FF FF FF FF FF FF FF FF FF",     // not initialised
           "00 FF FF FF FF FF FF FF FF",     // length 0
           "09 09 10 10 10 32 54 76 98 00",  // length 9 > 8
           "08 09 10 10 10 32 54 76",        // length says 8, 7 follow
           "08 08 10 10 10 32 54 76 98",     // type nibble 8: not an IMSI
           "08 0A 10 10 10 32 54 76 98",     // type nibble A
           "08 09 10 1A 10 32 54 76 98",     // nibble A in the digits
           "08 09 10 10 10 32 54 F6 98",     // F in the middle
           "08 01 10 10 10 32 54 76 98",     // even count but last nibble 9, not F
           "02 09 10",                       // 3 digits only
       }) {
    SCOPED_TRACE(hex);
    absl::StatusOr<std::string> imsi = DecodeEfImsi(Hex(hex));
    ASSERT_FALSE(imsi.ok()) << *imsi;
    EXPECT_EQ(GetCardErrorReason(imsi.status()), CardErrorReason::kMalformedResponse);
  }
}

TEST(IdentifiersTest, MncLengthFromEfAd) {
  EXPECT_EQ(MncLengthFromEfAd(Hex("00 00 00 02")).value_or(0), 2);
  EXPECT_EQ(MncLengthFromEfAd(Hex("00 00 00 03")).value_or(0), 3);
  EXPECT_EQ(MncLengthFromEfAd(Hex("80 00 00 F3 FF")).value_or(0), 3);  // b5-b8 RFU
  EXPECT_EQ(MncLengthFromEfAd(Hex("00 00 00")).value_or(0), 2);        // no byte 4
  EXPECT_FALSE(MncLengthFromEfAd(Hex("00 00 00 04")).ok());
  EXPECT_FALSE(MncLengthFromEfAd(Hex("00 00 00 00")).ok());
  EXPECT_FALSE(MncLengthFromEfAd(Hex("00 00")).ok());
  EXPECT_FALSE(MncLengthFromEfAd(Bytes()).ok());
}

TEST(IdentifiersTest, MakeImsiValidates) {
  absl::StatusOr<Imsi> imsi = MakeImsi("001010123456789", 2);
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->mcc(), "001");
  EXPECT_EQ(imsi->mnc(), "01");
  imsi = MakeImsi("001010123456789", 3);
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(imsi->mnc(), "010");

  EXPECT_EQ(MakeImsi("001010123456789", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeImsi("001010123456789", 4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(MakeImsi("00101x123456789", 2).ok());
  EXPECT_FALSE(MakeImsi("12345", 2).ok());
  EXPECT_FALSE(MakeImsi("0010101234567890", 2).ok());
  EXPECT_TRUE(MakeImsi("001011", 2).ok());
  EXPECT_FALSE(MakeImsi("001011", 3).ok());  // nothing left for the MSIN
}

TEST(IdentifiersTest, DerivesImpiAndBsfWithTwoDigitMnc) {
  // TS 23.003 §13.3 / §16.2: a 2-digit MNC is padded to 3 digits with a leading zero.
  absl::StatusOr<Imsi> imsi = MakeImsi("001010123456789", 2);
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(DeriveImpi(*imsi), "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(DeriveBsfFqdn(*imsi), "bsf.mnc001.mcc001.pub.3gppnetwork.org");
}

TEST(IdentifiersTest, DerivesImpiAndBsfWithThreeDigitMnc) {
  absl::StatusOr<Imsi> imsi = MakeImsi("310260123456789", 3);
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(DeriveImpi(*imsi), "310260123456789@ims.mnc260.mcc310.3gppnetwork.org");
  EXPECT_EQ(DeriveBsfFqdn(*imsi), "bsf.mnc260.mcc310.pub.3gppnetwork.org");

  // The same digits with a 2-digit MNC name another network.
  imsi = MakeImsi("310260123456789", 2);
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(DeriveBsfFqdn(*imsi), "bsf.mnc026.mcc310.pub.3gppnetwork.org");
}

TEST(IdentifiersTest, Masked) {
  EXPECT_EQ(MakeImsi("001010123456789", 3)->Masked(), "001010*******89");
  EXPECT_EQ(MakeImsi("001010123456789", 2)->Masked(), "00101********89");
  EXPECT_EQ(MakeImsi("0010112", 2)->Masked(), "00101**");  // too short to show a suffix
  // A hand-built Imsi that skipped MakeImsi still never shows the subscriber part.
  EXPECT_EQ((Imsi{.digits = "001", .mnc_length = 2}).Masked(), "001");
  EXPECT_EQ((Imsi{}).Masked(), "");
}

}  // namespace
}  // namespace gbabridge
