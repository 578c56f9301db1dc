// End to end: soft-usim behind a private pcscd + vpcd, bsf-sim on loopback HTTP (Ub) and
// gRPC (Zn), and gbabridged on a Unix socket, driven through its gRPC API, the gbabridge CLI,
// the TLS-PSK example pair and the Python example, as the demo does (issue 4, §4 and §5).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/daemon_e2e_fixture.h"
#include "tests/e2e/gbabridged_process.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/faulty_bsf.h"
#include "tests/integration/pcsc_sandbox.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;
namespace v1 = gbabridge::v1;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// Demo steps 3-6: the CLI gets Ks_ext_NAF from the daemon, the NAF gets the same key over
// Zn, and the example device application and NAF complete a TLS-PSK handshake keyed with it
// (TS 33.222, gba-facts §8). oneM2M SER-004/005/006/019: the USIM's credentials and the
// network's GBA give the application its service-layer key through an API.
TEST_F(DaemonE2eTest, DemoPathCliKeyMatchesZnAndTlsPskHandshakeSucceeds) {
  StartBsf();
  StartDaemon();

  CommandResult cli =
      RunCli(Cli("naf-key --naf mef.example.com --tls-suite 0x00AE --json --show-key"));
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const nlohmann::json key = nlohmann::json::parse(cli.output.substr(cli.output.find('{')));
  const std::string btid = key.at("btid");
  EXPECT_EQ(key.at("gba_mode"), "GBA_U");
  EXPECT_EQ(key.at("psk_identity"), "3GPP-bootstrapping-uicc." + btid);

  const bsf::v1::GetNafKeyResponse zn = ZnKey(btid);
  EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), key.at("key").get<std::string>());

  // Without --show-key the key is not printed.
  CommandResult hidden = RunCli(Cli("naf-key --naf mef.example.com --tls-suite 0x00AE"));
  ASSERT_EQ(hidden.exit_code, 0) << hidden.output;
  EXPECT_THAT(hidden.output, HasSubstr(btid));
  EXPECT_THAT(hidden.output, Not(HasSubstr(key.at("key").get<std::string>())));

  CommandResult status = RunCli(Cli("status --json"));
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("00101"));

  // The TLS-PSK pair: the NAF looks the B-TID up over Zn.
  const fs::path naf_log = dir_ / "naf.log";
  auto naf =
      ChildProcess::Start({GBABRIDGE_TLS_NAF_BIN, "--listen", "127.0.0.1:0", "--naf-fqdn", kMef,
                           "--zn", bsf_->zn_address(), "--zn-token", "mef-token", "--once"},
                          naf_log);
  ASSERT_TRUE(naf.ok()) << naf.status();
  const std::string naf_address = WaitForTlsNafReady(naf_log);
  ASSERT_FALSE(naf_address.empty()) << ReadFile(naf_log);
  const CommandResult device = RunCommand(
      absl::StrCat(GBABRIDGE_TLS_DEVICE_BIN, " --daemon ", daemon_->target(), " --naf-host ", kMef,
                   " --connect ", naf_address, " --message 'meter reading 42'"));
  const std::string& device_out = device.output;
  EXPECT_EQ(device.exit_code, 0) << device_out << "\nNAF:\n" << ReadFile(naf_log);
  EXPECT_THAT(device_out, HasSubstr("meter reading 42"));
  EXPECT_THAT(device_out, HasSubstr(btid));

  // The Python example over the same socket, when Debian's python3-grpcio is installed.
  const fs::path stubs = fs::path(GBABRIDGE_PYTHON_STUBS_DIR);
  if (std::system("/usr/bin/python3 -c 'import grpc' 2>/dev/null") == 0 && fs::exists(stubs)) {
    const CommandResult py = RunCommand(
        absl::StrCat("PYTHONPATH=", stubs.string(), " /usr/bin/python3 ", GBABRIDGE_SOURCE_DIR,
                     "/examples/python/get_naf_key.py --socket ", daemon_->socket_path().string(),
                     " --naf mef.example.com --ua 01000100AE"));
    EXPECT_EQ(py.exit_code, 0) << py.output;
    EXPECT_THAT(py.output, HasSubstr(btid));
  }

  // No log of the run (daemon, bsf-sim, soft-usim, pcscd, examples) holds a secret of the
  // run, in hex (either case) or base64: the NAF keys, and what the card and the BSF
  // computed for this B-TID's RAND with the test subscriber's K and OPc (RES, CK, IK,
  // Ks = CK || IK), and K and OPc themselves.
  std::vector<std::pair<std::string, Bytes>> secrets = {
      {"Ks_ext_NAF", Bytes(zn.ks_naf().begin(), zn.ks_naf().end())},
      {"Ks_int_NAF", Bytes(zn.ks_int_naf().begin(), zn.ks_int_naf().end())}};
  {
    const SecretBytes k = *SecretBytes::FromHex("465b5ce8b199b49faa5f0a2ee238a6bc");
    const SecretBytes opc = *SecretBytes::FromHex("cd63cb71954a9f4e48a5994e37a02baf");
    absl::StatusOr<Bytes> rand = Base64Decode(btid.substr(0, btid.find('@')));
    ASSERT_TRUE(rand.ok() && rand->size() == kRandSize) << btid;
    Rand r{};
    std::copy(rand->begin(), rand->end(), r.begin());
    const MilenageF2345 keys = Milenage::Create(k, opc)->F2345(r);
    Bytes ks(keys.ck.view().begin(), keys.ck.view().end());
    ks.insert(ks.end(), keys.ik.view().begin(), keys.ik.view().end());
    for (auto& [name, value] :
         std::vector<std::pair<std::string, ByteView>>{{"K", k.view()},
                                                       {"OPc", opc.view()},
                                                       {"RES", keys.res.view()},
                                                       {"CK", keys.ck.view()},
                                                       {"IK", keys.ik.view()}}) {
      secrets.push_back({name, Bytes(value.begin(), value.end())});
    }
    secrets.push_back({"Ks", ks});
  }
  // This test's directory (gbabridged, bsf-sim, the CLI's and the examples' logs) and the
  // PC/SC sandbox's (pcscd, soft-usim).
  std::set<std::string> scanned;
  for (const fs::path& dir : {dir_, sandbox_->dir()}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
      scanned.insert(entry.path().filename().string());
      const std::string text = ReadFile(entry.path());
      for (const auto& [name, value] : secrets) {
        if (value.empty()) continue;
        std::string upper = HexEncode(value);
        for (char& c : upper) c = static_cast<char>(toupper(c));
        for (const std::string& form : {HexEncode(value), upper, Base64Encode(value)}) {
          EXPECT_THAT(text, Not(HasSubstr(form))) << name << " in " << entry.path();
        }
      }
    }
  }
  for (const char* expected : {"pcscd.log", "soft-usim.log", "naf.log"}) {
    EXPECT_TRUE(scanned.contains(expected)) << expected << " was not scanned";
  }
  EXPECT_GE(scanned.size(), 5u) << "the scan found too few logs to mean anything";
  // The audit line names the caller, the NAF and the B-TID.
  EXPECT_THAT(daemon_->ReadLog(), HasSubstr(btid));
}

