// bsf-sim killed with SIGKILL in the middle of a load of bootstraps, then restarted on the
// same database: no SQN is ever handed out twice (each is committed before its challenge
// leaves, TS 33.102 §6.3.2 and C.3.2), and every bootstrap that got its 200 before the kill
// is, on Zn, either still valid or cleanly NOT_FOUND (sessions live in memory).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/simulated_ue.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kUes = 8;
constexpr int kWorkers = 4;

class BsfSimCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gbabridge-bsfcrash-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
  }

  // Bootstraps from kWorkers threads until `stop`; records every SQN a challenge carried
  // (in `phase`) and every B-TID that got its 200.
  void Load(int port, const std::atomic<bool>& stop, int phase) {
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        SimulatedUe client("127.0.0.1", port);
        for (int i = 0; !stop; ++i) {
          const UeCredentials& ue = ues_[static_cast<size_t>(w + (i % 2) * kWorkers)];
          uint64_t sqn = 0;
          absl::StatusOr<std::string> btid = client.Bootstrap(ue, &sqn);
          std::lock_guard<std::mutex> lock(mu_);
          if (sqn != 0) sqns_[ue.impi].push_back({phase, sqn});
          if (btid.ok()) {
            btids_before_kill_.push_back(*btid);
          } else {
            std::this_thread::sleep_for(5ms);  // the BSF is down: do not spin
          }
        }
      });
    }
    for (std::thread& t : workers) t.join();
  }

  fs::path dir_;
  std::vector<UeCredentials> ues_ = MakeTestSubscribers(kUes);
  std::mutex mu_;
  std::map<std::string, std::vector<std::pair<int, uint64_t>>> sqns_;
  std::vector<std::string> btids_before_kill_;
};

TEST_F(BsfSimCrashTest, SigkillUnderLoadReusesNoSqnAndLeavesNoHalfSession) {
  BsfSimOptions options;
  options.subscribers_json = SubscriberImportJson(ues_);
  options.extra_serve_args = {"--log-level", "warn"};
  absl::StatusOr<std::unique_ptr<BsfSimProcess>> bsf = BsfSimProcess::Start(dir_, options);
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  const std::string url = (*bsf)->ub_url();
  int port = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 2), &port));

  std::atomic<bool> stop{false};
  std::thread load([&] { Load(port, stop, /*phase=*/0); });
  std::this_thread::sleep_for(800ms);
  (*bsf)->Kill();  // SIGKILL, mid-load
  std::this_thread::sleep_for(100ms);
  stop = true;
  load.join();
  size_t before;
  {
    std::lock_guard<std::mutex> lock(mu_);
    before = btids_before_kill_.size();
  }
  ASSERT_GT(before, 20u) << "too few bootstraps before the kill to mean anything";

  ASSERT_TRUE((*bsf)->Restart().ok());
  stop = false;
  std::thread again([&] { Load(port, stop, /*phase=*/1); });
  std::this_thread::sleep_for(400ms);
  stop = true;
  again.join();

  for (const auto& [impi, seen] : sqns_) {
    std::map<uint64_t, int> count;
    uint64_t max_before = 0, min_after = UINT64_MAX;
    for (const auto& [phase, sqn] : seen) {
      ++count[sqn];
      if (phase == 0) max_before = std::max(max_before, sqn);
      if (phase == 1) min_after = std::min(min_after, sqn);
    }
    for (const auto& [sqn, n] : count) EXPECT_EQ(n, 1) << impi << ": SQN " << sqn << " reused";
    EXPECT_GT(min_after, max_before) << impi << ": an SQN after the restart is not fresh";
  }

  // Sessions do not survive the kill: each B-TID that got its 200 before it is NOT_FOUND on
  // Zn (or still valid), never an error of another kind.
  const std::string ua("\x01\x00\x01\x00\xAE", 5);  // TS 33.220 H.3: TLS
  for (size_t i = 0; i < before; i += std::max<size_t>(1, before / 20)) {
    bsf::v1::GetNafKeyRequest request;
    request.set_btid(btids_before_kill_[i]);
    request.set_naf_fqdn("mef.example.com");
    request.set_ua_security_protocol_id(ua);
    bsf::v1::GetNafKeyResponse response;
    const grpc::Status status = (*bsf)->GetNafKey("mef-token", request, &response);
    EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND)
        << btids_before_kill_[i] << ": " << status.error_message();
  }
}

}  // namespace
}  // namespace gbabridge::testing
