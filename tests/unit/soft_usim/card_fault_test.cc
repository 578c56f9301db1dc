// CardFault: the fault specs soft-usim --fault takes, the command names they match, and what
// each fault does to the soft USIM's answers (the fault tests in tests/integration and
// tests/e2e run it through pcscd + vpcd).
#include "uicc/soft_usim/card_fault.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
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
using ::testing::HasSubstr;

constexpr uint8_t kContextGba = 0x84;

TEST(CardFaultTest, ParsesKindCommandAndStart) {
  absl::StatusOr<CardFault> fault = ParseCardFault("pull-after:authenticate-gba-bootstrap:2");
  ASSERT_TRUE(fault.ok()) << fault.status();
  EXPECT_EQ(fault->kind, CardFaultKind::kPullAfter);
  EXPECT_EQ(fault->command, "authenticate-gba-bootstrap");
  EXPECT_EQ(fault->from, 2);
  absl::StatusOr<CardFault> simple = ParseCardFault("garbage:any");
  ASSERT_TRUE(simple.ok()) << simple.status();
  EXPECT_EQ(simple->kind, CardFaultKind::kGarbage);
  EXPECT_EQ(simple->from, 1);
  absl::StatusOr<CardFault> by_ins = ParseCardFault("garbage:ins-ee");
  ASSERT_TRUE(by_ins.ok()) << by_ins.status();
  EXPECT_EQ(by_ins->command, CardFaultCommandName(Hex("00EE0000")));
}

TEST(CardFaultTest, RejectsWhatItDoesNotKnowWithTheChoices) {
  for (const char* spec :
       {"", "garbage", "melt:select", "garbage:erase", "garbage:select:0", "garbage:select:x",
        "garbage:select:1:2", "garbage:ins-g0", "garbage:ins-a"}) {
    absl::StatusOr<CardFault> fault = ParseCardFault(spec);
    EXPECT_FALSE(fault.ok()) << spec;
    EXPECT_EQ(fault.status().code(), absl::StatusCode::kInvalidArgument) << spec;
  }
  EXPECT_THAT(std::string(ParseCardFault("melt:select").status().message()),
              HasSubstr("pull-after"));
  EXPECT_THAT(std::string(ParseCardFault("garbage:erase").status().message()),
              HasSubstr("read-binary"));
}

TEST(CardFaultTest, CommandNamesFollowTheApduLog) {
  const Rand rand = MakeRand(1);
  const Bytes autn(16, 0);
  EXPECT_EQ(CardFaultCommandName(SelectFidApdu(0x6FD6)), "select");
  EXPECT_EQ(CardFaultCommandName(Hex("00B0000010")), "read-binary");
  EXPECT_EQ(CardFaultCommandName(AuthenticateApdu(0x81, rand, autn)), "authenticate-3g");
  EXPECT_EQ(CardFaultCommandName(AuthenticateApdu(kContextGba, rand, autn, 0xDD)),
            "authenticate-gba-bootstrap");
  EXPECT_EQ(CardFaultCommandName(AuthenticateApdu(kContextGba, rand, autn, 0xDE)),
            "authenticate-gba-naf-derivation");
  EXPECT_EQ(CardFaultCommandName(Hex("00EE0000")), "ins-EE");
  EXPECT_EQ(CardFaultCommandName(Hex("00A4")), "malformed");
}

class FaultyCardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    card_ = MakeCard(dir_.File("state.json"));
    ASSERT_NE(card_, nullptr);
  }
  // A FaultyCard over the soft USIM; a pull is recorded instead of ending the process.
  FaultyCard Wrap(std::string_view spec) {
    absl::StatusOr<CardFault> fault = ParseCardFault(spec);
    EXPECT_TRUE(fault.ok()) << fault.status();
    return FaultyCard(*card_, *fault, /*seed=*/7,
                      [this](std::string_view command) { pulled_.emplace_back(command); });
  }
  Bytes Bootstrap(ApduHandler& card, uint8_t seed, uint64_t sqn) {
    const Rand rand = MakeRand(seed);
    return card.Process(
        AuthenticateApdu(kContextGba, rand, MakeAutn(milenage_, rand, sqn, true), 0xDD));
  }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
  Milenage milenage_ = TestMilenage();
  std::vector<std::string> pulled_;
};