// Single flight through the real stack: 100 concurrent GetNafKey calls on a cold daemon
// cause exactly one bootstrapping AUTHENTICATE on the card (and, in GBA_U, one NAF
// derivation AUTHENTICATE for Ks_ext_NAF); once cached, calls cost no APDU at all.
TEST_F(DaemonE2eTest, HundredConcurrentCallsOnAColdDaemonAuthenticateOnce) {
  StartBsf();
  StartDaemon();
  const int authenticate_before = CountApdus(apdu_log_, "GBA-BOOTSTRAP");

  std::vector<CallResult> results(100);
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] { results[i] = CallGetNafKey(*stub_, kMef, kTlsUa); });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> btids;
  for (const CallResult& r : results) {
    ASSERT_TRUE(r.status.ok()) << r.status.error_message() << " " << r.reason;
    btids.insert(r.response.btid());
    EXPECT_EQ(r.response.key(), results[0].response.key());
  }
  EXPECT_EQ(btids.size(), 1u);
  EXPECT_EQ(CountApdus(apdu_log_, "GBA-BOOTSTRAP") - authenticate_before, 1);
  // The key's NAF derivation and the TMPI's (TS 33.220 B.4: bsf-sim offers TMPI).
  EXPECT_EQ(CountApdus(apdu_log_, "GBA-NAF-DERIVATION"), 2);
  EXPECT_EQ(CountApdus(apdu_log_, "AUTHENTICATE"), 3);

  const int all_before = CountApdus(apdu_log_);
  threads.clear();
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] { results[i] = CallGetNafKey(*stub_, kMef, kTlsUa); });
  }
  for (std::thread& t : threads) t.join();
  for (const CallResult& r : results) ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(CountApdus(apdu_log_), all_before) << "a cached key must cost no APDU";
}

