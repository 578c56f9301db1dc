#include "bootstrap/cli/watch_command.h"

#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "bootstrap/cli/exit_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/cli/fake_gba_bridge.h"

namespace gbabridge::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = gbabridge::v1;

constexpr int64_t kT0 = 1795813201;  // 2026-11-27T21:00:01Z

v1::Event At(v1::EventType type, int64_t offset_seconds) {
  v1::Event e;
  e.set_type(type);
  e.mutable_time()->set_seconds(kT0 + offset_seconds);
  return e;
}

v1::Event Snapshot() {
  v1::Event e = At(v1::EVENT_TYPE_SNAPSHOT, 0);
  v1::GetStatusResponse* s = e.mutable_status();
  s->set_daemon_version("0.2.0");
  s->set_reader("Virtual PCD 00 00");
  s->set_card_present(true);
  s->set_pin_state(v1::PIN_STATE_DISABLED);
  s->set_session_state(v1::SESSION_STATE_VALID);
  s->mutable_session_expiry()->set_seconds(1795815600);
  s->set_gba_mode(v1::GBA_MODE_U);
  return e;
}

v1::Event CardRemoved() {
  v1::Event e = At(v1::EVENT_TYPE_CARD_REMOVED, 5);
  e.set_reader("Virtual PCD 00 00");
  return e;
}

v1::Event Bootstrapped() {
  v1::Event e = At(v1::EVENT_TYPE_BOOTSTRAPPED, 9);
  e.set_reader("Virtual PCD 00 00");
  e.set_btid("AAEC@bsf.example.org");
  e.mutable_expiry()->set_seconds(1795815600);
  e.set_gba_mode(v1::GBA_MODE_ME);
  return e;
}

v1::Event Error() {
  v1::Event e = At(v1::EVENT_TYPE_ERROR, 12);
  e.set_error_code("UNAVAILABLE");
  e.set_error_reason("BSF_UNREACHABLE");
  e.set_error_message("connect to bsf.example.org:443: timed out");
  return e;
}

TEST(FormatEventLineTest, EachType) {
  EXPECT_EQ(FormatEventLine(Snapshot()),
            "2026-11-27T21:00:01Z snapshot reader=\"Virtual PCD 00 00\" card=present "
            "pin=disabled session=valid expiry=2026-11-27T21:40:00Z gba_mode=GBA_U");
  EXPECT_EQ(FormatEventLine(CardRemoved()),
            "2026-11-27T21:00:06Z card-removed reader=\"Virtual PCD 00 00\"");
  EXPECT_EQ(FormatEventLine(Bootstrapped()),
            "2026-11-27T21:00:10Z bootstrapped reader=\"Virtual PCD 00 00\" "
            "btid=AAEC@bsf.example.org expiry=2026-11-27T21:40:00Z gba_mode=GBA_ME");
  EXPECT_EQ(FormatEventLine(Error()),
            "2026-11-27T21:00:13Z error code=UNAVAILABLE reason=BSF_UNREACHABLE "
            "message=\"connect to bsf.example.org:443: timed out\"");
  EXPECT_EQ(FormatEventLine(At(v1::EVENT_TYPE_CARD_INSERTED, 1)),
            "2026-11-27T21:00:02Z card-inserted");
  EXPECT_EQ(FormatEventLine(At(v1::EVENT_TYPE_SESSION_EXPIRED, 1)),
            "2026-11-27T21:00:02Z session-expired");
  EXPECT_THAT(FormatEventLine(At(v1::EVENT_TYPE_EVENTS_DROPPED, 1)),
              HasSubstr("events-dropped hint=\"run gbabridge status"));
  v1::Event odd;
  odd.set_type(static_cast<v1::EventType>(42));
  EXPECT_EQ(FormatEventLine(odd), "- unknown type_number=42");
}

TEST(FormatEventLineTest, QuotesValuesThatWouldBreakTheLine) {
  v1::Event e = Error();
  e.set_error_message("a \"b\"\nc");
  EXPECT_THAT(FormatEventLine(e), HasSubstr("message=\"a \\\"b\\\"\\nc\""));
  e.set_error_reason("");
  EXPECT_THAT(FormatEventLine(e), HasSubstr("reason=\"\""));
}

