// Test harness: a gbabridged process on a private Unix socket, configured by a TOML file
// written into the test's directory, and a gRPC stub connected to it over that socket.
#ifndef GBABRIDGE_TESTS_E2E_GBABRIDGED_PROCESS_H_
#define GBABRIDGE_TESTS_E2E_GBABRIDGED_PROCESS_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "tests/integration/pcsc_sandbox.h"

namespace gbabridge::testing {

struct GbabridgedOptions {
  // The program: gbabridged, or a build of it with extras (the benchmarks' gbabridged-bench).
  std::string binary = GBABRIDGE_DAEMON_BIN;
  std::string log_level = "debug";
  std::string reader = PcscSandbox::kReaderName;
  // Non-empty: the card is in a (simulated) modem on this AT port, not in `reader`.
  std::string modem_port = "";
  std::string bsf_url = "";
  // [[client]] entries, verbatim TOML. The default lets uid 0 (the test runner) have any
  // NAF under example.com with any Ua id.
  std::string clients = R"([[client]]
name = "test-runner"
uids = [0]
naf_patterns = ["mef.example.com", "other.example.com", "*.example.com"]
ua_ids = ["*"]
may_read_impi = true
)";
  std::string socket_mode = "0660";
  int refresh_margin_seconds = 60;
  std::vector<std::string> extra_args = {};
  // Put before the program on the command line, e.g. {"env", "LD_PRELOAD=..."} to run it
  // under libfaketime.
  std::vector<std::string> launcher = {};
};

class GbabridgedProcess {
 public:
  static absl::StatusOr<std::unique_ptr<GbabridgedProcess>> Start(const std::filesystem::path& dir,
                                                                  GbabridgedOptions options);

  // SIGTERM and wait; returns the exit status (0 on a clean shutdown).
  std::optional<int> Stop();

  const std::filesystem::path& socket_path() const { return socket_; }
  std::string target() const { return "unix:" + socket_.string(); }
  const std::filesystem::path& log_path() const { return log_; }
  // The --config file it was started with (a test may rewrite it, then send SIGHUP).
  const std::filesystem::path& config_path() const { return config_; }
  std::string ReadLog() const;
  pid_t pid() const { return process_->pid(); }

  std::unique_ptr<gbabridge::v1::GbaBridge::Stub> NewStub() const;

 private:
  GbabridgedProcess() = default;

  std::filesystem::path socket_;
  std::filesystem::path log_;
  std::filesystem::path config_;
  std::optional<ChildProcess> process_;
};

// Lines of soft-usim's --apdu-log whose command name is `name` (e.g. "AUTHENTICATE").
int CountApdus(const std::filesystem::path& apdu_log, const std::string& name = "");

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_E2E_GBABRIDGED_PROCESS_H_
