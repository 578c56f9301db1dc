// CardWatcher driven by a scripted reader-state source (no PC/SC), with soft USIMs behind a
// real CardSlot and SessionManager: the snapshot, the events, session invalidation on
// removal / ICCID change / pcscd loss, and a prompt Stop().
#include "bootstrap/daemon/card_watcher.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/daemon/card_slot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge::daemon {
namespace {

using ::gbabridge::soft_usim_testing::kTestImsi;
using ::gbabridge::soft_usim_testing::kTestK;
using ::gbabridge::soft_usim_testing::kTestOpc;
using ::gbabridge::soft_usim_testing::TempDir;

std::unique_ptr<SoftUsim> MakeCard(const TempDir& dir, std::string_view iccid,
                                   std::string_view extra = "") {
  const std::string toml = absl::StrCat(
      "imsi = \"", kTestImsi, "\"\niccid = \"", std::string(iccid), "\"\nk = \"", kTestK,
      "\"\nopc = \"", kTestOpc, "\"\nmnc_length = 2\ngba_u = true\n", std::string(extra), "\n");
  absl::StatusOr<CardProfile> profile = CardProfile::Parse(toml, "test");
  EXPECT_TRUE(profile.ok()) << profile.status();
  absl::StatusOr<std::unique_ptr<SoftUsim>> card = SoftUsim::Create(
      *std::move(profile), dir.File(absl::StrCat(std::string(iccid), ".state.json")));
  EXPECT_TRUE(card.ok()) << card.status();
  return *std::move(card);
}

// The card in the reader; nullptr: none (every APDU then fails like a removed card).
class Reader : public ApduHandler {
 public:
  void Insert(ApduHandler* card) {
    card_ = card;
    if (card_ != nullptr) card_->Reset();
  }
  Bytes Reset() override { return card_ != nullptr ? card_->Reset() : Bytes{0x3B, 0x00}; }
  Bytes Process(ByteView command) override {
    return card_ != nullptr ? card_->Process(command) : Bytes{0x6F, 0x00};
  }

 private:
  ApduHandler* card_ = nullptr;
};

// Reader states set by the test. Wait() returns the current script at once, or blocks until
// Interrupt() / the timeout when `block` is set (for the thread tests).
class ScriptedSource : public CardPresenceSource {
 public:
  absl::StatusOr<std::vector<ReaderState>> Wait(absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++waits_;
    if (block_) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return interrupted_; });
      interrupted_ = false;
    }
    return script_;
  }
  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
    cv_.notify_all();
  }

  void Set(absl::StatusOr<std::vector<ReaderState>> script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }
  void Block() {
    std::lock_guard<std::mutex> lock(mu_);
    block_ = true;
  }
  int waits() {
    std::lock_guard<std::mutex> lock(mu_);
    return waits_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  absl::StatusOr<std::vector<ReaderState>> script_ = std::vector<ReaderState>{};
  bool block_ = false;
  bool interrupted_ = false;
  int waits_ = 0;
};

constexpr char kReader[] = "Virtual PCD 00 00";

class CardWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { Build({}); }

  void Build(std::string_view pin, CardWatcherOptions options = {}) {
    watcher_.reset();
    sessions_.reset();
    slot_.reset();
    CardSlotOptions slot_options;
    if (!pin.empty()) slot_options.pin = SecretBytes::CopyFrom(AsBytes(pin));
    slot_options.open_channel = [this]() -> absl::StatusOr<std::unique_ptr<CardTransport>> {
      return std::unique_ptr<CardTransport>(std::make_unique<InProcessTransport>(reader_));
    };
    slot_ = std::make_unique<CardSlot>(std::move(slot_options));
    CardSlot* slot = slot_.get();
    sessions_ = std::make_unique<SessionManager>(
        [slot]() -> absl::StatusOr<Usim*> { return slot->Provide(); }, SessionManagerOptions{});
    auto source = std::make_unique<ScriptedSource>();
    source_ = source.get();
    options.on_card_changed = [slot] { slot->NotifyCardChanged(); };
    watcher_ =
        std::make_unique<CardWatcher>(*sessions_, events_, std::move(source), std::move(options));
    subscription_ = events_.Subscribe();
  }

  void Present(ApduHandler* card, uint32_t count = 1) {
    reader_.Insert(card);
    source_->Set(std::vector<ReaderState>{{"Other Reader", false, 0}, {kReader, true, count}});
  }
  void Empty() {
    reader_.Insert(nullptr);
    source_->Set(std::vector<ReaderState>{{kReader, false, 2}});
  }

  std::vector<DaemonEventType> Events() {
    std::vector<DaemonEventType> types;
    while (std::optional<DaemonEvent> e = subscription_->Next(absl::ZeroDuration())) {
      types.push_back(e->type);
      last_event_ = *e;
    }
    return types;
  }

  TempDir dir_;
  Reader reader_;
  EventBus events_;
  std::unique_ptr<CardSlot> slot_;
  std::unique_ptr<SessionManager> sessions_;
  ScriptedSource* source_ = nullptr;
  std::unique_ptr<CardWatcher> watcher_;
  std::shared_ptr<EventBus::Subscription> subscription_;
  DaemonEvent last_event_;
};

using Type = DaemonEventType;

CardWatcherOptions WithBsfUrl(std::string url) {
  CardWatcherOptions options;
  options.bsf_url = std::move(url);
  return options;
}

CardWatcherOptions WithTick(absl::Duration tick) {
  CardWatcherOptions options;
  options.tick = tick;
  return options;
}

TEST(ChooseReaderTest, PrefersConfiguredThenCurrentThenFirstWithACard) {
  const std::vector<ReaderState> readers = {{"A", false, 0}, {"B", true, 0}, {"C", true, 0}};
  EXPECT_EQ(ChooseReader(readers, "A", ""), "A");
  EXPECT_EQ(ChooseReader(readers, "Z", "B"), "Z");  // configured, even when absent
  EXPECT_EQ(ChooseReader(readers, "", ""), "B");
  EXPECT_EQ(ChooseReader(readers, "", "C"), "C");  // no needless jumps
  EXPECT_EQ(ChooseReader(readers, "", "A"), "B");  // current one lost its card
  const std::vector<ReaderState> empty_readers = {{"A", false, 0}, {"B", false, 0}};
  EXPECT_EQ(ChooseReader(empty_readers, "", "B"), "B");
  EXPECT_EQ(ChooseReader(empty_readers, "", ""), "A");
  EXPECT_EQ(ChooseReader({}, "", "B"), "");
}

TEST_F(CardWatcherTest, InsertedCardIsReadIntoTheSnapshot) {
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());

  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_EQ(s.reader, kReader);
  EXPECT_TRUE(s.card_present);
  EXPECT_EQ(s.iccid, "8900101012345678901");
  EXPECT_EQ(s.imsi_masked, "00101********89");  // MCC+MNC, last two digits
  EXPECT_EQ(s.imsi_masked.find("0123456"), std::string::npos);
  EXPECT_EQ(s.gba_u_capable, std::optional<bool>(true));
  EXPECT_EQ(s.pin, PinStatus::kDisabled);
  EXPECT_EQ(s.bsf_url, "https://bsf.mnc001.mcc001.pub.3gppnetwork.org/");
  EXPECT_TRUE(s.last_error.ok()) << s.last_error;
  EXPECT_EQ(Events(), std::vector<Type>{Type::kCardInserted});
  EXPECT_EQ(last_event_.reader, kReader);

  // Nothing changed: no event, no card access needed.
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_TRUE(Events().empty());
}

TEST_F(CardWatcherTest, ConfiguredBsfUrlIsReported) {
  Build("", WithBsfUrl("https://bsf.example.org/"));
  EXPECT_EQ(watcher_->Snapshot().bsf_url, "https://bsf.example.org/");
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(watcher_->Snapshot().bsf_url, "https://bsf.example.org/");
}

