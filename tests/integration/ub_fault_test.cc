// Ub faults (issue: robustness): a BSF that answers 500, garbage, a truncated reply, a wrong
// rspauth or a spoiled body, that stalls or trickles (slowloris), or that resets the
// connection mid-reply. Each is a real HTTP peer on loopback; the device-side client with
// an in-process soft-usim must fail with the right reason, within its timeout, and must
// bootstrap normally right afterwards (no half state left in the client or on the card).
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "bootstrap/client/gba_client.h"
#include "bootstrap/client/gba_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/faketime_launcher.h"
#include "tests/integration/faulty_bsf.h"
#include "tests/integration/pcsc_sandbox.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/usim.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr absl::Duration kTotalTimeout = absl::Seconds(3);

class UbFaultTest : public ::testing::Test {
 protected:
  static inline int counter_ = 0;
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gbabridge-ubfault-" + std::to_string(getpid()) + "-" + std::to_string(++counter_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    absl::StatusOr<CardProfile> profile =
        CardProfile::LoadFile(testing::WriteTestProfile(dir_, /*gba_u=*/false).string());
    ASSERT_TRUE(profile.ok()) << profile.status();
    absl::StatusOr<std::unique_ptr<SoftUsim>> card =
        SoftUsim::Create(*std::move(profile), (dir_ / "card-state.json").string());
    ASSERT_TRUE(card.ok()) << card.status();
    card_ = *std::move(card);
    channel_ = std::make_unique<InProcessTransport>(*card_);
    usim_ = std::make_unique<Usim>(*channel_);
  }
  void TearDown() override {
    if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
  }

  GbaClientOptions Options(const std::string& url) {
    return {.bsf_url = url,
            .ca_file = "",
            .connect_timeout = absl::Seconds(2),
            .total_timeout = kTotalTimeout};
  }

  // Bootstraps against `url`; returns the status and how long it took.
  std::pair<absl::Status, absl::Duration> BootstrapAt(const std::string& url) {
    GbaClient client(*usim_, Options(url));
    const absl::Time start = absl::Now();
    absl::StatusOr<BootstrapSession> session = client.Bootstrap();
    return {session.status(), absl::Now() - start};
  }

  fs::path dir_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
};

struct RawCase {
  const char* name;
  testing::RawFault fault;
  GbaErrorReason reason;
  const char* message;
};

class UbRawFaultTest : public UbFaultTest, public ::testing::WithParamInterface<RawCase> {};

TEST_P(UbRawFaultTest, FailsWithTheRightReasonWithinTheTimeout) {
  absl::StatusOr<std::unique_ptr<testing::RawFaultServer>> bad =
      testing::RawFaultServer::Start(GetParam().fault);
  ASSERT_TRUE(bad.ok()) << bad.status();
  const auto [status, took] = BootstrapAt((*bad)->url());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(GetGbaErrorReason(status), GetParam().reason) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().message));
  EXPECT_THAT(std::string(status.message()), HasSubstr((*bad)->url()));
  EXPECT_LE(took, kTotalTimeout + absl::Seconds(2)) << "the client overran its timeout";
}

INSTANTIATE_TEST_SUITE_P(
    Faults, UbRawFaultTest,
    ::testing::Values(
        RawCase{"Status500", testing::RawFault::kStatus500, GbaErrorReason::kBsfMalformedReply,
                "unexpected reply"},
        RawCase{"Garbage", testing::RawFault::kGarbage, GbaErrorReason::kBsfMalformedReply,
                "broke off its reply"},
        RawCase{"Truncated", testing::RawFault::kTruncated, GbaErrorReason::kBsfMalformedReply,
                "broke off its reply"},
        RawCase{"Stall", testing::RawFault::kStall, GbaErrorReason::kBsfUnreachable, "timed out"},
        RawCase{"Slowloris", testing::RawFault::kSlowloris, GbaErrorReason::kBsfUnreachable,
                "timed out"},
        RawCase{"ResetMidReply", testing::RawFault::kReset, GbaErrorReason::kBsfMalformedReply,
                "broke off its reply"},
        // The client caps a reply at 64 KiB of body and 32 KiB of headers.
        RawCase{"HugeBody", testing::RawFault::kHugeBody, GbaErrorReason::kBsfMalformedReply,
                "oversized reply"},
        RawCase{"HugeHeaders", testing::RawFault::kHugeHeaders, GbaErrorReason::kBsfMalformedReply,
                "oversized reply"},
        // A redirect is not followed (following it would end at an unreachable
        // port: BSF_UNREACHABLE).
        RawCase{"Redirect", testing::RawFault::kRedirect, GbaErrorReason::kBsfMalformedReply,
                "HTTP 302 where a 401 challenge was expected"}),
    [](const ::testing::TestParamInfo<RawCase>& info) { return std::string(info.param.name); });

