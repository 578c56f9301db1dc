// bsf-sim and SIGHUP (a closed terminal, `systemctl reload`): logged and ignored; the BSF
// keeps its sessions and goes on serving.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/simulated_ue.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;

std::string Logs(const fs::path& dir) {
  std::string logs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    logs += text.str();
  }
  return logs;
}

TEST(BsfSimSignalTest, SighupIsIgnoredAndTheBsfKeepsServing) {
  char tmpl[] = "/tmp/gbabridge-bsfhup-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  std::vector<UeCredentials> ues = MakeTestSubscribers(1);
  BsfSimOptions options;
  options.subscribers_json = SubscriberImportJson(ues);
  absl::StatusOr<std::unique_ptr<BsfSimProcess>> bsf = BsfSimProcess::Start(dir, options);
  ASSERT_TRUE(bsf.ok()) << bsf.status();
  const std::string url = (*bsf)->ub_url();
  int port = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 2), &port));
  SimulatedUe ue("127.0.0.1", port);
  ASSERT_TRUE(ue.Bootstrap(ues[0]).ok());

  ASSERT_EQ(::kill((*bsf)->pid(), SIGHUP), 0);
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    logged = Logs(dir).find("SIGHUP ignored") != std::string::npos;
  }
  EXPECT_TRUE(logged) << Logs(dir);
  EXPECT_EQ(::kill((*bsf)->pid(), 0), 0) << "SIGHUP stopped bsf-sim";
  EXPECT_TRUE(ue.Bootstrap(ues[0]).ok()) << "bsf-sim no longer serves after SIGHUP";
  bsf->reset();
  if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir);
}

}  // namespace
}  // namespace gbabridge::testing
