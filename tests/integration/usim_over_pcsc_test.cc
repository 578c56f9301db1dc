// The USIM client against soft-usim through a real pcscd + vpcd (gba-facts §10).
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/pcsc_sandbox.h"
#include "tests/integration/test_vectors.h"
#include "uicc/base/milenage.h"
#include "uicc/card_error.h"
#include "uicc/pcsc_transport.h"
#include "uicc/usim.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::PcscSandbox;

using Vector = testing::TestVector;
const auto MakeVector = testing::MakeTestVector;

class UsimOverPcscTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PcscSandbox>> sandbox = PcscSandbox::Start();
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::move(*sandbox);
    profile_ = testing::WriteTestProfile(sandbox_->dir(), /*gba_u=*/true);
    state_ = sandbox_->dir() / "card-state.json";
  }

  void StartCard(const std::vector<std::string>& extra = {}) {
    absl::StatusOr<ChildProcess> card = sandbox_->StartSoftUsim(profile_, state_, extra);
    ASSERT_TRUE(card.ok()) << card.status();
    card_.emplace(std::move(*card));
    ASSERT_TRUE(sandbox_->WaitForCard(true).ok()) << "soft-usim did not appear in the reader";
  }

  std::unique_ptr<PcscTransport> Connect() {
    absl::StatusOr<std::unique_ptr<PcscTransport>> channel =
        PcscTransport::Connect({.reader = PcscSandbox::kReaderName});
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.ok() ? std::move(*channel) : nullptr;
  }

  std::unique_ptr<PcscSandbox> sandbox_;
  fs::path profile_;
  fs::path state_;
  std::optional<ChildProcess> card_;
};

void ExpectImsiAndAuthenticate(PcscTransport& channel, uint64_t sqn) {
  Usim usim(channel);
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, "001010123456789");
  EXPECT_EQ(imsi->mnc_length, 2);
  Vector v = MakeVector(sqn, 0x10);
  absl::StatusOr<Auth3gResult> auth = usim.Authenticate3g(v.rand, v.autn);
  ASSERT_TRUE(auth.ok()) << auth.status();
  ASSERT_FALSE(auth->sync_failure);
  EXPECT_TRUE(ConstantTimeEquals(auth->res.view(), v.xres.view()));
  EXPECT_TRUE(ConstantTimeEquals(auth->ck.view(), v.ck.view()));
}

TEST_F(UsimOverPcscTest, ReadsImsiAndAuthenticatesT1) {
  StartCard();
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->ActiveProtocol(), "T=1");
  ExpectImsiAndAuthenticate(*channel, 0x20);
}

TEST_F(UsimOverPcscTest, ReadsImsiAndAuthenticatesT0WithGetResponse) {
  StartCard({"--t0"});
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->ActiveProtocol(), "T=0");
  ExpectImsiAndAuthenticate(*channel, 0x20);
}

TEST_F(UsimOverPcscTest, CardDisappearsThenRecovers) {
  StartCard();
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  Usim usim(*channel);
  ASSERT_TRUE(usim.ReadImsi().ok());

  card_->Kill(SIGKILL);
  ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
  absl::StatusOr<Imsi> gone = usim.ReadImsi();
  ASSERT_FALSE(gone.ok());
  const std::optional<CardErrorReason> reason = GetCardErrorReason(gone.status());
  ASSERT_TRUE(reason.has_value()) << gone.status();
  EXPECT_THAT(*reason, ::testing::AnyOf(CardErrorReason::kCardRemoved, CardErrorReason::kNoCard))
      << gone.status();
  EXPECT_THAT(std::string(gone.status().message()), ::testing::HasSubstr("Virtual PCD 00 00"));

  StartCard();
  absl::StatusOr<Imsi> back = usim.ReadImsi();
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->digits, "001010123456789");
}

TEST_F(UsimOverPcscTest, RestartedCardKeepsItsSqnState) {
  StartCard();
  Vector v = MakeVector(0x40, 0x33);
  {
    std::unique_ptr<PcscTransport> channel = Connect();
    ASSERT_NE(channel, nullptr);
    Usim usim(*channel);
    absl::StatusOr<Auth3gResult> first = usim.Authenticate3g(v.rand, v.autn);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_FALSE(first->sync_failure);
  }
  card_->Kill(SIGKILL);  // no clean shutdown: the state must already be on disk
  ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
  StartCard();
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  Usim usim(*channel);
  absl::StatusOr<Auth3gResult> replay = usim.Authenticate3g(v.rand, v.autn);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->sync_failure) << "a replayed SQN was accepted after a restart";
  EXPECT_EQ(replay->auts.size(), kAutsSize);
}

TEST_F(UsimOverPcscTest, ReaderWithoutCardIsAClearError) {
  absl::StatusOr<std::unique_ptr<PcscTransport>> channel =
      PcscTransport::Connect({.reader = PcscSandbox::kReaderName});
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(GetCardErrorReason(channel.status()), CardErrorReason::kNoCard);
  EXPECT_THAT(std::string(channel.status().message()),
              ::testing::HasSubstr("no card in reader Virtual PCD 00 00"));

  absl::StatusOr<std::unique_ptr<PcscTransport>> unknown =
      PcscTransport::Connect({.reader = "No Such Reader"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(GetCardErrorReason(unknown.status()), CardErrorReason::kNoReader);
}

TEST(PcscWithoutDaemonTest, PcscdNotRunningIsAClearError) {
  ASSERT_TRUE(testing::RunningPcscdPids().empty()) << "a pcscd is running";
  absl::StatusOr<std::unique_ptr<PcscTransport>> channel = PcscTransport::Connect({});
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(GetCardErrorReason(channel.status()), CardErrorReason::kPcscdNotRunning)
      << channel.status();
}

}  // namespace
}  // namespace gbabridge

namespace gbabridge {
namespace {

TEST_F(UsimOverPcscTest, ResetByAnotherClientIsRecovered) {
  StartCard();
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  Usim usim(*channel);
  ASSERT_TRUE(usim.ReadImsi().ok());

  std::unique_ptr<PcscTransport> other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ResetCard().ok());

  // The raw channel reports the reset once, distinctly...
  absl::StatusOr<ResponseApdu> raw = channel->Transmit(
      CommandApdu{.cla = 0x80, .ins = 0xF2, .p1 = 0, .p2 = 0, .data = {}, .le = 256});
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(GetCardErrorReason(raw.status()), CardErrorReason::kCardReset) << raw.status();
  // ...and the USIM client re-selects and carries on.
  ASSERT_TRUE(other->ResetCard().ok());
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, "001010123456789");
}

TEST_F(UsimOverPcscTest, SurvivesPcscdRestart) {
  StartCard();
  std::unique_ptr<PcscTransport> channel = Connect();
  ASSERT_NE(channel, nullptr);
  Usim usim(*channel);
  ASSERT_TRUE(usim.ReadImsi().ok());

  ASSERT_TRUE(sandbox_->RestartPcscd().ok());
  ASSERT_TRUE(sandbox_->WaitForCard(true).ok()) << "soft-usim did not reconnect to vpcd";
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  if (!imsi.ok()) {
    // The first call after the restart may see the old, dead connection; the next one
    // must have reconnected.
    EXPECT_EQ(GetCardErrorReason(imsi.status()), CardErrorReason::kPcscdNotRunning)
        << imsi.status();
    imsi = usim.ReadImsi();
  }
  ASSERT_TRUE(imsi.ok()) << imsi.status();
}

}  // namespace
}  // namespace gbabridge