TEST_F(CardWatcherTest, RemovalWipesTheSessionAndIsPublished) {
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  Events();

  Empty();
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), std::vector<Type>{Type::kCardRemoved});
  EXPECT_EQ(last_event_.reader, kReader);
  EXPECT_EQ(sessions_->Status().last_invalidation, "card removed");
  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_FALSE(s.card_present);
  EXPECT_EQ(s.reader, kReader);
  EXPECT_TRUE(s.imsi_masked.empty());
  EXPECT_TRUE(s.iccid.empty());
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kNoCard);

  // The same card back: read again, and no ICCID change.
  Present(card.get(), 3);
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), std::vector<Type>{Type::kCardInserted});
  EXPECT_EQ(sessions_->Status().last_invalidation, "card removed");
  EXPECT_TRUE(watcher_->Snapshot().card_present);
}

TEST_F(CardWatcherTest, SwapBetweenTwoLooksIsARemovalAndAnInsertionWithANewIccid) {
  auto first = MakeCard(dir_, "8900101012345678901");
  auto second = MakeCard(dir_, "8900101012345678902");
  Present(first.get(), 1);
  watcher_->PollOnce(absl::ZeroDuration());
  Events();

  // Present both times, but pcsc-lite's event counter moved by two (out, in).
  Present(second.get(), 3);
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), (std::vector<Type>{Type::kCardRemoved, Type::kCardInserted}));
  EXPECT_EQ(sessions_->Status().last_invalidation, "card changed (ICCID)");
  EXPECT_EQ(watcher_->Snapshot().iccid, "8900101012345678902");
}

TEST_F(CardWatcherTest, PcscdOutageIsReportedOnceAndRecoveredFrom) {
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  Events();

  source_->Set(CardError(CardErrorReason::kPcscdNotRunning, "pcscd is not running"));
  watcher_->PollOnce(absl::ZeroDuration());
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), (std::vector<Type>{Type::kCardRemoved, Type::kError}));
  EXPECT_EQ(GetCardErrorReason(last_event_.error), CardErrorReason::kPcscdNotRunning);
  EXPECT_EQ(sessions_->Status().last_invalidation, "pcscd not running");
  CardSnapshot s = watcher_->Snapshot();
  EXPECT_FALSE(s.card_present);
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kPcscdNotRunning);

  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), std::vector<Type>{Type::kCardInserted});
  s = watcher_->Snapshot();
  EXPECT_TRUE(s.card_present);
  EXPECT_TRUE(s.last_error.ok()) << s.last_error;
}

TEST_F(CardWatcherTest, PcscdAbsentAtStartIsInTheSnapshot) {
  source_->Set(CardError(CardErrorReason::kPcscdNotRunning, "pcscd is not running"));
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), std::vector<Type>{Type::kError});
  EXPECT_EQ(GetCardErrorReason(watcher_->Snapshot().last_error), CardErrorReason::kPcscdNotRunning);
}

TEST_F(CardWatcherTest, NoReaderAndEmptyReader) {
  watcher_->PollOnce(absl::ZeroDuration());
  CardSnapshot s = watcher_->Snapshot();
  EXPECT_EQ(s.reader, "");
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kNoReader);
  Empty();
  watcher_->PollOnce(absl::ZeroDuration());
  s = watcher_->Snapshot();
  EXPECT_EQ(s.reader, kReader);
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kNoCard);
  EXPECT_TRUE(Events().empty());
}

TEST_F(CardWatcherTest, AMisspeltReaderIsNoReaderWithTheNamesOfThoseThere) {
  CardWatcherOptions options;
  options.reader = "Virtual PDC 00 00";
  Build({}, std::move(options));
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_FALSE(s.card_present);
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kNoReader) << s.last_error;
  EXPECT_THAT(std::string(s.last_error.message()),
              ::testing::HasSubstr("no reader named \"Virtual PDC 00 00\"; the readers are: "
                                   "\"Other Reader\", \"Virtual PCD 00 00\""));
}

