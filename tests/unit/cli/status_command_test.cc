#include "bootstrap/cli/status_command.h"

#include <sstream>

#include "bootstrap/cli/exit_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/cli/fake_gba_bridge.h"

namespace gbabridge::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = gbabridge::v1;

v1::GetStatusResponse FullStatus() {
  v1::GetStatusResponse s;
  s.set_daemon_version("0.2.0");
  s.set_reader("Virtual PCD 00 00");
  s.set_card_present(true);
  s.set_imsi_masked("00101*******23");
  s.set_gba_u_capable(true);
  s.set_pin_state(v1::PIN_STATE_DISABLED);
  s.set_session_state(v1::SESSION_STATE_VALID);
  s.mutable_session_expiry()->set_seconds(1795815600);  // 2026-11-27T21:40:00Z
  s.set_bsf_url("http://127.0.0.1:8080/");
  s.set_gba_mode(v1::GBA_MODE_U);
  return s;
}

class StatusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon_.started()); }

  int Run(bool json) {
    StatusOptions options;
    options.connection.connect = daemon_.target();
    options.connection.timeout_seconds = 10;
    options.json = json;
    out_.str("");
    err_.str("");
    return RunStatus(options, out_, err_);
  }

  testing::FakeDaemon daemon_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(StatusCommandTest, HumanOutput) {
  daemon_.service().status_response = FullStatus();
  ASSERT_EQ(Run(false), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "daemon 0.2.0\n"
            "reader: Virtual PCD 00 00 (card present)\n"
            "IMSI: 00101*******23\n"
            "GBA_U: yes\n"
            "PIN: disabled\n"
            "session: valid until 2026-11-27T21:40:00Z (GBA_U)\n"
            "BSF: http://127.0.0.1:8080/\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(StatusCommandTest, HumanOutputWithoutCardOrSession) {
  v1::GetStatusResponse s;
  s.set_daemon_version("0.2.0");
  s.set_reader("Virtual PCD 00 00");
  daemon_.service().status_response = s;
  ASSERT_EQ(Run(false), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "daemon 0.2.0\n"
            "reader: Virtual PCD 00 00 (no card)\n"
            "PIN: unknown\n"
            "session: none\n"
            "BSF: (not known yet)\n");

  s.clear_reader();
  daemon_.service().status_response = s;
  ASSERT_EQ(Run(false), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("reader: none found\n"));
}

TEST_F(StatusCommandTest, HumanOutputStates) {
  v1::GetStatusResponse s = FullStatus();
  s.set_pin_state(v1::PIN_STATE_BLOCKED);
  s.set_session_state(v1::SESSION_STATE_EXPIRED);
  s.set_gba_mode(v1::GBA_MODE_ME);
  s.set_gba_u_capable(false);
  daemon_.service().status_response = s;
  ASSERT_EQ(Run(false), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("GBA_U: no (GBA_ME only)\n"));
  EXPECT_THAT(out_.str(), HasSubstr("PIN: blocked (PUK needed"));
  EXPECT_THAT(out_.str(), HasSubstr("session: expired at 2026-11-27T21:40:00Z (GBA_ME)\n"));
}

// A card the daemon cannot use is explained without waiting for a request to fail.
TEST_F(StatusCommandTest, ShowsWhyTheCardIsUnusable) {
  v1::GetStatusResponse s;
  s.set_daemon_version("0.2.0");
  s.set_card_error_reason("PCSCD_NOT_RUNNING");
  s.set_card_error_message("the PC/SC daemon (pcscd) is not running");
  daemon_.service().status_response = s;
  ASSERT_EQ(Run(false), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("card problem: the PC/SC daemon (pcscd) is not running "
                                    "[PCSCD_NOT_RUNNING]\n"));
  ASSERT_EQ(Run(true), kExitOk) << err_.str();
  nlohmann::json j = nlohmann::json::parse(out_.str().substr(out_.str().find('{')));
  EXPECT_EQ(j["card_error_reason"], "PCSCD_NOT_RUNNING");
}

TEST_F(StatusCommandTest, JsonOutput) {
  daemon_.service().status_response = FullStatus();
  ASSERT_EQ(Run(true), kExitOk) << err_.str();
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["daemon_version"], "0.2.0");
  EXPECT_EQ(j["reader"], "Virtual PCD 00 00");
  EXPECT_EQ(j["card_present"], true);
  EXPECT_EQ(j["imsi_masked"], "00101*******23");
  EXPECT_EQ(j["gba_u_capable"], true);
  EXPECT_EQ(j["pin_state"], "DISABLED");
  EXPECT_EQ(j["session_state"], "VALID");
  EXPECT_EQ(j["session_expiry"], "2026-11-27T21:40:00Z");
  EXPECT_EQ(j["gba_mode"], "GBA_U");
  EXPECT_EQ(j["bsf_url"], "http://127.0.0.1:8080/");
}

TEST_F(StatusCommandTest, JsonNullsForAbsentValues) {
  daemon_.service().status_response = v1::GetStatusResponse();
  ASSERT_EQ(Run(true), kExitOk) << err_.str();
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_TRUE(j["reader"].is_null());
  EXPECT_TRUE(j["imsi_masked"].is_null());
  EXPECT_TRUE(j["session_expiry"].is_null());
  EXPECT_TRUE(j["gba_mode"].is_null());
  EXPECT_EQ(j["session_state"], "NONE");
  EXPECT_EQ(j["pin_state"], "UNKNOWN");
}

TEST_F(StatusCommandTest, CallerNotAllowed) {
  daemon_.service().error = testing::CannedError{grpc::StatusCode::PERMISSION_DENIED,
                                                 "CALLER_NOT_ALLOWED", "uid 1000 has no policy"};
  EXPECT_EQ(Run(false), kExitNotAllowed);
  EXPECT_EQ(err_.str(), "error: uid 1000 has no policy [CALLER_NOT_ALLOWED]\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(StatusCommandTest, DaemonNotRunning) {
  StatusOptions options;
  options.connection.connect = "unix:" + daemon_.dir() + "/absent.sock";
  options.json = true;
  EXPECT_EQ(RunStatus(options, out_, err_), kExitDaemonUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("daemon not reachable at unix:"));
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["error"]["exit_code"], kExitDaemonUnreachable);
  EXPECT_EQ(j["error"]["grpc_code"], "UNAVAILABLE");
}

TEST(FormatTimestampTest, SecondsAndFraction) {
  google::protobuf::Timestamp t;
  t.set_seconds(1795813201);
  t.set_nanos(500000000);
  EXPECT_EQ(FormatTimestamp(t), "2026-11-27T21:00:01Z");
  EXPECT_EQ(FormatTimestamp(t, /*with_fraction=*/true), "2026-11-27T21:00:01.5Z");
}

}  // namespace
}  // namespace gbabridge::cli
