// The T=0 response procedures (TS 102 221 §7.3.1.1.4) and the ATRs.
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/fcp.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/atr.h"
#include "uicc/soft_usim/file_system.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::AuthenticateApdu;
using ::gbabridge::soft_usim_testing::Data;
using ::gbabridge::soft_usim_testing::Hex;
using ::gbabridge::soft_usim_testing::MakeAutn;
using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::MakeRand;
using ::gbabridge::soft_usim_testing::SelectAidApdu;
using ::gbabridge::soft_usim_testing::SelectFidApdu;
using ::gbabridge::soft_usim_testing::Sw;
using ::gbabridge::soft_usim_testing::TempDir;
using ::gbabridge::soft_usim_testing::TestMilenage;

class SoftUsimT0Test : public ::testing::Test {
 protected:
  void SetUp() override {
    card_ = MakeCard(dir_.File("state.json"), "", true, /*t0=*/true);
    ASSERT_NE(card_, nullptr);
  }
  Bytes Send(std::string_view hex) { return card_->Process(Hex(hex)); }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
};

TEST_F(SoftUsimT0Test, SelectAnswers61xxAndGetResponseFetchesTheFcp) {
  const Bytes r = card_->Process(SelectFidApdu(0x3F00));
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0], 0x61);
  const uint8_t length = r[1];
  // Asking for more than is there: 6Cxx with the exact length.
  EXPECT_EQ(card_->Process(Bytes{0x00, 0xC0, 0x00, 0x00, static_cast<uint8_t>(length + 1)}),
            (Bytes{0x6C, length}));
  // Part of it, then the rest.
  Bytes first = card_->Process(Bytes{0x00, 0xC0, 0x00, 0x00, 0x05});
  ASSERT_EQ(first.size(), 7u);
  EXPECT_EQ(first[5], 0x61);
  EXPECT_EQ(first[6], length - 5);
  Bytes rest = card_->Process(Bytes{0x00, 0xC0, 0x00, 0x00, static_cast<uint8_t>(length - 5)});
  ASSERT_EQ(Sw(rest), 0x9000);
  const Bytes fcp = soft_usim_testing::Cat({Data(first), Data(rest)});
  EXPECT_EQ(ParseFcp(fcp)->file_id, 0x3F00);
  // Nothing left.
  EXPECT_EQ(Send("00C0000001"), Hex("6985"));
}

TEST_F(SoftUsimT0Test, AnotherCommandDropsPendingData) {
  ASSERT_EQ(card_->Process(SelectFidApdu(0x3F00))[0], 0x61);
  ASSERT_EQ(Sw(Send("00A4000C023F00")), 0x9000);  // P2 0C: no data, nothing pending
  EXPECT_EQ(Send("00C0000001"), Hex("6985"));
  EXPECT_EQ(Send("00C0010001"), Hex("6A86"));
}

TEST_F(SoftUsimT0Test, Case2WithWrongLeAnswers6Cxx) {
  ASSERT_EQ(Sw(Send("00A4000C022FE2")), 0x9000);  // EF_ICCID, 10 bytes
  EXPECT_EQ(Send("00B0000000"), Hex("6C0A"));     // P3 00 = 256
  EXPECT_EQ(Send("00B000000B"), Hex("6C0A"));
  EXPECT_EQ(Data(Send("00B0000004")).size(), 4u);  // fewer than the file holds: fine
  EXPECT_EQ(Sw(Send("00B000000A")), 0x9000);
  EXPECT_EQ(Data(Send("00B000000A")).size(), 10u);
  EXPECT_EQ(Send("00B0000803"), Hex("6C02"));     // 2 bytes left after offset 8
  ASSERT_EQ(Sw(Send("00A4000C022F00")), 0x9000);  // EF_DIR, records of 0x26
  EXPECT_EQ(Send("00B2010400"), Hex("6C26"));
  EXPECT_EQ(Data(Send("00B2010426")).size(), 0x26u);
  EXPECT_EQ(Send("80F2000000").front(), 0x6C);  // STATUS is case 2 as well
}