TEST_F(FaultyCardTest, TruncateKeepsTheStatusWordAndHalfTheData) {
  FaultyCard faulty = Wrap("truncate:select");
  const Bytes good = card_->Process(SelectAidApdu(kSoftUsimAid));
  const Bytes spoiled = faulty.Process(SelectAidApdu(kSoftUsimAid));
  ASSERT_GT(Data(good).size(), 4u);
  EXPECT_EQ(Sw(spoiled), Sw(good));
  EXPECT_EQ(Data(spoiled).size(), Data(good).size() / 2);
  EXPECT_EQ(Data(spoiled), Bytes(good.begin(), good.begin() + Data(good).size() / 2));
}

TEST_F(FaultyCardTest, GarbageIsReproducibleFromTheSeedAndKeepsTheStatusWord) {
  FaultyCard first = Wrap("garbage:select");
  FaultyCard second = Wrap("garbage:select");
  const Bytes a = first.Process(SelectAidApdu(kSoftUsimAid));
  const Bytes b = second.Process(SelectAidApdu(kSoftUsimAid));
  EXPECT_EQ(a, b);
  EXPECT_EQ(Sw(a), 0x9000);
  EXPECT_NE(a, card_->Process(SelectAidApdu(kSoftUsimAid)));
}

TEST_F(FaultyCardTest, NoStatusWordAndEmpty) {
  FaultyCard no_sw = Wrap("no-sw:any");
  EXPECT_EQ(no_sw.Process(SelectAidApdu(kSoftUsimAid)).size(), 1u);
  FaultyCard empty = Wrap("empty:any");
  EXPECT_TRUE(empty.Process(SelectAidApdu(kSoftUsimAid)).empty());
}

TEST_F(FaultyCardTest, StartsAtTheNthMatchAndOnlyOnMatchingCommands) {
  FaultyCard faulty = Wrap("empty:read-binary:2");
  ASSERT_EQ(Sw(faulty.Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(faulty.Process(SelectFidApdu(0x6F07))), 0x9000);  // EF_IMSI
  EXPECT_EQ(Sw(faulty.Process(Hex("00B0000009"))), 0x9000);
  EXPECT_TRUE(faulty.Process(Hex("00B0000009")).empty());
  EXPECT_TRUE(faulty.Process(Hex("00B0000009")).empty()) << "the fault stays";
  EXPECT_EQ(Sw(faulty.Process(SelectFidApdu(0x6F07))), 0x9000);
  EXPECT_EQ(faulty.faults_applied(), 2);
}

TEST_F(FaultyCardTest, AShortNameMatchesEveryContext) {
  FaultyCard faulty = Wrap("empty:authenticate");
  ASSERT_EQ(Sw(faulty.Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  EXPECT_TRUE(Bootstrap(faulty, 1, 32).empty());
}

// pull-before: the command never reaches the card. pull-after: the card did its work and
// committed it (the new RAND is in EF_GBABP), but the terminal never got the answer.
TEST_F(FaultyCardTest, PullBeforeChangesNothingPullAfterCommitsFirst) {
  ASSERT_EQ(Sw(card_->Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  FaultyCard before = Wrap("pull-before:authenticate-gba-bootstrap");
  EXPECT_TRUE(Bootstrap(before, 2, 32).empty());
  EXPECT_EQ(pulled_, std::vector<std::string>{"authenticate-gba-bootstrap"});
  EXPECT_TRUE(card_->state().gba_rand.empty());

  FaultyCard after = Wrap("pull-after:authenticate-gba-bootstrap");
  EXPECT_TRUE(Bootstrap(after, 3, 64).empty());
  const Rand rand = MakeRand(3);
  EXPECT_EQ(card_->state().gba_rand, Bytes(rand.begin(), rand.end()));
  EXPECT_EQ(pulled_.size(), 2u);
  // The vector was accepted on the card: a replay is now a synchronisation failure.
  const Bytes again = Bootstrap(*card_, 3, 64);
  EXPECT_EQ(Sw(again), 0x9000);
  ASSERT_FALSE(Data(again).empty());
  EXPECT_EQ(Data(again)[0], 0xDC);
}

}  // namespace
}  // namespace gbabridge
