#include "tests/e2e/daemon_e2e_fixture.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace gbabridge::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string WaitForTlsNafReady(const fs::path& log) {
  const std::regex ready(R"(READY tls=(\S+))");
  for (int i = 0; i < 400; ++i) {
    const std::string text = ReadFile(log);
    std::smatch m;
    if (std::regex_search(text, m, ready)) return m[1].str();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return "";
}

CallResult CallGetNafKey(v1::GbaBridge::Stub& stub, const std::string& naf, const std::string& ua,
                         bool force) {
  v1::GetNafKeyRequest request;
  request.set_naf_fqdn(naf);
  request.set_ua_security_protocol_id(ua);
  request.set_force_bootstrap(force);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  CallResult result;
  result.status = stub.GetNafKey(&context, request, &result.response);
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("gbabridge-error-reason"); it != trailers.end()) {
    result.reason = std::string(it->second.data(), it->second.size());
  }
  return result;
}

v1::GetStatusResponse GetStatus(v1::GbaBridge::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::GetStatusResponse status;
  EXPECT_TRUE(stub.GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  return status;
}

EventWatcher::EventWatcher(v1::GbaBridge::Stub& stub) {
  reader_ = stub.WatchEvents(&context_, v1::WatchEventsRequest());
  thread_ = std::thread([this] {
    v1::Event event;
    while (reader_->Read(&event)) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    }
  });
}

EventWatcher::~EventWatcher() {
  context_.TryCancel();
  thread_.join();
}

std::optional<size_t> EventWatcher::WaitFor(v1::EventType type, size_t from,
                                            std::chrono::seconds timeout) {
  std::unique_lock lock(mu_);
  std::optional<size_t> found;
  cv_.wait_for(lock, timeout, [&] {
    for (size_t i = from; i < events_.size(); ++i) {
      if (events_[i].type() == type) {
        found = i;
        return true;
      }
    }
    return false;
  });
  return found;
}

v1::Event EventWatcher::At(size_t i) {
  std::lock_guard lock(mu_);
  return events_.at(i);
}

void DaemonE2eTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: pcscd's socket is in /run/pcscd";
  char tmpl[] = "/tmp/gbabridge-e2e-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  // The peer-uid tests run the CLI as `nobody`, which must reach the socket in here.
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  auto sandbox = PcscSandbox::Start();
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  sandbox_ = std::move(*sandbox);
  apdu_log_ = dir_ / "apdu.log";
  PlugCard();
}

void DaemonE2eTest::TearDown() {
  daemon_.reset();
  card_.reset();
  bsf_.reset();
  sandbox_.reset();
  if (!dir_.empty() && !getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
}

void DaemonE2eTest::PlugCard(bool pin_enabled, const std::vector<std::string>& extra) {
  const fs::path profile = WriteTestProfile(dir_, /*gba_u=*/true, pin_enabled);
  std::vector<std::string> args = {"--apdu-log", apdu_log_.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  // The PIN lives in the card's state: a PIN-enabled card is a different card.
  auto card =
      sandbox_->StartSoftUsim(profile, dir_ / (pin_enabled ? "pin-card.json" : "card.json"), args);
  ASSERT_TRUE(card.ok()) << card.status();
  card_.emplace(std::move(*card));
  ASSERT_TRUE(sandbox_->WaitForCard(true).ok());
}

void DaemonE2eTest::StartBsf(BsfSimOptions options) {
  auto bsf = BsfSimProcess::Start(dir_, options);
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  bsf_ = std::move(*bsf);
}

void DaemonE2eTest::StartDaemon(GbabridgedOptions options) {
  if (options.bsf_url.empty() && bsf_ != nullptr) options.bsf_url = bsf_->ub_url();
  auto daemon = GbabridgedProcess::Start(dir_, options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  daemon_ = std::move(*daemon);
  stub_ = daemon_->NewStub();
  // The watcher reads the card once it sees it; wait so that APDU counts start clean.
  for (int i = 0; i < 200; ++i) {
    v1::GetStatusResponse status = GetStatus(*stub_);
    // A PIN-enabled card without the PIN cannot be read further (EF_IMSI needs PIN1).
    if (status.card_present() &&
        (!status.imsi_masked().empty() || status.pin_state() == v1::PIN_STATE_REQUIRED)) {
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  FAIL() << "the daemon never reported the card:\n" << daemon_->ReadLog();
}

std::string DaemonE2eTest::Cli(const std::string& args) {
  return absl::StrCat(args, " --daemon ", daemon_->target());
}

bsf::v1::GetNafKeyResponse DaemonE2eTest::ZnKey(const std::string& btid, const std::string& naf,
                                                const std::string& ua) {
  bsf::v1::GetNafKeyRequest request;
  request.set_btid(btid);
  request.set_naf_fqdn(naf);
  request.set_ua_security_protocol_id(ua);
  request.set_gba_u_aware(true);
  bsf::v1::GetNafKeyResponse response;
  // BsfSimOptions' default Zn tokens: each NAF may fetch keys for its own FQDN only.
  const std::string token = naf == "other.example.com" ? "other-token" : "mef-token";
  grpc::Status status = bsf_->GetNafKey(token, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

}  // namespace gbabridge::testing
