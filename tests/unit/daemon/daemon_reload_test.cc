// What SIGHUP applies at once and what waits for a restart (daemon_reload.h).
#include "bootstrap/daemon/daemon_reload.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PlanReloadTest, TheSameFilesApplyThePolicyAndNothingNeedsARestart) {
  const DaemonConfig running;
  const ReloadPlan plan = PlanReload(running, running);
  EXPECT_THAT(plan.applied, ElementsAre("[[client]] policy"));
  EXPECT_THAT(plan.needs_restart, IsEmpty());
}

TEST(PlanReloadTest, TheLogLevelIsAppliedAtOnce) {
  DaemonConfig next;
  next.log_level = "debug";
  EXPECT_THAT(PlanReload(DaemonConfig(), next).applied,
              ElementsAre("[[client]] policy", "log.level"));
}

TEST(PlanReloadTest, CardBsfListenAndSessionSettingsAreNamedAsNeedingARestart) {
  DaemonConfig next;
  next.reader = "Another Reader 00 00";
  next.bsf_url = "https://bsf.example.net/";
  next.unix_socket = "/run/other/gbabridged.sock";
  next.max_session_lifetime = absl::Hours(1);
  next.audit_file = "/var/log/gbabridge-audit.log";
  EXPECT_THAT(PlanReload(DaemonConfig(), next).needs_restart,
              ElementsAre("card.reader", "bsf.url", "session.max_session_lifetime_seconds",
                          "listen.unix_socket", "log.audit_file"));
}

}  // namespace
}  // namespace gbabridge::daemon
