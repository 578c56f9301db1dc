// CardSlot against in-process soft USIMs: lazy connection, PIN verified once per card, a
// rejected PIN never presented again to the same card, re-verification after a reset, and
// a fresh start after a card change.
#include "bootstrap/daemon/card_slot.h"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge::daemon {
namespace {

std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using ::gbabridge::soft_usim_testing::kTestImsi;
using ::gbabridge::soft_usim_testing::kTestK;
using ::gbabridge::soft_usim_testing::kTestOpc;
using ::gbabridge::soft_usim_testing::TempDir;

std::unique_ptr<SoftUsim> MakeCard(const TempDir& dir, std::string_view iccid,
                                   std::string_view pin_settings) {
  const std::string toml = absl::StrCat(
      "imsi = \"", kTestImsi, "\"\niccid = \"", std::string(iccid), "\"\nk = \"", kTestK,
      "\"\nopc = \"", kTestOpc, "\"\nmnc_length = 2\n", std::string(pin_settings), "\n");
  absl::StatusOr<CardProfile> profile = CardProfile::Parse(toml, "test");
  EXPECT_TRUE(profile.ok()) << profile.status();
  absl::StatusOr<std::unique_ptr<SoftUsim>> card = SoftUsim::Create(
      *std::move(profile), dir.File(absl::StrCat(std::string(iccid), ".state.json")));
  EXPECT_TRUE(card.ok()) << card.status();
  return *std::move(card);
}

// The card in the reader; tests swap it.
class Reader : public ApduHandler {
 public:
  explicit Reader(ApduHandler* card) : card_(card) {}
  void Insert(ApduHandler* card) {
    card_ = card;
    card_->Reset();
  }
  Bytes Reset() override { return card_->Reset(); }
  Bytes Process(ByteView command) override { return card_->Process(command); }

 private:
  ApduHandler* card_;
};

// An in-process channel that can fail its next transaction like PcscTransport does after a
// reset or a removal, and counts the PINs presented.
class TestChannel : public InProcessTransport {
 public:
  explicit TestChannel(ApduHandler& card) : InProcessTransport(card) {}

  absl::Status BeginTransaction() override {
    if (fail_next_.has_value()) {
      const CardErrorReason reason = *fail_next_;
      fail_next_.reset();
      return CardError(reason, "injected by the test");
    }
    return absl::OkStatus();
  }

  std::optional<CardErrorReason> fail_next_;
  int pins_presented = 0;

 protected:
  absl::StatusOr<Bytes> TransmitRaw(ByteView command) override {
    // VERIFY (INS 20) with a PIN block; the empty VERIFY only asks for the retry counter.
    if (command.size() > 5 && command[1] == 0x20) ++pins_presented;
    return InProcessTransport::TransmitRaw(command);
  }
};

class CardSlotTest : public ::testing::Test {
 protected:
  // A slot over `reader_`; the channel it opens is kept in channel_ for the test to steer.
  std::unique_ptr<CardSlot> MakeSlot(std::string_view pin, std::string rejections_file = "") {
    CardSlotOptions options;
    if (!pin.empty()) options.pin = SecretBytes::CopyFrom(AsBytes(pin));
    if (!rejections_file.empty()) {
      absl::StatusOr<PinRejections> loaded = PinRejections::Load(std::move(rejections_file));
      EXPECT_TRUE(loaded.ok()) << loaded.status();
      if (loaded.ok()) options.rejections = *std::move(loaded);
    }
    options.open_channel = [this]() -> absl::StatusOr<std::unique_ptr<CardTransport>> {
      ++opens_;
      if (open_error_.has_value()) return *open_error_;
      auto channel = std::make_unique<TestChannel>(reader_);
      channel_ = channel.get();
      return std::unique_ptr<CardTransport>(std::move(channel));
    };
    return std::make_unique<CardSlot>(std::move(options));
  }

  void Use(ApduHandler* card) { reader_.Insert(card); }

  TempDir dir_;
  Reader reader_{nullptr};
  TestChannel* channel_ = nullptr;
  int opens_ = 0;
  std::optional<absl::Status> open_error_;
};

constexpr char kPinOn[] = "pin = \"1234\"\npin_enabled = true";

TEST_F(CardSlotTest, CardWithoutPinIsReadyAtOnceAndStaysReadyWithoutApdus) {
  auto card = MakeCard(dir_, "8900000000000000001", "");
  Use(card.get());
  auto slot = MakeSlot("");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_TRUE(usim.ok()) << usim.status();
  absl::StatusOr<Imsi> imsi = (*usim)->ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, kTestImsi);

  const size_t apdus = channel_->apdu_count();
  absl::StatusOr<Usim*> again = slot->Provide();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *usim);
  EXPECT_EQ(channel_->apdu_count(), apdus);  // ready: no card access
  EXPECT_EQ(opens_, 1);
}

