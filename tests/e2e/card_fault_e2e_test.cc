// Card faults under a running gbabridged (issue 6, §3), all through the real pcscd + vpcd:
// - a card that answers AUTHENTICATE with truncated, garbage or no bytes: a clean error with
//   a reason, the daemon stays up, and a good card is served at once;
// - a card pulled out during AUTHENTICATE (before or after it committed the new Ks) or
//   before the daemon wrote B-TID and lifetime into EF_GBABP: CARD_REMOVED, and once the card
//   is back the daemon bootstraps afresh rather than trust what the card half holds;
// - the card bootstrapped behind the daemon's back by another PC/SC client, completely or cut
//   short: the daemon notices from EF_GBABP before it derives a GBA_U key, and bootstraps
//   again rather than hand out a key the NAF cannot have.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/daemon_e2e_fixture.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/faulty_bsf.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr char kOther[] = "other.example.com";

class CardFaultE2eTest : public DaemonE2eTest {
 protected:
  // Takes the card out and puts in the same card (same state file), with `extra` flags. With
  // a daemon running, waits until it has seen the card go and come back and has read it.
  void SwapCard(const std::vector<std::string>& extra = {}) {
    card_.reset();
    ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
    if (daemon_ != nullptr) WaitForDaemonToSeeNoCard();
    PlugCard(/*pin_enabled=*/false, extra);
    if (daemon_ != nullptr) WaitForDaemonToSeeTheCard();
  }