// Card hot-plug: removal emits CARD_REMOVED and wipes the session; keys are UNAVAILABLE
// until the card is back; reinsertion emits CARD_INSERTED and a new bootstrap follows.
TEST_F(DaemonE2eTest, CardRemovalMidStreamEmitsEventAndWipesTheSession) {
  StartBsf();
  StartDaemon();
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();

  EventWatcher watcher(*stub_);
  ASSERT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_SNAPSHOT).has_value());
  EXPECT_EQ(watcher.At(0).status().session_state(), v1::SESSION_STATE_VALID);

  card_->Kill(SIGKILL);  // vpcd reports the card gone
  std::optional<size_t> removed = watcher.WaitFor(v1::EVENT_TYPE_CARD_REMOVED);
  ASSERT_TRUE(removed.has_value()) << daemon_->ReadLog();
  v1::GetStatusResponse status = GetStatus(*stub_);
  EXPECT_FALSE(status.card_present());
  EXPECT_EQ(status.session_state(), v1::SESSION_STATE_NONE);
  EXPECT_EQ(status.card_error_reason(), "NO_CARD");
  CallResult none = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_EQ(none.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(none.reason, ::testing::AnyOf("NO_CARD", "CARD_REMOVED"));

  PlugCard();
  ASSERT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_CARD_INSERTED, *removed).has_value());
  CallResult again = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message() << " " << again.reason;
  EXPECT_NE(again.response.btid(), first.response.btid());
  EXPECT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_BOOTSTRAPPED, *removed).has_value());
}

// Session expiry: when the BSF's lifetime (minus the margin) runs out, the keys are wiped,
// SESSION_EXPIRED is sent, and the next GetNafKey bootstraps again.
TEST_F(DaemonE2eTest, SessionExpiryLeadsToANewBootstrap) {
  StartBsf({.lifetime_seconds = 6});
  StartDaemon({.refresh_margin_seconds = 2});
  EventWatcher watcher(*stub_);
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_TRUE(watcher.WaitFor(v1::EVENT_TYPE_SESSION_EXPIRED, 0, 20s).has_value())
      << daemon_->ReadLog();
  EXPECT_THAT(GetStatus(*stub_).session_state(),
              ::testing::AnyOf(v1::SESSION_STATE_EXPIRED, v1::SESSION_STATE_NONE));
  CallResult second = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_NE(second.response.btid(), first.response.btid());
  EXPECT_NE(second.response.key(), first.response.key());
}

