// The end-to-end tests' fixture: a private pcscd + vpcd with soft-usim as the card, bsf-sim
// on loopback HTTP (Ub) and gRPC (Zn), and gbabridged on a Unix socket, with helpers that
// call the daemon's gRPC API and watch its events.
#ifndef GBABRIDGE_TESTS_E2E_DAEMON_E2E_FIXTURE_H_
#define GBABRIDGE_TESTS_E2E_DAEMON_E2E_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/gbabridged_process.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/pcsc_sandbox.h"

namespace gbabridge::testing {

inline constexpr char kMef[] = "mef.example.com";
// Runs the rest of a shell command as uid/gid 65534 (nobody), with no supplementary groups.
inline constexpr char kAsNobody[] = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
inline const std::string kTlsUa("\x01\x00\x01\x00\xAE",
                                5);  // TS 33.222: TLS_PSK_WITH_AES_128_CBC_SHA256
inline const std::string kDigestUa("\x01\x00\x00\x00\x02", 5);  // TS 24.109 HTTP Digest

std::string ReadFile(const std::filesystem::path& path);
// The address in gba-tls-naf's "READY tls=HOST:PORT" line once its log has it (up to 10 s);
// empty if it never came.
std::string WaitForTlsNafReady(const std::filesystem::path& log);

struct CallResult {
  grpc::Status status;
  std::string reason;  // the gbabridge-error-reason trailer
  v1::GetNafKeyResponse response;
};

CallResult CallGetNafKey(v1::GbaBridge::Stub& stub, const std::string& naf, const std::string& ua,
                         bool force = false);
v1::GetStatusResponse GetStatus(v1::GbaBridge::Stub& stub);

// Reads WatchEvents on a thread; tests wait for a given event type.
class EventWatcher {
 public:
  explicit EventWatcher(v1::GbaBridge::Stub& stub);
  ~EventWatcher();
  // Waits for an event of `type` from index `from` on; returns its index.
  std::optional<size_t> WaitFor(v1::EventType type, size_t from = 0,
                                std::chrono::seconds timeout = std::chrono::seconds(15));
  v1::Event At(size_t i);

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::Event> events_;
};

class DaemonE2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts soft-usim as the card in the reader (`extra`: more soft-usim flags, e.g. --fault)
  // and waits until pcscd sees it.
  void PlugCard(bool pin_enabled = false, const std::vector<std::string>& extra = {});
  void StartBsf(BsfSimOptions options = {});
  // Starts gbabridged and waits until it has read the card.
  void StartDaemon(GbabridgedOptions options = {});
  // CLI arguments plus --daemon to this test's daemon.
  std::string Cli(const std::string& args);
  // The NAF's side of a key, over Zn, as that NAF (mef.example.com or other.example.com).
  bsf::v1::GetNafKeyResponse ZnKey(const std::string& btid, const std::string& naf = kMef,
                                   const std::string& ua = kTlsUa);

  std::filesystem::path dir_;
  std::filesystem::path apdu_log_;
  std::unique_ptr<PcscSandbox> sandbox_;
  std::optional<ChildProcess> card_;
  std::unique_ptr<BsfSimProcess> bsf_;
  std::unique_ptr<GbabridgedProcess> daemon_;
  std::unique_ptr<v1::GbaBridge::Stub> stub_;
};

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_E2E_DAEMON_E2E_FIXTURE_H_
