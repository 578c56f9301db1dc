// The USIM in a modem, with real processes: soft-usim --modem (the modem simulator on a
// pty), the gbabridge CLI and gbabridged over the AT transport, bsf-sim over loopback HTTP
// and gRPC. GBA_ME and GBA_U bootstraps give the key the NAF gets over Zn; SIM removal and
// an unplugged modem reach the daemon as with PC/SC.
#include <signal.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/gbabridged_process.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/pcsc_sandbox.h"
#include "uicc/base/bytes.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using ::testing::HasSubstr;
using testing::RunCli;

class ModemProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gbabridge-modem-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    link_ = (dir_ / "ttyGBA0").string();
  }
  void TearDown() override {
    daemon_.reset();
    modem_.reset();
    bsf_.reset();
    if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
  }

  // `t0`: the card answers T=0-style (61xx, then GET RESPONSE), which the 61xx quirks need.
  void StartModem(bool gba_u, const std::string& quirks = "", bool t0 = false) {
    const fs::path profile = testing::WriteTestProfile(dir_, gba_u);
    std::vector<std::string> argv = {GBABRIDGE_SOFT_USIM_BIN,
                                     "--profile",
                                     profile.string(),
                                     "--state",
                                     (dir_ / "state.json").string(),
                                     "--modem",
                                     link_};
    if (!quirks.empty()) argv.insert(argv.end(), {"--modem-quirks", quirks});
    if (t0) argv.push_back("--t0");
    absl::StatusOr<testing::ChildProcess> modem =
        testing::ChildProcess::Start(argv, dir_ / "soft-usim.log");
    ASSERT_TRUE(modem.ok()) << modem.status();
    modem_.emplace(std::move(*modem));
    for (int i = 0; i < 200 && !fs::exists(link_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(fs::exists(link_)) << "the simulator did not make " << link_;
    // Signals (SIM out, unplug) only act once the simulator says it is ready.
    for (int i = 0; i < 200 && !absl::StrContains(ReadLog(), "modem ready at"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_THAT(ReadLog(), ::testing::HasSubstr("modem ready at"));
  }
  // Runs the CLI with `args` every 100 ms until it succeeds (or, with `want_success` false,
  // fails), at most `tries` times; the last result.
  CommandResult RunCliUntil(const std::string& args, bool want_success, int tries = 50) {
    CommandResult r;
    for (int i = 0; i < tries; ++i) {
      r = RunCli(args);
      if ((r.exit_code == 0) == want_success) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }
  std::string ReadLog() const {
    std::ifstream in(dir_ / "soft-usim.log");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  void StartBsf() {
    absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
        testing::BsfSimProcess::Start(dir_);
    ASSERT_TRUE(bsf.ok()) << bsf.status();
    bsf_ = std::move(*bsf);
  }

  // What `gbabridge bootstrap --modem` prints as JSON; exit code checked.
  nlohmann::json Bootstrap(const std::string& extra = "") {
    CommandResult r = RunCli(absl::StrCat("bootstrap --modem ", link_, " --bsf ", bsf_->ub_url(),
                                          " --naf mef.example.com --ua 01000100AE --json "
                                          "--show-key ",
                                          extra));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  std::string ZnKey(const std::string& btid, bool gba_u_aware) {
    bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn("mef.example.com");
    request.set_ua_security_protocol_id(std::string("\x01\x00\x01\x00\xAE", 5));
    request.set_gba_u_aware(gba_u_aware);
    bsf::v1::GetNafKeyResponse response;
    grpc::Status rpc = bsf_->GetNafKey("mef-token", request, &response);
    EXPECT_TRUE(rpc.ok()) << rpc.error_message();
    return HexEncode(AsBytes(response.ks_naf()));
  }

  fs::path dir_;
  std::string link_;
  std::optional<testing::ChildProcess> modem_;
  std::unique_ptr<testing::BsfSimProcess> bsf_;
  std::unique_ptr<testing::GbabridgedProcess> daemon_;
};

TEST_F(ModemProcessTest, CardInfoThroughTheModem) {
  StartModem(/*gba_u=*/true);
  CommandResult r = RunCli(absl::StrCat("card info --modem ", link_, " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reader"], link_);
  EXPECT_THAT(j["protocol"].get<std::string>(), HasSubstr("AT+CGLA"));
  EXPECT_EQ(j["gba_service"], true) << r.out;
}

TEST_F(ModemProcessTest, GbaUBootstrapMatchesTheNafsKeyOverZn) {
  StartModem(/*gba_u=*/true);
  StartBsf();
  nlohmann::json j = Bootstrap();
  ASSERT_EQ(j["gba_mode"], "GBA_U") << j;
  EXPECT_EQ(j["key"], ZnKey(j["btid"], /*gba_u_aware=*/true));
}

TEST_F(ModemProcessTest, GbaMeBootstrapMatchesTheNafsKeyOverZn) {
  StartModem(/*gba_u=*/false);
  StartBsf();
  nlohmann::json j = Bootstrap();
  ASSERT_EQ(j["gba_mode"], "GBA_ME") << j;
  EXPECT_EQ(j["key"], ZnKey(j["btid"], /*gba_u_aware=*/false));
}

TEST_F(ModemProcessTest, AQuirkyModemWithoutLogicalChannelsStillBootstraps) {
  StartModem(/*gba_u=*/true, "no-logical-channels,echo-stuck,urc-between,reselect-mf");
  StartBsf();
  nlohmann::json j = Bootstrap();
  ASSERT_EQ(j["gba_mode"], "GBA_U") << j;
  EXPECT_EQ(j["key"], ZnKey(j["btid"], /*gba_u_aware=*/true));
}

// Every quirk switch of the simulator, each in its own soft-usim process with a T=0 card (so
// that every case 4 command answers 61xx inside the modem): the CLI's GBA_U bootstrap through
// it gives the NAF's key. With refuse-get-response the modem fetches the data itself and
// refuses a GET RESPONSE from us: the bootstrap working shows none was sent.
class ModemQuirkProcessTest : public ModemProcessTest,
                              public ::testing::WithParamInterface<const char*> {};

TEST_P(ModemQuirkProcessTest, BootstrapGivesTheNafsKey) {
  StartModem(/*gba_u=*/true, GetParam(), /*t0=*/true);
  StartBsf();
  nlohmann::json j = Bootstrap();
  ASSERT_EQ(j["gba_mode"], "GBA_U") << j;
  EXPECT_EQ(j["key"], ZnKey(j["btid"], /*gba_u_aware=*/true));
}

INSTANTIATE_TEST_SUITE_P(Quirks, ModemQuirkProcessTest,
                         ::testing::Values("echo-stuck", "no-logical-channels", "bare-ccho",
                                           "pass-61xx", "pass-61xx,no-logical-channels",
                                           "refuse-get-response", "reselect-mf,no-logical-channels",
                                           "urc-between", "verbose-errors"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name;
                           for (const char* c = info.param; *c != 0; ++c) {
                             if (std::isalnum(static_cast<unsigned char>(*c))) name += *c;
                           }
                           return name;
                         });

TEST_F(ModemProcessTest, AStalledModemIsCardUnresponsiveWithinTheTimeout) {
  StartModem(/*gba_u=*/true, "stall-authenticate");
  StartBsf();
  const auto start = std::chrono::steady_clock::now();
  CommandResult r =
      RunCli(absl::StrCat("bootstrap --modem ", link_, " --modem-timeout 2 --bsf ", bsf_->ub_url(),
                          " --naf mef.example.com --ua 01000100AE --json"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["reason"], "CARD_UNRESPONSIVE") << r.output;
  EXPECT_THAT(r.err, HasSubstr("no answer from the modem")) << r.output;
  // The card never saw the stalled AUTHENTICATE: the next run succeeds.
  nlohmann::json j = Bootstrap();
  EXPECT_EQ(j["key"], ZnKey(j["btid"], /*gba_u_aware=*/true));
}

// A modem that passes 61xx up but refuses the GET RESPONSE that must follow cannot give the
// card's answers: the bootstrap stops with a card error that says so, and nothing hangs.
TEST_F(ModemProcessTest, AModemThatPasses61xxButRefusesGetResponseIsAClearError) {
  StartModem(/*gba_u=*/true, "pass-61xx,refuse-get-response", /*t0=*/true);
  StartBsf();
  CommandResult r = RunCli(absl::StrCat("bootstrap --modem ", link_, " --bsf ", bsf_->ub_url(),
                                        " --naf mef.example.com --ua 01000100AE --json"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.err, HasSubstr("GET RESPONSE")) << r.output;
}

TEST_F(ModemProcessTest, ACmeErrorIsShownWithTheModemsWords) {
  StartModem(/*gba_u=*/true, "cme-error=13");
  CommandResult r = RunCli(absl::StrCat("card info --modem ", link_, " --json"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.err, HasSubstr("+CME ERROR: 13")) << r.output;
}

TEST_F(ModemProcessTest, ASecondUserOfThePortIsToldWhoHasIt) {
  StartModem(/*gba_u=*/true);
  // A lock file as another program (this test process) leaves it: "LCK..<device>" with
  // its PID (FHS 3.0 §5.9).
  const std::string device = fs::canonical(link_).string();
  std::string name = device.substr(5);
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const fs::path lock = fs::path("/run/lock") / ("LCK.." + name);
  if (!fs::is_directory("/run/lock")) GTEST_SKIP() << "no /run/lock on this machine";
  {
    std::ofstream out(lock);
    out << absl::StrFormat("%10d\n", getpid());
  }
  CommandResult r = RunCli(absl::StrCat("card info --modem ", link_, " --json"));
  fs::remove(lock);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("in use by process ", getpid()))) << r.output;
}

TEST_F(ModemProcessTest, AnUnpluggedModemIsNoReaderUntilItIsBack) {
  StartModem(/*gba_u=*/true);
  modem_->Signal(SIGUSR2);  // unplug
  for (int i = 0; i < 200 && fs::exists(link_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CommandResult gone = RunCli(absl::StrCat("card info --modem ", link_, " --json"));
  EXPECT_EQ(gone.exit_code, 3) << gone.output;
  EXPECT_EQ(nlohmann::json::parse(gone.out)["error"]["reason"], "NO_READER") << gone.output;
  modem_->Signal(SIGUSR2);  // plugged in again
  for (int i = 0; i < 200 && !fs::exists(link_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CommandResult back = RunCli(absl::StrCat("card info --modem ", link_, " --json"));
  EXPECT_EQ(back.exit_code, 0) << back.output;
}

TEST_F(ModemProcessTest, TheDaemonServesKeysOverTheModemAndFollowsTheSim) {
  StartModem(/*gba_u=*/true);
  StartBsf();
  testing::GbabridgedOptions options;
  options.bsf_url = bsf_->ub_url();
  options.modem_port = link_;
  absl::StatusOr<std::unique_ptr<testing::GbabridgedProcess>> daemon =
      testing::GbabridgedProcess::Start(dir_, options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  daemon_ = std::move(*daemon);
  const std::string connect = absl::StrCat(" --connect ", daemon_->target());
  const std::string naf_key =
      "naf-key --naf mef.example.com --tls-suite 0x00AE --json --show-key" + connect;

  CommandResult first = RunCli(naf_key);
  ASSERT_EQ(first.exit_code, 0) << first.output << daemon_->ReadLog();
  nlohmann::json key = nlohmann::json::parse(first.out);
  EXPECT_EQ(key["gba_mode"], "GBA_U");
  EXPECT_EQ(key["key"], ZnKey(key["btid"], /*gba_u_aware=*/true));

  // The SIM leaves the modem: the daemon wipes the session and says there is no card.
  modem_->Signal(SIGUSR1);
  const CommandResult removed = RunCliUntil(naf_key, /*want_success=*/false);
  EXPECT_EQ(removed.exit_code, 3) << removed.output;
  // Back in: a new bootstrap, a new B-TID.
  modem_->Signal(SIGUSR1);
  const CommandResult again = RunCliUntil(naf_key, /*want_success=*/true);
  ASSERT_EQ(again.exit_code, 0) << again.output << daemon_->ReadLog();
  nlohmann::json second = nlohmann::json::parse(again.out);
  EXPECT_NE(second["btid"], key["btid"]) << "the session did not survive the removal";
  EXPECT_EQ(second["key"], ZnKey(second["btid"], /*gba_u_aware=*/true));
  EXPECT_THAT(daemon_->ReadLog(), HasSubstr("AT+CGLA on logical channel"));

  // The modem is unplugged (its pty goes away): the same as a removed card, the session is
  // wiped; plugged in again (a new pty behind the same link), a new bootstrap.
  modem_->Signal(SIGUSR2);
  const CommandResult unplugged = RunCliUntil(naf_key, /*want_success=*/false);
  EXPECT_EQ(unplugged.exit_code, 3) << unplugged.output;
  modem_->Signal(SIGUSR2);
  const CommandResult replugged = RunCliUntil(naf_key, /*want_success=*/true, 80);
  ASSERT_EQ(replugged.exit_code, 0) << replugged.output << daemon_->ReadLog();
  nlohmann::json third = nlohmann::json::parse(replugged.out);
  EXPECT_NE(third["btid"], second["btid"]) << "the session survived the unplug";
  EXPECT_EQ(third["key"], ZnKey(third["btid"], /*gba_u_aware=*/true));
  const std::string log = daemon_->ReadLog();
  size_t removals = 0;
  for (size_t at = log.find("card removed from reader"); at != std::string::npos;
       at = log.find("card removed from reader", at + 1)) {
    ++removals;
  }
  EXPECT_GE(removals, 2u) << "the SIM's removal and the unplug each as a removal event:\n" << log;
}

}  // namespace
}  // namespace gbabridge