// Authorisation over the real socket (oneM2M SER-022): an allowed caller, a NAF outside its
// patterns, a Ua id it may not use, a peer uid with no policy entry, and the rate limit.
TEST_F(DaemonE2eTest, PolicyDecidesPerCallerNafAndUaAndRateLimits) {
  StartBsf();
  StartDaemon({.clients = R"([[client]]
name = "root-tls-only"
uids = [0]
naf_patterns = ["mef.example.com"]
ua_ids = ["01000100AE"]
rate_limit = { requests = 4, per_seconds = 3600 }
)",
               .socket_mode = "0666"});
  CallResult allowed = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(allowed.status.ok()) << allowed.status.error_message();
  EXPECT_TRUE(allowed.response.impi().empty()) << "may_read_impi is off by default";

  CallResult other_naf = CallGetNafKey(*stub_, "other.example.com", kTlsUa);
  EXPECT_EQ(other_naf.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(other_naf.reason, "NAF_NOT_ALLOWED");
  CallResult other_ua = CallGetNafKey(*stub_, kMef, kDigestUa);
  EXPECT_EQ(other_ua.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(other_ua.reason, "UA_NOT_ALLOWED");

  // uid 65534 (nobody) reaches the 0666 socket but has no policy entry: default deny.
  CommandResult root_cli = RunCli(Cli("naf-key --naf mef.example.com --tls-suite 0x00AE"));
  EXPECT_EQ(root_cli.exit_code, 0) << root_cli.output;
  const CommandResult as_nobody = RunCommand(absl::StrCat(
      kAsNobody, GBABRIDGE_CLI_BIN, " ", Cli("naf-key --naf mef.example.com --tls-suite 0x00AE")));
  EXPECT_EQ(as_nobody.exit_code, 11) << as_nobody.output;
  EXPECT_THAT(as_nobody.output, HasSubstr("CALLER_NOT_ALLOWED"));

  // Rate limit: 4 per hour, and the allowed call plus the CLI call above used two (denied
  // requests are refused before the bucket).
  CallResult third = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_TRUE(third.status.ok()) << third.status.error_message() << " " << third.reason;
  CallResult limited;
  for (int i = 0; i < 3; ++i) {
    limited = CallGetNafKey(*stub_, kMef, kTlsUa);
    if (!limited.status.ok()) break;
  }
  EXPECT_EQ(limited.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limited.reason, "RATE_LIMITED");
  EXPECT_THAT(daemon_->ReadLog(), HasSubstr("NAF_NOT_ALLOWED"));
}

// ServerReflectionRequest{list_services = ""} (field 7, length-delimited, empty) on one
// stream; the first answer's bytes into `listed`. Returns the stream's final status.
grpc::Status ListServicesByReflection(grpc::GenericStub& generic, std::string* listed) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  const std::string list_services("\x3a\x00", 2);
  grpc::Slice slice(list_services);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  if (ok) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const auto& s : slices)
        listed->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(5)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// True once the daemon's log holds `text` (up to 10 s).