TEST(EventToJsonTest, Fields) {
  nlohmann::json snapshot = EventToJson(Snapshot());
  EXPECT_EQ(snapshot["type"], "snapshot");
  EXPECT_EQ(snapshot["time"], "2026-11-27T21:00:01Z");
  EXPECT_EQ(snapshot["status"]["session_state"], "VALID");
  EXPECT_EQ(snapshot["status"]["reader"], "Virtual PCD 00 00");

  nlohmann::json boot = EventToJson(Bootstrapped());
  EXPECT_EQ(boot["type"], "bootstrapped");
  EXPECT_EQ(boot["btid"], "AAEC@bsf.example.org");
  EXPECT_EQ(boot["expiry"], "2026-11-27T21:40:00Z");
  EXPECT_EQ(boot["gba_mode"], "GBA_ME");
  EXPECT_EQ(boot["reader"], "Virtual PCD 00 00");

  nlohmann::json error = EventToJson(Error());
  EXPECT_EQ(error["error_code"], "UNAVAILABLE");
  EXPECT_EQ(error["error_reason"], "BSF_UNREACHABLE");
  EXPECT_EQ(error["error_message"], "connect to bsf.example.org:443: timed out");

  nlohmann::json removed = EventToJson(CardRemoved());
  EXPECT_EQ(removed, (nlohmann::json{{"time", "2026-11-27T21:00:06Z"},
                                     {"type", "card-removed"},
                                     {"reader", "Virtual PCD 00 00"}}));
}

class WatchCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.started());
    daemon_.service().events = {Snapshot(), CardRemoved(), Bootstrapped(), Error()};
  }

  WatchOptions Options(int count, bool json = false) {
    WatchOptions options;
    options.connection.connect = daemon_.target();
    options.connection.timeout_seconds = 10;
    options.count = count;
    options.json = json;
    return options;
  }

  std::vector<std::string> Lines() const {
    std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
    return lines;
  }

  testing::FakeDaemon daemon_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(WatchCommandTest, CountStopsAfterNEvents) {
  EXPECT_EQ(RunWatch(Options(3), out_, err_), kExitOk) << err_.str();
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[0], HasSubstr(" snapshot "));
  EXPECT_EQ(lines[1], "2026-11-27T21:00:06Z card-removed reader=\"Virtual PCD 00 00\"");
  EXPECT_THAT(lines[2], HasSubstr(" bootstrapped "));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(WatchCommandTest, JsonLines) {
  EXPECT_EQ(RunWatch(Options(4, /*json=*/true), out_, err_), kExitOk) << err_.str();
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["type"], "snapshot");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["type"], "card-removed");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["btid"], "AAEC@bsf.example.org");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["error_reason"], "BSF_UNREACHABLE");
}

TEST_F(WatchCommandTest, StopFlagEndsAnOpenStreamCleanly) {
  daemon_.service().events = {Snapshot()};
  std::atomic<bool> stop{false};
  std::thread interrupter([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.store(true);  // what the SIGINT handler does
  });
  const auto start = std::chrono::steady_clock::now();
  const int rc = RunWatch(Options(0), out_, err_, &stop);
  interrupter.join();
  EXPECT_EQ(rc, kExitOk) << err_.str();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(Lines().size(), 1u);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(WatchCommandTest, StreamClosedByTheDaemon) {
  daemon_.service().hold_stream_open = false;
  EXPECT_EQ(RunWatch(Options(0), out_, err_), kExitDaemonUnreachable);
  EXPECT_EQ(Lines().size(), 4u);
  EXPECT_THAT(err_.str(), HasSubstr("closed the event stream"));
  EXPECT_THAT(err_.str(), HasSubstr("[STREAM_CLOSED]"));
}

TEST_F(WatchCommandTest, StreamFailureWithReason) {
  daemon_.service().events = {};
  daemon_.service().error = testing::CannedError{grpc::StatusCode::PERMISSION_DENIED,
                                                 "CALLER_NOT_ALLOWED", "uid 1000 has no policy"};
  EXPECT_EQ(RunWatch(Options(0), out_, err_), kExitNotAllowed);
  EXPECT_EQ(err_.str(), "error: uid 1000 has no policy [CALLER_NOT_ALLOWED]\n");
}

TEST_F(WatchCommandTest, DaemonNotRunning) {
  WatchOptions options = Options(1);
  options.connection.connect = "unix:" + daemon_.dir() + "/absent.sock";
  EXPECT_EQ(RunWatch(options, out_, err_), kExitDaemonUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("error: daemon not reachable at unix:"));
  EXPECT_THAT(err_.str(), HasSubstr("no socket at"));
}

TEST_F(WatchCommandTest, NegativeCountIsUsage) {
  EXPECT_EQ(RunWatch(Options(-1), out_, err_), kExitUsage);
}

}  // namespace
}  // namespace gbabridge::cli