// A card without EF_ICCID (SELECT 2FE2 answers 6A82, file not found).
class WithoutEfIccid : public ApduHandler {
 public:
  explicit WithoutEfIccid(ApduHandler& card) : card_(card) {}
  Bytes Reset() override { return card_.Reset(); }
  Bytes Process(ByteView command) override {
    const bool select_iccid = command.size() >= 7 && command[1] == 0xA4 &&
                              command[command.size() - 2] == 0x2F &&
                              command[command.size() - 1] == 0xE2;
    const bool select_iccid_le =
        command.size() >= 8 && command[1] == 0xA4 && command[5] == 0x2F && command[6] == 0xE2;
    if (select_iccid || select_iccid_le) return {0x6A, 0x82};
    return card_.Process(command);
  }

 private:
  ApduHandler& card_;
};

TEST_F(CardWatcherTest, ACardWithoutEfIccidIsStillReadAndUsable) {
  auto card = MakeCard(dir_, "8900101012345678901");
  WithoutEfIccid no_iccid(*card);
  Present(&no_iccid);
  watcher_->PollOnce(absl::ZeroDuration());
  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_TRUE(s.card_present);
  EXPECT_TRUE(s.iccid.empty()) << "unknown, not made up";
  EXPECT_EQ(s.imsi_masked, "00101********89");
  EXPECT_EQ(s.gba_u_capable, std::optional<bool>(true));
  EXPECT_EQ(s.pin, PinStatus::kDisabled);
  EXPECT_TRUE(s.last_error.ok()) << s.last_error;
}

TEST_F(CardWatcherTest, PinRequiredCardIsPresentWithItsError) {
  auto card = MakeCard(dir_, "8900101012345678901", "pin = \"1234\"\npin_enabled = true");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), (std::vector<Type>{Type::kCardInserted, Type::kError}));
  EXPECT_EQ(GetCardErrorReason(last_event_.error), CardErrorReason::kPinRequired);
  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_TRUE(s.card_present);
  EXPECT_EQ(s.pin, PinStatus::kRequired);
  EXPECT_EQ(GetCardErrorReason(s.last_error), CardErrorReason::kPinRequired);
  EXPECT_TRUE(s.imsi_masked.empty());
}

TEST_F(CardWatcherTest, ConfiguredPinIsVerifiedAtInsertion) {
  Build("1234");
  auto card = MakeCard(dir_, "8900101012345678901", "pin = \"1234\"\npin_enabled = true");
  Present(card.get());
  watcher_->PollOnce(absl::ZeroDuration());
  EXPECT_EQ(Events(), std::vector<Type>{Type::kCardInserted});
  const CardSnapshot s = watcher_->Snapshot();
  EXPECT_EQ(s.pin, PinStatus::kVerified);
  EXPECT_EQ(s.imsi_masked, "00101********89");
}

TEST_F(CardWatcherTest, ThreadStopsPromptly) {
  Build("", WithTick(absl::Seconds(5)));
  source_->Block();
  watcher_->Start();
  while (source_->waits() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  watcher_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  watcher_->Stop();  // idempotent
}

TEST_F(CardWatcherTest, ThreadFollowsTheCard) {
  Build("", WithTick(absl::Milliseconds(20)));
  source_->Block();  // like SCardGetStatusChange: wait up to the tick
  auto card = MakeCard(dir_, "8900101012345678901");
  Present(card.get());
  watcher_->Start();
  std::optional<DaemonEvent> event = subscription_->Next(absl::Seconds(10));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, Type::kCardInserted);
  Empty();
  event = subscription_->Next(absl::Seconds(10));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, Type::kCardRemoved);
  watcher_->Stop();
}

}  // namespace
}  // namespace gbabridge::daemon
