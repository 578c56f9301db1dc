// Test harness: a private pcscd with the vsmartcard vpcd driver on a free port, and
// soft-usim processes that plug into it as virtual cards (gba-facts §10).
//
// pcscd's client socket is always /run/pcscd/pcscd.comm, so only one pcscd can run on a
// machine: tests using this harness are serialised by CTest (RESOURCE_LOCK pcscd), and the
// harness refuses to start when a pcscd it did not start is already running.
#ifndef GBABRIDGE_TESTS_INTEGRATION_PCSC_SANDBOX_H_
#define GBABRIDGE_TESTS_INTEGRATION_PCSC_SANDBOX_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gbabridge::testing {

// A child process, stopped (SIGTERM, then SIGKILL) when destroyed.
class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::filesystem::path& log_file);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();
  void Kill(int signal);    // sends the signal and reaps the child
  void Signal(int signal);  // sends the signal; the child goes on
  void Stop();              // SIGTERM, wait up to 5 s, then SIGKILL
  // How the reaped child ended: its exit code, or -signal; nullopt while not reaped.
  std::optional<int> exit_status() const { return exit_status_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  void Reaped(int wait_status);
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// The pid of a running pcscd, if any (found through /proc).
std::vector<pid_t> RunningPcscdPids();

class PcscSandbox {
 public:
  // Starts pcscd on a free vpcd port and waits until its readers show up.
  static absl::StatusOr<std::unique_ptr<PcscSandbox>> Start();
  ~PcscSandbox();

  int vpcd_port() const { return port_; }
  std::string vpcd_address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }
  static constexpr const char* kReaderName = "Virtual PCD 00 00";

  // Starts soft-usim against this pcscd; `extra` e.g. {"--t0"}.
  absl::StatusOr<ChildProcess> StartSoftUsim(const std::filesystem::path& profile,
                                             const std::filesystem::path& state,
                                             const std::vector<std::string>& extra = {});
  // Waits until the reader reports a card (present = true) or no card (false).
  absl::Status WaitForCard(bool present,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Stops and starts pcscd again on the same port (for restart tests).
  absl::Status RestartPcscd();
  void StopPcscd();
  // Starts pcscd again after StopPcscd() (for outage tests), on the same vpcd port.
  absl::Status StartPcscd();

 private:
  PcscSandbox() = default;

  std::filesystem::path dir_;
  int port_ = 0;
  std::optional<ChildProcess> pcscd_;
};

// Writes a soft-usim profile (TOML) with TS 35.208 test-set-1 keys and returns its path.
std::filesystem::path WriteTestProfile(const std::filesystem::path& dir, bool gba_u,
                                       bool pin_enabled = false);

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_PCSC_SANDBOX_H_