TEST_F(CardSlotTest, ConnectsLazilyAndRetriesAfterAFailure) {
  auto card = MakeCard(dir_, "8900000000000000001", "");
  Use(card.get());
  auto slot = MakeSlot("");
  EXPECT_EQ(opens_, 0);
  open_error_ = CardError(CardErrorReason::kPcscdNotRunning, "pcscd is not running");
  absl::StatusOr<Usim*> usim = slot->Provide();
  EXPECT_EQ(GetCardErrorReason(usim.status()), CardErrorReason::kPcscdNotRunning);
  open_error_.reset();
  usim = slot->Provide();
  EXPECT_TRUE(usim.ok()) << usim.status();
  EXPECT_EQ(opens_, 2);
}

TEST_F(CardSlotTest, VerifiesTheConfiguredPinOnce) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  Use(card.get());
  auto slot = MakeSlot("1234");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_TRUE(usim.ok()) << usim.status();
  EXPECT_EQ(channel_->pins_presented, 1);
  EXPECT_TRUE((*usim)->ReadImsi().ok());
  ASSERT_TRUE(slot->Provide().ok());
  ASSERT_TRUE(slot->Provide().ok());
  EXPECT_EQ(channel_->pins_presented, 1);
}

TEST_F(CardSlotTest, PinEnabledCardWithoutPinIsPinRequired) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  Use(card.get());
  auto slot = MakeSlot("");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_FALSE(usim.ok());
  EXPECT_EQ(GetCardErrorReason(usim.status()), CardErrorReason::kPinRequired);
  EXPECT_NE(usim.status().message().find("pin_file"), absl::string_view::npos);
  EXPECT_EQ(channel_->pins_presented, 0);
}

TEST_F(CardSlotTest, RejectedPinIsNeverPresentedAgainToTheSameCard) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  Use(card.get());
  auto slot = MakeSlot("9999");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_FALSE(usim.ok());
  EXPECT_EQ(GetCardErrorReason(usim.status()), CardErrorReason::kPinWrong);
  EXPECT_NE(usim.status().message().find("2"), absl::string_view::npos) << usim.status();
  EXPECT_EQ(channel_->pins_presented, 1);

  // Asked again, and even after the same card is taken out and put back: no second try.
  EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  slot->NotifyCardChanged();
  Use(card.get());
  EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  channel_->fail_next_ = CardErrorReason::kCardRemoved;
  EXPECT_FALSE(slot->Provide().ok());
  EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  EXPECT_EQ(channel_->pins_presented, 1);

  // The card still has two tries left.
  InProcessTransport direct(*card);
  Usim check(direct);
  absl::StatusOr<PinState> pin = check.GetPinState();
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->tries_left, 2);
  EXPECT_FALSE(pin->blocked);
}

TEST_F(CardSlotTest, AnotherCardGetsThePinTried) {
  auto first = MakeCard(dir_, "8900000000000000001", "pin = \"1111\"\npin_enabled = true");
  auto second = MakeCard(dir_, "8900000000000000002", kPinOn);
  Use(first.get());
  auto slot = MakeSlot("1234");
  EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  EXPECT_EQ(channel_->pins_presented, 1);

  Use(second.get());
  slot->NotifyCardChanged();
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_TRUE(usim.ok()) << usim.status();
  EXPECT_EQ(channel_->pins_presented, 2);
  EXPECT_TRUE((*usim)->ReadImsi().ok());

  // And the first card, back again, is still not tried.
  Use(first.get());
  slot->NotifyCardChanged();
  EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  EXPECT_EQ(channel_->pins_presented, 2);
}

// Two cards that both reject the PIN, swapped back and forth: each got one wrong try, never
// a second (the slot remembers every card that rejected it, not only the last).
TEST_F(CardSlotTest, AlternatingRejectingCardsAreEachTriedOnce) {
  auto first = MakeCard(dir_, "8900000000000000001", "pin = \"1111\"\npin_enabled = true");
  auto second = MakeCard(dir_, "8900000000000000002", "pin = \"2222\"\npin_enabled = true");
  auto slot = MakeSlot("1234");
  for (int round = 0; round < 3; ++round) {
    Use(first.get());
    slot->NotifyCardChanged();
    EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
    Use(second.get());
    slot->NotifyCardChanged();
    EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
  }
  EXPECT_EQ(channel_->pins_presented, 2);
}

