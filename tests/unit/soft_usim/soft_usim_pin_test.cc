// VERIFY PIN, the retry counter, and the PIN1 access condition.
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/fcp.h"
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

constexpr char kPinEnabled[] = "pin = \"1234\"\npin_enabled = true\n";
constexpr char kVerifyRight[] = "0020000108 31323334FFFFFFFF";
constexpr char kVerifyWrong[] = "0020000108 39393939FFFFFFFF";
constexpr char kVerifyEmpty[] = "00200001";

class SoftUsimPinTest : public ::testing::Test {
 protected:
  void SetUp() override { Restart(); }
  void Restart() {
    card_.reset();
    card_ = MakeCard(dir_.File("state.json"), kPinEnabled);
  }
  uint16_t Send(std::string_view hex) { return Sw(card_->Process(Hex(hex))); }
  uint16_t Send(const Bytes& apdu) { return Sw(card_->Process(apdu)); }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
};

TEST_F(SoftUsimPinTest, FcpShowsPinEnabled) {
  const Bytes r = card_->Process(SelectAidApdu(kSoftUsimAid));
  ASSERT_EQ(Sw(r), 0x9000);
  absl::StatusOr<Fcp> fcp = ParseFcp(Data(r));
  ASSERT_TRUE(fcp.ok());
  ASSERT_EQ(fcp->pins.size(), 1u);
  EXPECT_TRUE(fcp->pins[0].enabled);
}

TEST_F(SoftUsimPinTest, UsimFilesAndAuthenticateNeedThePin) {
  // MF-level files are always readable.
  ASSERT_EQ(Send(SelectFidApdu(0x2FE2)), 0x9000);
  EXPECT_EQ(Send("00B000000A"), 0x9000);
  ASSERT_EQ(Send(SelectAidApdu(kSoftUsimAid)), 0x9000);  // SELECT needs no PIN
  ASSERT_EQ(Send(SelectFidApdu(0x6F07)), 0x9000);
  EXPECT_EQ(Send("00B0000009"), 0x6982);
  const Milenage milenage = TestMilenage();
  const Rand rand = MakeRand(1);
  const Bytes auth = AuthenticateApdu(0x81, rand, MakeAutn(milenage, rand, 1 << 5));
  EXPECT_EQ(Send(auth), 0x6982);

  EXPECT_EQ(Send(kVerifyEmpty), 0x63C3);
  EXPECT_EQ(Send(kVerifyRight), 0x9000);
  EXPECT_EQ(Send(kVerifyEmpty), 0x9000);  // verified
  EXPECT_EQ(Send("00B0000009"), 0x9000);
  EXPECT_EQ(Send(auth), 0x9000);

  card_->Reset();  // verification is volatile
  ASSERT_EQ(Send(SelectAidApdu(kSoftUsimAid)), 0x9000);
  ASSERT_EQ(Send(SelectFidApdu(0x6F07)), 0x9000);
  EXPECT_EQ(Send("00B0000009"), 0x6982);
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C3);
}

TEST_F(SoftUsimPinTest, WrongPinCountsDownAndRightPinRestores) {
  EXPECT_EQ(Send(kVerifyWrong), 0x63C2);
  EXPECT_EQ(Send(kVerifyWrong), 0x63C1);
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C1);
  EXPECT_EQ(Send(kVerifyRight), 0x9000);
  EXPECT_EQ(card_->state().pin_tries_left, 3);
  card_->Reset();
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C3);
}

TEST_F(SoftUsimPinTest, ThirdWrongPinBlocks) {
  EXPECT_EQ(Send(kVerifyWrong), 0x63C2);
  EXPECT_EQ(Send(kVerifyWrong), 0x63C1);
  EXPECT_EQ(Send(kVerifyWrong), 0x63C0);
  EXPECT_EQ(Send(kVerifyRight), 0x6983);  // blocked: even the right PIN is refused
  EXPECT_EQ(Send(kVerifyEmpty), 0x6983);
  Restart();
  EXPECT_EQ(Send(kVerifyRight), 0x6983);  // and stays so
}

TEST_F(SoftUsimPinTest, TriesLeftSurviveRestart) {
  EXPECT_EQ(Send(kVerifyWrong), 0x63C2);
  Restart();
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C2);
  EXPECT_EQ(Send(kVerifyWrong), 0x63C1);
  Restart();
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C1);
}

TEST_F(SoftUsimPinTest, FormatErrors) {
  EXPECT_EQ(Send("0020000104 31323334"), 0x6700);
  EXPECT_EQ(Send("0020000208 31323334FFFFFFFF"), 0x6A88);  // PIN2: not on this card
  EXPECT_EQ(Send("0020010108 31323334FFFFFFFF"), 0x6A86);
  EXPECT_EQ(Send(kVerifyEmpty), 0x63C3);  // none of that counted
}

TEST(SoftUsimPinDisabledTest, ReadsWithoutPin) {
  TempDir dir;
  std::unique_ptr<SoftUsim> card = MakeCard(dir.File("state.json"));
  EXPECT_EQ(Sw(card->Process(Hex(kVerifyEmpty))), 0x9000);
  ASSERT_EQ(Sw(card->Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(card->Process(SelectFidApdu(0x6F07))), 0x9000);
  EXPECT_EQ(Sw(card->Process(Hex("00B0000009"))), 0x9000);
  // The default PIN still verifies.
  EXPECT_EQ(Sw(card->Process(Hex("0020000108 30303030FFFFFFFF"))), 0x9000);
}

}  // namespace
}  // namespace gbabridge