bool WaitForLogLine(const GbabridgedProcess& daemon, const std::string& text) {
  for (int i = 0; i < 400; ++i) {
    if (daemon.ReadLog().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// SIGHUP (systemctl reload): the new policy applies to the next call, a setting that needs a
// restart is named and kept, a broken file changes nothing, and the daemon never stops on it.
TEST_F(DaemonE2eTest, SighupReloadsThePolicyAndNamesWhatNeedsARestart) {
  StartBsf();
  StartDaemon({.clients = R"([[client]]
name = "test-runner"
uids = [0]
naf_patterns = ["other.example.com"]
ua_ids = ["*"]
)"});
  EXPECT_EQ(CallGetNafKey(*stub_, kMef, kTlsUa).reason, "NAF_NOT_ALLOWED");

  const std::filesystem::path config = daemon_->config_path();
  std::string text = ReadFile(config);
  const std::string running = text;
  // The policy now allows mef.example.com, and the reader changes (needs a restart).
  text = std::regex_replace(text, std::regex("other\\.example\\.com"), "mef.example.com");
  text = std::regex_replace(text, std::regex("reader = \"[^\"]*\""),
                            "reader = \"Some Other Reader 00 00\"");
  { std::ofstream(config) << text; }
  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLogLine(*daemon_, "configuration reloaded")) << daemon_->ReadLog();
  EXPECT_THAT(daemon_->ReadLog(),
              HasSubstr("changed, but kept as they were until gbabridged restarts: card.reader"));
  CallResult allowed = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_TRUE(allowed.status.ok()) << allowed.status.error_message() << " " << allowed.reason;

  // A file that does not parse: refused, and the policy just loaded stays.
  { std::ofstream(config) << running << "\n[card\n"; }
  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLogLine(*daemon_, "reload refused, the running configuration stays"))
      << daemon_->ReadLog();
  EXPECT_TRUE(CallGetNafKey(*stub_, kMef, kTlsUa).status.ok());

  const std::filesystem::path socket = daemon_->socket_path();
  EXPECT_EQ(daemon_->Stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(socket)) << "the socket file outlived the daemon";
}

// Type=notify: READY=1 once the socket accepts calls (with a STATUS= naming the card and
// the BSF), RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on SIGTERM. systemd's
// $NOTIFY_SOCKET is a datagram socket; this test plays systemd's part.
TEST_F(DaemonE2eTest, TellsSystemdWhenReadyReloadingAndStopping) {
  StartBsf();
  const std::filesystem::path notify = dir_ / "notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", notify.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  auto next_message = [fd]() -> std::string {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 10'000) != 1) return "(nothing within 10 s)";
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("(recv failed)");
  };
  StartDaemon({.launcher = {"env", "NOTIFY_SOCKET=" + notify.string()}});
  const std::string ready = next_message();
  EXPECT_THAT(ready, HasSubstr("READY=1"));
  EXPECT_THAT(ready, HasSubstr("card: PC/SC reader \"Virtual PCD 00 00\""));
  EXPECT_THAT(ready, HasSubstr("BSF: " + bsf_->ub_url()));
  EXPECT_THAT(daemon_->ReadLog(), HasSubstr("card: PC/SC reader \"Virtual PCD 00 00\"; BSF: "));

  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  EXPECT_THAT(next_message(), HasSubstr("RELOADING=1"));
  EXPECT_THAT(next_message(), HasSubstr("READY=1"));
  EXPECT_EQ(daemon_->Stop(), 0);
  EXPECT_THAT(next_message(), HasSubstr("STOPPING=1"));
  ::close(fd);
}

// `gbabridge doctor`: everything in place for the test runner; for a user outside the
// socket's group, the socket permission is named with what to do.
TEST_F(DaemonE2eTest, DoctorChecksEachPartAndSaysWhatToDo) {
  StartBsf();
  StartDaemon();
  const CommandResult fine = RunCli(Cli("doctor"));
  EXPECT_EQ(fine.exit_code, 0) << fine.output;
  EXPECT_THAT(fine.output, HasSubstr("[ ok ] pcscd: running"));
  EXPECT_THAT(fine.output, HasSubstr("\"Virtual PCD 00 00\" (card)"));
  EXPECT_THAT(fine.output, HasSubstr("its policy names you (uid 0"));
  EXPECT_THAT(fine.output, HasSubstr("[ ok ] PIN: DISABLED"));
  EXPECT_THAT(fine.output, HasSubstr("[ ok ] BSF: reachable at " + bsf_->ub_url()));
  EXPECT_THAT(fine.output, HasSubstr("everything gbabridge needs is in place"));

  const CommandResult misspelt = RunCli(Cli("doctor --reader \"Virtual PDC 00 00\""));
  EXPECT_EQ(misspelt.exit_code, 1) << misspelt.output;
  EXPECT_THAT(misspelt.output, HasSubstr("[FAIL] reader \"Virtual PDC 00 00\": no such reader"));

  const CommandResult as_nobody =
      RunCommand(absl::StrCat(kAsNobody, GBABRIDGE_CLI_BIN, " ", Cli("doctor --timeout 5")));
  EXPECT_EQ(as_nobody.exit_code, 1) << as_nobody.output;
  EXPECT_THAT(as_nobody.output, HasSubstr("no read/write permission for uid 65534"));
  EXPECT_THAT(as_nobody.output, HasSubstr("join the socket's group"));
}

// `status --check`: 0 while keys can be served; a misspelt reader is NO_READER with the
// names of the readers there are, and --check exits 3. `--stats` shows the counters. The
// old flag name --connect still works.
TEST_F(DaemonE2eTest, StatusCheckAndStatsTellTheTruth) {
  StartBsf();
  StartDaemon();
  ASSERT_TRUE(CallGetNafKey(*stub_, kMef, kTlsUa).status.ok());
  ASSERT_TRUE(CallGetNafKey(*stub_, kMef, kTlsUa).status.ok());
  EXPECT_EQ(CallGetNafKey(*stub_, "not.allowed.org", kTlsUa).reason, "NAF_NOT_ALLOWED");
  const CommandResult check = RunCli(Cli("status --check --stats --json"));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  const nlohmann::json j = nlohmann::json::parse(check.out);
  EXPECT_EQ(j["gba_u_capable"], true);
  EXPECT_EQ(j["stats"]["bootstraps"], 1);
  EXPECT_EQ(j["stats"]["keys_issued"], 2);
  EXPECT_EQ(j["stats"]["cache_hits"], 1);
  EXPECT_EQ(j["stats"]["errors_by_reason"]["NAF_NOT_ALLOWED"], 1);
  const CommandResult old_name =
      RunCli(absl::StrCat("status --stats --connect ", daemon_->target()));
  EXPECT_EQ(old_name.exit_code, 0) << old_name.output;
  EXPECT_THAT(old_name.out, HasSubstr("keys issued: 2 (1 from the cache)"));
  daemon_->Stop();

  GbabridgedOptions misspelt;
  misspelt.reader = "Virtual PDC 00 00";
  misspelt.bsf_url = bsf_->ub_url();
  absl::StatusOr<std::unique_ptr<GbabridgedProcess>> second =
      GbabridgedProcess::Start(dir_, misspelt);
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string target = (*second)->target();
  CommandResult status;
  for (int i = 0; i < 100; ++i) {
    status = RunCli(absl::StrCat("status --check --daemon ", target));
    if (status.output.find("NO_READER") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status.exit_code, 3) << status.output;
  EXPECT_THAT(status.output, HasSubstr("no reader named \"Virtual PDC 00 00\"; the readers are: "
                                       "\"Virtual PCD 00 00\""));
  EXPECT_THAT(status.output, HasSubstr("error: the daemon cannot serve keys"));
  (*second)->Stop();
}

// The socket is 0660 by default: a local user outside the group cannot even connect.
TEST_F(DaemonE2eTest, DefaultSocketModeKeepsOtherUsersOut) {
  StartBsf();
  StartDaemon();
  struct stat st {};
  ASSERT_EQ(stat(daemon_->socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  const CommandResult as_nobody =
      RunCommand(absl::StrCat(kAsNobody, GBABRIDGE_CLI_BIN, " ", Cli("status --timeout 5")));
  EXPECT_EQ(as_nobody.exit_code, 10) << as_nobody.output;
}

// Errors from the card and the network reach the caller as documented codes and reasons.
TEST_F(DaemonE2eTest, UnreachableBsfAndMissingPinAreReportedWithReasons) {
  StartDaemon({.bsf_url = "http://127.0.0.1:9/"});
  CallResult unreachable = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_EQ(unreachable.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(unreachable.reason, "BSF_UNREACHABLE");
  EXPECT_THAT(unreachable.status.error_message(), HasSubstr("127.0.0.1:9"));
  CallResult bad_naf = CallGetNafKey(*stub_, "not a fqdn", kTlsUa);
  EXPECT_EQ(bad_naf.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad_naf.reason, "INCORRECT_NAF_ID");
  CallResult bad_ua = CallGetNafKey(*stub_, kMef, "\x01\x00");
  EXPECT_EQ(bad_ua.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad_ua.reason, "SECURITY_PROTOCOL_NOT_SUPPORTED");
}

// A BSF that fails after the daemon bootstrapped (500 to everything, then a wrong rspauth):
// forced bootstraps fail with the BSF's reason within the Ub timeout, the daemon stays
// healthy, a cached key is still served (no APDU), and once the BSF behaves again the daemon
// bootstraps without a restart.
TEST_F(DaemonE2eTest, FailingBsfLeavesTheDaemonHealthyAndServingCachedKeys) {
  StartBsf();
  auto proxy = TamperingBsfProxy::Start(bsf_->ub_address(), std::nullopt);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  StartDaemon({.bsf_url = (*proxy)->url()});
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();

  (*proxy)->SetTamper(ReplyTamper::kEvery500);
  const auto start = std::chrono::steady_clock::now();
  CallResult forced = CallGetNafKey(*stub_, kMef, kTlsUa, /*force=*/true);
  EXPECT_FALSE(forced.status.ok());
  EXPECT_EQ(forced.reason, "BSF_MALFORMED_REPLY") << forced.status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 25s) << "beyond the Ub timeout";
  // No AUTHENTICATE ran, so the session stands: the cached key costs no card command.
  const int apdus = CountApdus(apdu_log_);
  CallResult cached = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(cached.status.ok()) << cached.status.error_message();
  EXPECT_EQ(cached.response.btid(), first.response.btid());
  EXPECT_EQ(cached.response.key(), first.response.key());
  EXPECT_EQ(CountApdus(apdu_log_), apdus);

  (*proxy)->SetTamper(ReplyTamper::kWrongRspauth);
  CallResult false_bsf = CallGetNafKey(*stub_, kMef, kTlsUa, /*force=*/true);
  EXPECT_FALSE(false_bsf.status.ok());
  EXPECT_EQ(false_bsf.reason, "BSF_NOT_AUTHENTIC") << false_bsf.status.error_message();
  EXPECT_TRUE(GetStatus(*stub_).card_present());

  (*proxy)->SetTamper(std::nullopt);
  CallResult recovered = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(recovered.status.ok()) << recovered.status.error_message();
  EXPECT_NE(recovered.response.btid(), first.response.btid());
  EXPECT_EQ(recovered.response.key(), ZnKey(recovered.response.btid()).ks_naf());
}

// pcscd killed and started again under a running daemon: the daemon follows it (no
// restart), sees the card again, and serves keys from a new bootstrap.
// While pcscd is away the status says so (PCSCD_NOT_RUNNING, not CARD_REMOVED), shows no
// made-up card fields, and `status --check` fails; once it is back, the card is read again.
TEST_F(DaemonE2eTest, APcscdOutageIsReportedAsSuchAndNotAsACardRemoval) {
  StartBsf();
  StartDaemon();
  sandbox_->StopPcscd();
  v1::GetStatusResponse during;
  for (int i = 0; i < 100; ++i) {
    during = GetStatus(*stub_);
    if (!during.card_error_reason().empty() && !during.card_present()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(during.card_error_reason(), "PCSCD_NOT_RUNNING") << during.card_error_message();
  EXPECT_FALSE(during.has_gba_u_capable()) << "GBA_U shown while no card can be read";
  const CommandResult check = RunCli(Cli("status --check"));
  EXPECT_EQ(check.exit_code, 3) << check.output;
  EXPECT_THAT(check.output, HasSubstr("[PCSCD_NOT_RUNNING]"));
  EXPECT_THAT(check.output, Not(HasSubstr("GBA_U: no")));

  ASSERT_TRUE(sandbox_->StartPcscd().ok());
  ASSERT_TRUE(sandbox_->WaitForCard(true).ok()) << "soft-usim did not reconnect to vpcd";
  v1::GetStatusResponse after;
  for (int i = 0; i < 200; ++i) {
    after = GetStatus(*stub_);
    if (after.card_present() && after.has_gba_u_capable()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(after.card_present()) << daemon_->ReadLog();
  EXPECT_TRUE(after.gba_u_capable());
  EXPECT_EQ(RunCli(Cli("status --check")).exit_code, 0);
}

TEST_F(DaemonE2eTest, PcscdRestartIsFollowedWithoutRestartingTheDaemon) {
  StartBsf();
  StartDaemon();
  CallResult first = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  const pid_t pid = daemon_->pid();

  ASSERT_TRUE(sandbox_->RestartPcscd().ok());
  ASSERT_TRUE(sandbox_->WaitForCard(true).ok()) << "soft-usim did not reconnect to vpcd";
  // The watcher notices the outage (and wipes the session), then finds the card again.
  bool present = false;
  for (int i = 0; i < 200 && !present; ++i) {
    std::this_thread::sleep_for(100ms);
    const v1::GetStatusResponse status = GetStatus(*stub_);
    present = status.card_present() && !status.imsi_masked().empty();
  }
  ASSERT_TRUE(present) << "the daemon never saw the card again:\n" << daemon_->ReadLog();
  CallResult again;
  for (int i = 0; i < 50; ++i) {
    again = CallGetNafKey(*stub_, kMef, kTlsUa);
    if (again.status.ok()) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(again.status.ok()) << again.reason << ": " << again.status.error_message() << "\n"
                                 << daemon_->ReadLog();
  EXPECT_EQ(again.response.key(), ZnKey(again.response.btid()).ks_naf());
  // A key not cached yet needs the card (GBA_U: derived on the UICC) through the new pcscd.
  CallResult other = CallGetNafKey(*stub_, "other.example.com", kTlsUa);
  EXPECT_TRUE(other.status.ok()) << other.reason << ": " << other.status.error_message();
  EXPECT_EQ(daemon_->pid(), pid);
  EXPECT_EQ(::kill(pid, 0), 0) << "the daemon is gone";
}

TEST_F(DaemonE2eTest, PinEnabledCardNeedsThePinFile) {
  card_.reset();
  ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
  PlugCard(/*pin_enabled=*/true);
  StartBsf();
  StartDaemon();
  CallResult no_pin = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_EQ(no_pin.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(no_pin.reason, "PIN_REQUIRED");
  ASSERT_EQ(daemon_->Stop(), 0);

  const fs::path pin_file = dir_ / "pin";
  std::ofstream(pin_file) << "1234\n";
  fs::permissions(pin_file, fs::perms::owner_read | fs::perms::owner_write);
  StartDaemon({.extra_args = {"--pin-file", pin_file.string()}});
  CallResult with_pin = CallGetNafKey(*stub_, kMef, kTlsUa);
  EXPECT_TRUE(with_pin.status.ok()) << with_pin.status.error_message() << " " << with_pin.reason;
}

// Keys live only in the daemon's locked memory: after a SIGTERM (clean exit 0, socket
// removed) nothing on disk holds the served key, and a new daemon has no session.
TEST_F(DaemonE2eTest, DaemonRestartLeavesNoKeyOnDisk) {
  StartBsf();
  StartDaemon();
  CallResult served = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  const std::string key = served.response.key();
  const std::string key_hex = HexEncode(AsBytes(key));
  EXPECT_EQ(daemon_->Stop(), 0);
  EXPECT_FALSE(fs::exists(daemon_->socket_path()));

  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string content = ReadFile(entry.path());
    EXPECT_THAT(content, Not(HasSubstr(key))) << entry.path();
    EXPECT_THAT(content, Not(HasSubstr(key_hex))) << entry.path();
  }
  if (fs::exists("/run/gbabridge")) {
    for (const auto& entry : fs::recursive_directory_iterator("/run/gbabridge")) {
      if (entry.is_regular_file()) {
        EXPECT_THAT(ReadFile(entry.path()), Not(HasSubstr(key))) << entry.path();
      }
    }
  }

  const int authenticate_before = CountApdus(apdu_log_, "GBA-BOOTSTRAP");
  StartDaemon();
  EXPECT_EQ(GetStatus(*stub_).session_state(), v1::SESSION_STATE_NONE);
  CallResult again = CallGetNafKey(*stub_, kMef, kTlsUa);
  ASSERT_TRUE(again.status.ok());
  EXPECT_NE(again.response.btid(), served.response.btid());
  EXPECT_EQ(CountApdus(apdu_log_, "GBA-BOOTSTRAP") - authenticate_before, 1);
}

// Operations: grpc.health.v1 answers SERVING, and server reflection lists the service (what
// grpcurl needs). Called with the generic stub, as those protos are not in Debian's -dev.
TEST_F(DaemonE2eTest, HealthAnswersAndReflectionIsOffByDefault) {
  StartDaemon({.bsf_url = "http://127.0.0.1:9/"});
  auto channel = grpc::CreateChannel(daemon_->target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);

  // HealthCheckRequest{service=""} is empty; HealthCheckResponse{status=SERVING(1)} = 08 01.
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::ByteBuffer request;  // empty message
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    grpc::ByteBuffer response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                      &response, [&](grpc::Status s) {
                        std::lock_guard lock(mu);
                        status = s;
                        done = true;
                        cv.notify_all();
                      });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(response.Dump(&slices).ok());
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  }

  // Reflection is off by default: it would answer any caller, outside the policy.
  std::string listed;
  EXPECT_EQ(ListServicesByReflection(generic, &listed).error_code(),
            grpc::StatusCode::UNIMPLEMENTED)
      << listed;
}

TEST_F(DaemonE2eTest, ReflectionAnswersWhenTurnedOn) {
  StartDaemon({.bsf_url = "http://127.0.0.1:9/", .extra_args = {"--reflection"}});
  auto channel = grpc::CreateChannel(daemon_->target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  std::string listed;
  const grpc::Status status = ListServicesByReflection(generic, &listed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(listed, HasSubstr("gbabridge.v1.GbaBridge"));
  EXPECT_THAT(listed, HasSubstr("grpc.health.v1.Health"));
}

}  // namespace
}  // namespace gbabridge::testing