TEST_F(SoftUsimT0Test, InProcessTransportGetsFullDataInT0) {
  InProcessTransport channel(*card_);
  ASSERT_TRUE(ParseAtr(channel.Atr()).ok());
  EXPECT_FALSE(ParseAtr(channel.Atr())->offers_t1);
  absl::StatusOr<ResponseApdu> select =
      channel.Transmit(CommandApdu{.cla = 0,
                                   .ins = 0xA4,
                                   .p1 = 0x04,
                                   .p2 = 0x04,
                                   .data = Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)),
                                   .le = 256});
  ASSERT_TRUE(select.ok()) << select.status();
  EXPECT_EQ(select->sw, 0x9000);
  EXPECT_EQ(ParseFcp(select->data)->df_name,
            Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)));

  // Case 2 with a guessed Le: the channel follows 6Cxx.
  ASSERT_TRUE(
      channel
          .Transmit(CommandApdu{
              .cla = 0, .ins = 0xA4, .p1 = 0, .p2 = 0x0C, .data = {0x6F, 0x07}, .le = std::nullopt})
          .ok());
  absl::StatusOr<ResponseApdu> imsi =
      channel.Transmit(CommandApdu{.cla = 0, .ins = 0xB0, .p1 = 0, .p2 = 0, .data = {}, .le = 256});
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(imsi->sw, 0x9000);
  EXPECT_EQ(imsi->data.size(), 9u);

  // AUTHENTICATE: 61xx then GET RESPONSE, all data arrives.
  const Milenage milenage = TestMilenage();
  const Rand rand = MakeRand(1);
  const Bytes autn = MakeAutn(milenage, rand, 1 << 5);
  const Bytes data = soft_usim_testing::Cat({Bytes{0x10}, rand, Bytes{0x10}, autn});
  const size_t before = channel.apdu_count();
  absl::StatusOr<ResponseApdu> auth = channel.Transmit(
      CommandApdu{.cla = 0, .ins = 0x88, .p1 = 0, .p2 = 0x81, .data = data, .le = 256});
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->sw, 0x9000);
  EXPECT_EQ(auth->data.size(), 1u + 9 + 17 + 17 + 9);
  EXPECT_EQ(auth->data[0], 0xDB);
  EXPECT_EQ(channel.apdu_count() - before, 2u);
}

TEST_F(SoftUsimT0Test, ErrorsComeWithoutGetResponse) {
  const Milenage milenage = TestMilenage();
  const Rand rand = MakeRand(2);
  Bytes autn = MakeAutn(milenage, rand, 1 << 5);
  autn[10] ^= 0xFF;
  ASSERT_EQ(Sw(card_->Process(SelectAidApdu(kSoftUsimAid, 0x0C))), 0x9000);
  EXPECT_EQ(card_->Process(AuthenticateApdu(0x81, rand, autn)), Hex("9862"));
}

TEST(SoftUsimT1Test, DataIsCutToLe) {
  TempDir dir;
  std::unique_ptr<SoftUsim> card = MakeCard(dir.File("state.json"));
  const Bytes r = card->Process(Hex("00A40004023F0004"));
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(r[0], 0x62);
}

TEST(SoftUsimAtrTest, T1AtrOffersOnlyT1WithValidTck) {
  absl::StatusOr<AtrSummary> atr = ParseAtr(SoftUsimAtrT1());
  ASSERT_TRUE(atr.ok()) << atr.status();
  EXPECT_TRUE(atr->offers_t1);
  EXPECT_FALSE(atr->offers_t0);
  EXPECT_EQ(atr->default_protocol, 1);
  ASSERT_TRUE(atr->tck.has_value());
  uint8_t x = 0;
  for (size_t i = 1; i < SoftUsimAtrT1().size(); ++i) x ^= SoftUsimAtrT1()[i];
  EXPECT_EQ(x, 0);
}

TEST(SoftUsimAtrTest, T0AtrOffersOnlyT0WithoutTck) {
  absl::StatusOr<AtrSummary> atr = ParseAtr(SoftUsimAtrT0());
  ASSERT_TRUE(atr.ok()) << atr.status();
  EXPECT_TRUE(atr->offers_t0);
  EXPECT_FALSE(atr->offers_t1);
  EXPECT_EQ(atr->default_protocol, 0);
  EXPECT_FALSE(atr->tck.has_value());
}

TEST(SoftUsimAtrTest, ParserChecksStructureAndChecksum) {
  // A commercial USIM ATR: T=0, then T=15 global bytes, so a TCK is present.
  absl::StatusOr<AtrSummary> usim = ParseAtr(Hex("3B9F95801FC78031E073FE21135712291102010000C2"));
  ASSERT_TRUE(usim.ok()) << usim.status();
  EXPECT_TRUE(usim->offers_t0);
  EXPECT_FALSE(usim->offers_t1);
  EXPECT_EQ(usim->historical_bytes, 15u);
  EXPECT_FALSE(ParseAtr(Hex("3B800182")).ok());  // bad TCK
  EXPECT_FALSE(ParseAtr(Hex("3B8001")).ok());    // missing TCK
  EXPECT_FALSE(ParseAtr(Hex("3B0014")).ok());    // TCK-like trailing byte on T=0 only
  EXPECT_FALSE(ParseAtr(Hex("3B02")).ok());      // historical bytes missing
  EXPECT_FALSE(ParseAtr(Hex("3C00")).ok());      // bad TS
  EXPECT_TRUE(ParseAtr(Hex("3B021450")).ok());
  // Offering T=0 and T=1: 3B 80 80 01 01 (TCK = 80 ^ 80 ^ 01).
  absl::StatusOr<AtrSummary> both = ParseAtr(Hex("3B80800101"));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_TRUE(both->offers_t0 && both->offers_t1);
  EXPECT_EQ(both->default_protocol, 0);
}

TEST(SoftUsimAtrTest, ResetReturnsTheModesAtr) {
  TempDir dir;
  EXPECT_EQ(MakeCard(dir.File("a.json"))->Reset(), SoftUsimAtrT1());
  EXPECT_EQ(MakeCard(dir.File("b.json"), "", true, true)->Reset(), SoftUsimAtrT0());
}

}  // namespace
}  // namespace gbabridge