TEST_F(CardSlotTest, ReverifiesThePinAfterAResetBySomeoneElse) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  Use(card.get());
  auto slot = MakeSlot("1234");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_TRUE(usim.ok()) << usim.status();
  EXPECT_EQ(channel_->pins_presented, 1);

  // Another PC/SC client resets the card: the PIN verification is gone. The operation in
  // progress fails (the Usim retries once after the reset, without the PIN)...
  card->Reset();
  channel_->fail_next_ = CardErrorReason::kCardReset;
  absl::StatusOr<Imsi> imsi = (*usim)->ReadImsi();
  EXPECT_FALSE(imsi.ok());
  // ...and the next one gets the PIN verified again.
  usim = slot->Provide();
  ASSERT_TRUE(usim.ok()) << usim.status();
  EXPECT_EQ(channel_->pins_presented, 2);
  EXPECT_TRUE((*usim)->ReadImsi().ok());
}

// A restart (a new slot over the same record file) must not try the same wrong PIN again;
// a corrected PIN is tried.
TEST_F(CardSlotTest, ARejectionIsRememberedAcrossRestartsForThatPinOnly) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  Use(card.get());
  const std::string record = dir_.File("pin-rejections");
  {
    auto slot = MakeSlot("9999", record);
    EXPECT_EQ(GetCardErrorReason(slot->Provide().status()), CardErrorReason::kPinWrong);
    EXPECT_EQ(channel_->pins_presented, 1);
  }
  const std::string text = ReadFileToString(record);
  EXPECT_THAT(text, ::testing::HasSubstr("8900000000000000001 "));
  EXPECT_EQ(text.find("9999"), std::string::npos) << "the PIN itself is never written";
  {
    auto restarted = MakeSlot("9999", record);
    absl::StatusOr<Usim*> again = restarted->Provide();
    EXPECT_EQ(GetCardErrorReason(again.status()), CardErrorReason::kPinWrong);
    EXPECT_THAT(std::string(again.status().message()), ::testing::HasSubstr("after a restart"));
    EXPECT_EQ(channel_->pins_presented, 0) << "the same wrong PIN was presented again";
  }
  auto corrected = MakeSlot("1234", record);
  EXPECT_TRUE(corrected->Provide().ok());
  EXPECT_EQ(channel_->pins_presented, 1);
}

TEST_F(CardSlotTest, ThePinIsNotPresentedWithOneTryLeft) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  {
    InProcessTransport direct(*card);
    Usim usim(direct);
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(usim.VerifyPin("0000").ok());
  }
  Use(card.get());
  auto slot = MakeSlot("1234");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_FALSE(usim.ok());
  EXPECT_EQ(GetCardErrorReason(usim.status()), CardErrorReason::kPinRequired);
  EXPECT_THAT(std::string(usim.status().message()), ::testing::HasSubstr("1 try left"));
  EXPECT_EQ(channel_->pins_presented, 0);
}

TEST(PinRejectionsTest, AMalformedRecordIsAnErrorNamingTheLine) {
  TempDir dir;
  const std::string path = dir.File("pin-rejections");
  std::ofstream(path) << "8900000000000000001 00 11\n";
  absl::StatusOr<PinRejections> loaded = PinRejections::Load(path);
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), ::testing::HasSubstr("malformed at line 1"));
  EXPECT_TRUE(PinRejections::Load(dir.File("absent")).ok()) << "no file: nothing rejected yet";
}

TEST_F(CardSlotTest, BlockedPinIsReportedWithoutPresentingThePin) {
  auto card = MakeCard(dir_, "8900000000000000001", kPinOn);
  {
    InProcessTransport direct(*card);
    Usim usim(direct);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(usim.VerifyPin("0000").ok());
  }
  Use(card.get());
  auto slot = MakeSlot("1234");
  absl::StatusOr<Usim*> usim = slot->Provide();
  ASSERT_FALSE(usim.ok());
  EXPECT_EQ(GetCardErrorReason(usim.status()), CardErrorReason::kPinBlocked);
  EXPECT_EQ(channel_->pins_presented, 0);
}

TEST(ReadPinFileTest, ReadsTheFirstLineTrimmed) {
  TempDir dir;
  std::ofstream(dir.File("pin")) << "  1234 \nignored\n";
  absl::StatusOr<SecretBytes> pin = ReadPinFile(dir.File("pin"));
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pin->data()), pin->size()), "1234");
}

TEST(ReadPinFileTest, RejectsWhatIsNotAPinWithoutQuotingIt) {
  TempDir dir;
  for (const char* content : {"", "12", "123456789", "12a4", "secret-word"}) {
    std::ofstream(dir.File("pin"), std::ios::trunc) << content << "\n";
    absl::StatusOr<SecretBytes> pin = ReadPinFile(dir.File("pin"));
    ASSERT_FALSE(pin.ok()) << content;
    EXPECT_EQ(pin.status().code(), absl::StatusCode::kInvalidArgument);
    if (std::string_view(content).size() > 2) {
      EXPECT_EQ(pin.status().message().find(content), absl::string_view::npos);
    }
  }
  absl::StatusOr<SecretBytes> missing = ReadPinFile(dir.File("absent"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gbabridge::daemon
