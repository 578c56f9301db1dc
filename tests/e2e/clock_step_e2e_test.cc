// Wall-clock steps (NTP, an operator, a bad RTC) under a running gbabridged and bsf-sim
// (issue 6, §3): both run under libfaketime, whose offset the test moves while they run;
// monotonic time is left alone (DONT_FAKE_MONOTONIC). A step forward past the key lifetime
// must not end a session early, a step back must not extend it: both sides keep their
// deadlines on the monotonic clock. UTC is for the wire only: the expiry the BSF sent is the
// expiry both sides report, whatever the wall clock does afterwards.
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bootstrap/daemon/gba_bridge_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/daemon_e2e_fixture.h"
#include "tests/integration/faketime_launcher.h"

namespace gbabridge::testing {
namespace {

using ::gbabridge::daemon::FromTimestamp;

constexpr int kLifetimeSeconds = 14;
constexpr int kMarginSeconds = 2;

class ClockStepE2eTest : public DaemonE2eTest {
 protected:
  void SetUp() override {
    DaemonE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<FaketimeLauncher> clock = FaketimeLauncher::Create(dir_ / "clock-offset");
    ASSERT_TRUE(clock.ok()) << clock.status();
    clock_.emplace(*std::move(clock));
  }

  std::optional<FaketimeLauncher> clock_;
};

TEST_F(ClockStepE2eTest, StepsForwardAndBackNeitherEndNorExtendSessions) {
  StartBsf({.launcher = clock_->launcher(), .lifetime_seconds = kLifetimeSeconds});
  StartDaemon({.refresh_margin_seconds = kMarginSeconds, .launcher = clock_->launcher()});
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.reason << ": " << first.status.error_message();
  const absl::Time expiry = FromTimestamp(first.response.key_expiry());
  EXPECT_LT(absl::AbsDuration(expiry - (absl::Now() + absl::Seconds(kLifetimeSeconds))),
            absl::Seconds(3));

  // Forward, well past the key lifetime; then back by a day.
  for (const std::string offset : {"+5h", "-1d"}) {
    SCOPED_TRACE(offset);
    clock_->Step(offset);
    CallResult cached = CallGetNafKey(*stub_, kMef, kTlsUa);
    ASSERT_TRUE(cached.status.ok()) << cached.reason << ": " << cached.status.error_message();
    EXPECT_EQ(cached.response.btid(), first.response.btid());
    EXPECT_EQ(FromTimestamp(cached.response.key_expiry()), expiry)
        << "UTC on the wire is the BSF's";
    // A key the daemon has not cached yet: derived on the card from the same session.
    CallResult other = CallGetNafKey(*stub_, "other.example.com", kTlsUa);
    ASSERT_TRUE(other.status.ok()) << other.reason << ": " << other.status.error_message();
    EXPECT_EQ(other.response.btid(), first.response.btid());
    const bsf::v1::GetNafKeyResponse zn = ZnKey(first.response.btid(), "other.example.com");
    EXPECT_EQ(zn.ks_naf(), other.response.key()) << "bsf-sim ended the session on a clock step";
    EXPECT_EQ(FromTimestamp(zn.key_expiry()), expiry);
    EXPECT_EQ(GetStatus(*stub_).session_state(), v1::SESSION_STATE_VALID);
  }

  // The real lifetime runs out, with the wall clock still a day behind (by which the key has
  // a day left): the daemon ends the session at lifetime minus margin, bsf-sim at lifetime.
  // The test's own clock is the real one: wait until the BSF's expiry (real UTC, as the
  // clocks were not stepped yet when it was granted) is two seconds past.
  absl::SleepFor(expiry + absl::Seconds(2) - absl::Now());
  bsf::v1::GetNafKeyRequest request;
  request.set_btid(first.response.btid());
  request.set_naf_fqdn(kMef);
  request.set_ua_security_protocol_id(kTlsUa);
  bsf::v1::GetNafKeyResponse unused;
  const grpc::Status gone = bsf_->GetNafKey("mef-token", request, &unused);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND) << gone.error_message();
  EXPECT_NE(GetStatus(*stub_).session_state(), v1::SESSION_STATE_VALID);

  // The next session's expiry is in the BSF's (stepped) UTC, and both sides agree on it.
  CallResult renewed = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(renewed.status.ok()) << renewed.reason << ": " << renewed.status.error_message();
  EXPECT_NE(renewed.response.btid(), first.response.btid());
  const absl::Time renewed_expiry = FromTimestamp(renewed.response.key_expiry());
  EXPECT_LT(absl::AbsDuration(renewed_expiry -
                              (absl::Now() - absl::Hours(24) + absl::Seconds(kLifetimeSeconds))),
            absl::Seconds(3));
  EXPECT_EQ(FromTimestamp(ZnKey(renewed.response.btid()).key_expiry()), renewed_expiry);
  EXPECT_EQ(renewed.response.key(), ZnKey(renewed.response.btid()).ks_naf());
}

}  // namespace
}  // namespace gbabridge::testing
