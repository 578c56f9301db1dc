#include "tests/integration/pcsc_sandbox.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "uicc/pcsc_transport.h"

extern char** environ;

namespace gbabridge::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// vpcd listens on port (reader 00 00) and port+1 (reader 00 01): both must be free.
absl::StatusOr<int> FindFreePortPair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd);
      continue;
    }
    close(fd);
    const int port = ntohs(addr.sin_port);
    if (port < 65535 && PortFree(port) && PortFree(port + 1)) return port;
  }
  return absl::UnavailableError("no free pair of TCP ports for vpcd");
}

std::string FindPcscd() {
  for (const char* candidate : {"/usr/sbin/pcscd", "/sbin/pcscd", "/usr/local/sbin/pcscd"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "pcscd";
}

}  // namespace

absl::StatusOr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                 const fs::path& log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), exit_status_(other.exit_status_) {
  other.pid_ = -1;
}

void ChildProcess::Reaped(int wait_status) {
  pid_ = -1;
  exit_status_ = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -WTERMSIG(wait_status);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = other.pid_;
    exit_status_ = other.exit_status_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    Reaped(status);
    return false;
  }
  return true;
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

void ChildProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) {
    Reaped(status);
  } else {
    pid_ = -1;
  }
}

void ChildProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      Reaped(status);
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  Kill(SIGKILL);
}

std::vector<pid_t> RunningPcscdPids() {
  std::vector<pid_t> pids;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state)) continue;
    if (comm == "(pcscd)" && state != "Z") pids.push_back(std::stoi(pid));
  }
  return pids;
}

absl::StatusOr<std::unique_ptr<PcscSandbox>> PcscSandbox::Start() {
  // Socket activation: no pcscd process yet, but systemd owns /run/pcscd/pcscd.comm and
  // would start the system pcscd on the first PC/SC call.
  if (std::system("command -v systemctl >/dev/null 2>&1 && "
                  "systemctl is-active --quiet pcscd.socket 2>/dev/null") == 0) {
    return absl::FailedPreconditionError(
        "systemd's pcscd.socket is active; pcscd's socket is global, so the integration tests "
        "cannot start their own pcscd. Stop it first (`systemctl stop pcscd.socket pcscd`).");
  }
  std::vector<pid_t> running = RunningPcscdPids();
  if (!running.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a pcscd (pid ", running.front(),
                     ") is already running; its socket /run/pcscd/pcscd.comm is global, so the "
                     "integration tests cannot start their own. Stop it first "
                     "(e.g. `systemctl stop pcscd.socket pcscd`)."));
  }
  auto sandbox = std::unique_ptr<PcscSandbox>(new PcscSandbox());
  char tmpl[] = "/tmp/gbabridge-pcsc-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  sandbox->dir_ = tmpl;
  absl::StatusOr<int> port = FindFreePortPair();
  if (!port.ok()) return port.status();
  sandbox->port_ = *port;
  fs::create_directories(sandbox->dir_ / "reader.conf.d");
  std::ofstream conf(sandbox->dir_ / "reader.conf.d" / "vpcd");
  char channel[16];
  snprintf(channel, sizeof(channel), "0x%04X", sandbox->port_);
  conf << "FRIENDLYNAME \"Virtual PCD\"\n"
       << "DEVICENAME /dev/null:" << channel << "\n"
       << "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
       << "CHANNELID " << channel << "\n";
  conf.close();
  absl::Status s = sandbox->StartPcscd();
  if (!s.ok()) return s;
  return sandbox;
}

absl::Status PcscSandbox::StartPcscd() {
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(
      {FindPcscd(), "--foreground", "-c", (dir_ / "reader.conf.d").string()}, dir_ / "pcscd.log");
  if (!child.ok()) return child.status();
  pcscd_.emplace(std::move(*child));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!pcscd_->running()) {
      return absl::InternalError(
          absl::StrCat("pcscd exited at start; see ", dir_.string(), "/pcscd.log"));
    }
    absl::StatusOr<std::vector<PcscReaderInfo>> readers = PcscTransport::ListReaders();
    if (readers.ok()) {
      for (const PcscReaderInfo& r : *readers) {
        if (r.name == kReaderName) return absl::OkStatus();
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return absl::DeadlineExceededError("pcscd did not list the vpcd reader within 10 s");
}

void PcscSandbox::StopPcscd() {
  if (pcscd_.has_value()) pcscd_->Stop();
  pcscd_.reset();
}

absl::Status PcscSandbox::RestartPcscd() {
  StopPcscd();
  return StartPcscd();
}

PcscSandbox::~PcscSandbox() {
  StopPcscd();
  std::error_code ignored;
  if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_, ignored);
}

absl::StatusOr<ChildProcess> PcscSandbox::StartSoftUsim(const fs::path& profile,
                                                        const fs::path& state,
                                                        const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      GBABRIDGE_SOFT_USIM_BIN, "--profile", profile.string(), "--state",
      state.string(),          "--vpcd",    vpcd_address()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return ChildProcess::Start(argv, dir_ / "soft-usim.log");
}

absl::Status PcscSandbox::WaitForCard(bool present, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<PcscReaderInfo>> readers = PcscTransport::ListReaders();
    if (readers.ok()) {
      for (const PcscReaderInfo& r : *readers) {
        if (r.name == kReaderName && r.card_present == present) return absl::OkStatus();
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("reader did not report card ", present ? "present" : "absent", " in time"));
}

fs::path WriteTestProfile(const fs::path& dir, bool gba_u, bool pin_enabled) {
  const fs::path path = dir / (gba_u ? "profile-gba-u.toml" : "profile-gba-me.toml");
  std::ofstream out(path);
  // TEST KEYS ONLY: K and OPc of 3GPP TS 35.208 test set 1.
  out << "imsi = \"001010123456789\"\n"
      << "iccid = \"8988211000000000017\"\n"
      << "k = \"465b5ce8b199b49faa5f0a2ee238a6bc\"\n"
      << "opc = \"cd63cb71954a9f4e48a5994e37a02baf\"\n"
      << "amf = \"8000\"\n"
      << "mnc_length = 2\n"
      << "pin = \"1234\"\n"
      << "pin_enabled = " << (pin_enabled ? "true" : "false") << "\n"
      << "gba_u = " << (gba_u ? "true" : "false") << "\n";
  return path;
}

}  // namespace gbabridge::testing