struct TamperCase {
  const char* name;
  testing::ReplyTamper tamper;
  GbaErrorReason reason;
  const char* message;
};

class UbTamperedReplyTest : public UbFaultTest, public ::testing::WithParamInterface<TamperCase> {};

TEST_P(UbTamperedReplyTest, IsRefusedAndTheNextBootstrapSucceeds) {
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir_, {.gba_u_subscriber = false});
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  absl::StatusOr<std::unique_ptr<testing::TamperingBsfProxy>> proxy =
      testing::TamperingBsfProxy::Start((*bsf)->ub_address(), GetParam().tamper);
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  const auto [status, took] = BootstrapAt((*proxy)->url());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(GetGbaErrorReason(status), GetParam().reason) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().message));
  EXPECT_LE(took, kTotalTimeout + absl::Seconds(2));

  // Nothing half-done stays behind: the same card and client code bootstrap at once.
  const auto [after, unused] = BootstrapAt((*bsf)->ub_url());
  EXPECT_TRUE(after.ok()) << after;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, UbTamperedReplyTest,
    ::testing::Values(TamperCase{"WrongRspauth", testing::ReplyTamper::kWrongRspauth,
                                 GbaErrorReason::kBsfNotAuthentic, "rspauth is wrong"},
                      TamperCase{"NoAuthenticationInfo",
                                 testing::ReplyTamper::kNoAuthenticationInfo,
                                 GbaErrorReason::kBsfNotAuthentic, "without Authentication-Info"},
                      // rspauth covers the body (qop=auth-int), so a spoiled body fails
                      // mutual authentication before any XML is trusted.
                      TamperCase{"GarbageBody", testing::ReplyTamper::kGarbageBody,
                                 GbaErrorReason::kBsfNotAuthentic, "rspauth is wrong"},
                      TamperCase{"TruncatedBody", testing::ReplyTamper::kTruncatedBody,
                                 GbaErrorReason::kBsfNotAuthentic, "rspauth is wrong"},
                      TamperCase{"Status500", testing::ReplyTamper::kStatus500,
                                 GbaErrorReason::kBsfMalformedReply, "HTTP 500"}),
    [](const ::testing::TestParamInfo<TamperCase>& info) { return std::string(info.param.name); });

// A replayed challenge (TS 33.102 §6.3.5): the card reports a synchronisation failure, the
// client sends AUTS once, and when the next challenge is stale again it stops with
// SYNC_FAILED rather than loop. The card and the BSF are fine afterwards.
TEST_F(UbFaultTest, ASecondSynchronisationFailureIsSyncFailed) {
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir_, {.gba_u_subscriber = false});
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  absl::StatusOr<std::unique_ptr<testing::TamperingBsfProxy>> proxy =
      testing::TamperingBsfProxy::Start((*bsf)->ub_address(),
                                        testing::ReplyTamper::kReplayFirstChallenge);
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  const auto [first, unused_first] = BootstrapAt((*proxy)->url());
  ASSERT_TRUE(first.ok()) << first << " (the first challenge is a fresh one)";
  const auto [replayed, took] = BootstrapAt((*proxy)->url());
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(GetGbaErrorReason(replayed), GbaErrorReason::kSyncFailed) << replayed;
  EXPECT_THAT(std::string(replayed.message()), HasSubstr("after one resynchronisation"));

  const auto [after, unused_after] = BootstrapAt((*bsf)->ub_url());
  EXPECT_TRUE(after.ok()) << after;
}

// A BSF whose clock is two hours behind grants a lifetime that is already over by the
// device's clock: the client refuses the session rather than hand out keys the BSF will not
// honour (bsf-sim under libfaketime).
TEST_F(UbFaultTest, ALifetimeAlreadyOverIsRefused) {
  absl::StatusOr<testing::FaketimeLauncher> clock =
      testing::FaketimeLauncher::Create(dir_ / "bsf-clock");
  ASSERT_TRUE(clock.ok()) << clock.status();
  clock->Step("-2h");
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf = testing::BsfSimProcess::Start(
      dir_, {.launcher = clock->launcher(), .gba_u_subscriber = false});
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  const auto [status, took] = BootstrapAt((*bsf)->ub_url());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(GetGbaErrorReason(status), GbaErrorReason::kBsfMalformedReply) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("the key lifetime is already over"));

  clock->Step("+0");
  const auto [after, unused] = BootstrapAt((*bsf)->ub_url());
  EXPECT_TRUE(after.ok()) << after;
}

}  // namespace
}  // namespace gbabridge
