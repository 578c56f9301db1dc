// Test harness: a bsf-sim process on free loopback ports, with its own database, and a Zn
// client to ask it for NAF keys as a NAF would.
#ifndef GBABRIDGE_TESTS_INTEGRATION_BSF_SIM_PROCESS_H_
#define GBABRIDGE_TESTS_INTEGRATION_BSF_SIM_PROCESS_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "tests/integration/pcsc_sandbox.h"

namespace gbabridge::testing {

struct BsfSimOptions {
  // The program: bsf-sim, or a build of it with extras (the benchmarks' bsf-sim-bench).
  std::string binary = GBABRIDGE_BSF_SIM_BIN;
  // A whole subscriber file to import instead of the one test subscriber.
  std::string subscribers_json = "";
  // Appended to `bsf-sim serve` (e.g. {"--log-level", "warn"}).
  std::vector<std::string> extra_serve_args = {};
  // Put before the program on the `serve` command line, e.g. {"env", "LD_PRELOAD=..."} to
  // run it under libfaketime.
  std::vector<std::string> launcher = {};
  bool gba_u_subscriber = true;
  int lifetime_seconds = 3600;
  // Serve Ub over HTTPS with a fresh self-signed certificate for 127.0.0.1 (see ca_file()).
  bool ub_tls = false;
  // NAF FQDN -> token, for Zn's loopback token authentication.
  std::vector<std::pair<std::string, std::string>> naf_tokens = {
      {"mef.example.com", "mef-token"}, {"other.example.com", "other-token"}};
};

// A TCP port free on 127.0.0.1 now (for servers that cannot bind port 0 and report it,
// such as freeDiameter).
int FreeLoopbackTcpPort();

class BsfSimProcess {
 public:
  // Imports one subscriber (the test profile's IMSI and TS 35.208 set-1 keys) into a new
  // database in `dir`, then starts `bsf-sim serve` on 127.0.0.1 port 0 and waits for READY.
  static absl::StatusOr<std::unique_ptr<BsfSimProcess>> Start(const std::filesystem::path& dir,
                                                              BsfSimOptions options = {});
  // Kills (SIGKILL) and starts again on the same database and ports.
  absl::Status Restart();
  void Kill();

  std::string ub_url() const {
    return (options_.ub_tls ? "https://" : "http://") + ub_address_ + "/";
  }
  // The PEM certificate that Ub's TLS certificate chains to (empty without ub_tls).
  std::string ca_file() const { return options_.ub_tls ? (dir_ / "ub-cert.pem").string() : ""; }
  // Ub's "HOST:PORT" (what TamperingBsfProxy forwards to).
  const std::string& ub_address() const { return ub_address_; }
  const std::string& zn_address() const { return zn_address_; }
  pid_t pid() const { return process_->pid(); }

  // Zn GetNafKey as the NAF owning `token`.
  grpc::Status GetNafKey(const std::string& token, const bsf::v1::GetNafKeyRequest& request,
                         bsf::v1::GetNafKeyResponse* response);

 private:
  BsfSimProcess() = default;
  absl::Status Serve(const std::string& ub_listen, const std::string& zn_listen);

  std::filesystem::path dir_;
  BsfSimOptions options_;
  std::string ub_address_;
  std::string zn_address_;
  std::optional<ChildProcess> process_;
  int log_generation_ = 0;
};

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_BSF_SIM_PROCESS_H_