  // Waits until the daemon reports no card, so that a later "card present" is the new one.
  void WaitForDaemonToSeeNoCard() {
    for (int i = 0; i < 200; ++i) {
      if (!GetStatus(*stub_).card_present()) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the daemon never saw the card go:\n" << daemon_->ReadLog();
  }

  // Waits until a card that pulled itself out (soft-usim --fault pull-*) has ended.
  void ExpectCardPulled() {
    for (int i = 0; i < 100 && card_->running(); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_FALSE(card_->running()) << "the card was not pulled out";
    EXPECT_EQ(card_->exit_status(), 3);
    ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
  }

  // Waits until the daemon has read the card again after an insertion.
  void WaitForDaemonToSeeTheCard() {
    for (int i = 0; i < 200; ++i) {
      const v1::GetStatusResponse status = GetStatus(*stub_);
      if (status.card_present() && !status.imsi_masked().empty()) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the daemon never saw the card again:\n" << daemon_->ReadLog();
  }

  // The daemon process is still there and answers.
  void ExpectDaemonHealthy(int pid) {
    EXPECT_EQ(daemon_->pid(), pid);
    EXPECT_EQ(::kill(pid, 0), 0) << "the daemon is gone";
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::GetStatusResponse status;
    EXPECT_TRUE(stub_->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  }
};

struct SpoiledAnswer {
  const char* name;
  const char* fault;
  const char* reason;
  const char* message;  // part of the error message
  grpc::StatusCode code;
  // A failed bootstrap leaves no session; a failed NAF derivation leaves the session (the
  // card's Ks is unchanged) and only that key is not served.
  v1::SessionState session_after;
};

class SpoiledAuthenticateTest : public CardFaultE2eTest,
                                public ::testing::WithParamInterface<SpoiledAnswer> {};

// Bounds checks on every length the card sends (TS 31.102 §7.1.2.4 `DB L RES`, `DB L
// Ks_ext_NAF`): INTERNAL_ERROR with a message that names the card, never a crash or a key.
TEST_P(SpoiledAuthenticateTest, IsACleanErrorAndAGoodCardIsServedAtOnce) {
  SwapCard({"--fault", GetParam().fault});
  StartBsf();
  StartDaemon();
  const int pid = daemon_->pid();

  CallResult spoiled = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_FALSE(spoiled.status.ok());
  EXPECT_EQ(spoiled.status.error_code(), GetParam().code)
      << spoiled.reason << ": " << spoiled.status.error_message();
  EXPECT_EQ(spoiled.reason, GetParam().reason) << spoiled.status.error_message();
  EXPECT_THAT(spoiled.status.error_message(), HasSubstr(GetParam().message));
  EXPECT_TRUE(spoiled.response.key().empty());
  ExpectDaemonHealthy(pid);
  EXPECT_EQ(GetStatus(*stub_).session_state(), GetParam().session_after);

  SwapCard();
  CallResult good = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(good.status.ok()) << good.reason << ": " << good.status.error_message();
  EXPECT_EQ(good.response.key(), ZnKey(good.response.btid()).ks_naf());
  ExpectDaemonHealthy(pid);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SpoiledAuthenticateTest,
    ::testing::Values(
        SpoiledAnswer{"TruncatedBootstrap", "truncate:authenticate-gba-bootstrap", "INTERNAL_ERROR",
                      "malformed card response", grpc::StatusCode::INTERNAL,
                      v1::SESSION_STATE_NONE},
        SpoiledAnswer{"GarbageBootstrap", "garbage:authenticate-gba-bootstrap", "INTERNAL_ERROR",
                      "malformed card response", grpc::StatusCode::INTERNAL,
                      v1::SESSION_STATE_NONE},
        // No status word: the exchange broke off (as when the card is pulled out), retryable.
        SpoiledAnswer{"NoStatusWordBootstrap", "no-sw:authenticate-gba-bootstrap", "CARD_REMOVED",
                      "no status word", grpc::StatusCode::UNAVAILABLE, v1::SESSION_STATE_NONE},
        SpoiledAnswer{"TruncatedNafDerivation", "truncate:authenticate-gba-naf-derivation",
                      "INTERNAL_ERROR", "malformed card response", grpc::StatusCode::INTERNAL,
                      v1::SESSION_STATE_VALID},
        SpoiledAnswer{"GarbageNafDerivation", "garbage:authenticate-gba-naf-derivation",
                      "INTERNAL_ERROR", "malformed card response", grpc::StatusCode::INTERNAL,
                      v1::SESSION_STATE_VALID}),
    [](const ::testing::TestParamInfo<SpoiledAnswer>& info) {
      return std::string(info.param.name);
    });

struct Pull {
  const char* name;
  const char* fault;
};

class CardPulledTest : public CardFaultE2eTest, public ::testing::WithParamInterface<Pull> {};

// The card goes away in the middle of the bootstrap: before AUTHENTICATE reached it, after it
// replaced Ks (its answer lost), or after the BSF's 200 but before B-TID and lifetime were in
// EF_GBABP (the card holds the new RAND and no B-TID). The call fails as CARD_REMOVED; with
// the card back, the daemon bootstraps again, and the key it serves is the NAF's.
TEST_P(CardPulledTest, DuringTheBootstrapNothingHalfDoneIsTrusted) {
  SwapCard({"--fault", GetParam().fault});
  StartBsf();
  StartDaemon();
  const int pid = daemon_->pid();

  CallResult cut = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_FALSE(cut.status.ok());
  EXPECT_EQ(cut.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << cut.reason << ": " << cut.status.error_message();
  EXPECT_THAT(cut.reason, AnyOf("CARD_REMOVED", "NO_CARD")) << cut.status.error_message();
  ExpectCardPulled();
  WaitForDaemonToSeeNoCard();
  ExpectDaemonHealthy(pid);
  EXPECT_EQ(GetStatus(*stub_).session_state(), v1::SESSION_STATE_NONE);

  const int bootstraps_before = CountApdus(apdu_log_, "GBA-BOOTSTRAP");
  PlugCard();  // the same card, with whatever it committed before it was pulled
  WaitForDaemonToSeeTheCard();
  CallResult again = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(again.status.ok()) << again.reason << ": " << again.status.error_message();
  EXPECT_EQ(CountApdus(apdu_log_, "GBA-BOOTSTRAP") - bootstraps_before, 1)
      << "the daemon must bootstrap afresh";
  EXPECT_EQ(again.response.key(), ZnKey(again.response.btid()).ks_naf());
  CallResult other = CallGetNafKey(*stub_, kOther, kTlsUa);
  ASSERT_TRUE(other.status.ok()) << other.reason << ": " << other.status.error_message();
  EXPECT_EQ(other.response.btid(), again.response.btid());
  EXPECT_EQ(other.response.key(), ZnKey(other.response.btid(), kOther).ks_naf());
}

INSTANTIATE_TEST_SUITE_P(
    Moments, CardPulledTest,
    ::testing::Values(Pull{"BeforeAuthenticate", "pull-before:authenticate-gba-bootstrap"},
                      Pull{"AfterAuthenticate", "pull-after:authenticate-gba-bootstrap"},
                      // The first UPDATE BINARY of the card's life is the EF_GBABP write.
                      Pull{"BeforeEfGbabpWrite", "pull-before:update-binary"}),
    [](const ::testing::TestParamInfo<Pull>& info) { return std::string(info.param.name); });

// A forced re-bootstrap cut short by the card's removal after AUTHENTICATE: the old session
// must not survive it (the card no longer holds its Ks), and after reinsertion a new one is
// made.
TEST_F(CardFaultE2eTest, CardPulledDuringAForcedReBootstrapDropsTheOldSession) {
  SwapCard({"--fault", "pull-after:authenticate-gba-bootstrap:2"});
  StartBsf();
  StartDaemon();
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.reason << ": " << first.status.error_message();

  CallResult forced = CallGetNafKey(*stub_, kMef, kTlsUa, /*force=*/true);
  EXPECT_EQ(forced.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << forced.reason << ": " << forced.status.error_message();
  ExpectCardPulled();
  WaitForDaemonToSeeNoCard();
  CallResult none = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_EQ(none.status.error_code(), grpc::StatusCode::UNAVAILABLE);

  PlugCard();
  WaitForDaemonToSeeTheCard();
  CallResult again = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(again.status.ok()) << again.reason << ": " << again.status.error_message();
  EXPECT_NE(again.response.btid(), first.response.btid());
  EXPECT_EQ(again.response.key(), ZnKey(again.response.btid()).ks_naf());
}

// Another PC/SC client (here `gbabridge bootstrap`, straight to the card) bootstraps the card
// while the daemon holds a GBA_U session. First cut short (the BSF's rspauth is wrong, so the
// client never writes the B-TID: EF_GBABP holds a new RAND and no B-TID), then complete (a
// new B-TID). Each time, a cached key is still the NAF's; a key the daemon must derive on the
// card comes from a fresh bootstrap, never from the card's new Ks under the old B-TID.
TEST_F(CardFaultE2eTest, ABootstrapBehindTheDaemonsBackIsNoticedBeforeTheNextDerivation) {
  StartBsf();
  StartDaemon();
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.reason << ": " << first.status.error_message();

  auto proxy = TamperingBsfProxy::Start(bsf_->ub_address(), ReplyTamper::kWrongRspauth);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const std::string bootstrap = "bootstrap --naf mef.example.com --ua 01000100AE --json --bsf ";
  CommandResult cut = RunCli(bootstrap + (*proxy)->url());
  EXPECT_EQ(cut.exit_code, 8) << cut.output;  // BSF failed mutual authentication
  EXPECT_THAT(cut.output, HasSubstr("rspauth"));

  CallResult cached = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(cached.status.ok()) << cached.status.error_message();
  EXPECT_EQ(cached.response.btid(), first.response.btid());
  EXPECT_EQ(cached.response.key(), ZnKey(first.response.btid()).ks_naf());

  const int bootstraps_before = CountApdus(apdu_log_, "GBA-BOOTSTRAP");
  EventWatcher watcher(*stub_);
  ASSERT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_SNAPSHOT).has_value());
  CallResult derived = CallGetNafKey(*stub_, kOther, kTlsUa);
  ASSERT_TRUE(derived.status.ok()) << derived.reason << ": " << derived.status.error_message();
  EXPECT_NE(derived.response.btid(), first.response.btid());
  EXPECT_EQ(derived.response.key(), ZnKey(derived.response.btid(), kOther).ks_naf());
  EXPECT_EQ(CountApdus(apdu_log_, "GBA-BOOTSTRAP") - bootstraps_before, 1);
  EXPECT_THAT(daemon_->ReadLog(), HasSubstr("GBA_U session dropped"));
  // Watchers learn it with its own reason, not as a removed card (threat model L9).
  std::optional<size_t> error = watcher.WaitFor(v1::EVENT_TYPE_ERROR);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(watcher.At(*error).error_reason(), "GBA_BOOTSTRAP_CHANGED");
  EXPECT_EQ(watcher.At(*error).error_code(), "ABORTED");
  EXPECT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_BOOTSTRAPPED, *error).has_value());

  CommandResult complete = RunCli(bootstrap + bsf_->ub_url());
  ASSERT_EQ(complete.exit_code, 0) << complete.output;
  const std::string their_btid = nlohmann::json::parse(complete.out)["btid"];
  ASSERT_NE(their_btid, derived.response.btid());
  CallResult third = CallGetNafKey(*stub_, kMef, kDigestUa);
  ASSERT_TRUE(third.status.ok()) << third.reason << ": " << third.status.error_message();
  EXPECT_NE(third.response.btid(), derived.response.btid());
  EXPECT_NE(third.response.btid(), their_btid);
  EXPECT_EQ(third.response.key(), ZnKey(third.response.btid(), kMef, kDigestUa).ks_naf());
}

}  // namespace
}  // namespace gbabridge::testing
