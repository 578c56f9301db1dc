#include "tests/e2e/gbabridged_process.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace gbabridge::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

absl::StatusOr<std::unique_ptr<GbabridgedProcess>> GbabridgedProcess::Start(
    const fs::path& dir, GbabridgedOptions options) {
  auto daemon = std::unique_ptr<GbabridgedProcess>(new GbabridgedProcess());
  static int generation = 0;
  ++generation;
  daemon->socket_ = dir / absl::StrCat("gbabridged-", generation, ".sock");
  daemon->log_ = dir / absl::StrCat("gbabridged-", generation, ".log");
  const fs::path config = dir / absl::StrCat("gbabridged-", generation, ".toml");
  daemon->config_ = config;
  {
    std::ofstream out(config);
    if (options.modem_port.empty()) {
      out << "[card]\nreader = \"" << options.reader << "\"\n\n";
    } else {
      out << "[card]\ntransport = \"modem\"\nmodem_port = \"" << options.modem_port << "\"\n"
          << "modem_lock_dir = \"" << dir.string() << "\"\n"
          << "modem_command_timeout_seconds = 3\n\n";
    }
    out << "[bsf]\nurl = \"" << options.bsf_url << "\"\n\n"
        << "[session]\nrefresh_margin_seconds = " << options.refresh_margin_seconds << "\n\n"
        << "[listen]\nunix_socket = \"" << daemon->socket_.string() << "\"\n"
        << "unix_socket_mode = \"" << options.socket_mode << "\"\n\n"
        << "[log]\nlevel = \"" << options.log_level << "\"\n\n"
        << options.clients << "\n";
  }
  std::vector<std::string> argv = options.launcher;
  argv.insert(argv.end(), {options.binary, "--config", config.string()});
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv, daemon->log_);
  if (!child.ok()) return child.status();
  daemon->process_.emplace(std::move(*child));
  const std::regex ready(R"(READY unix=(\S+))");
  for (int i = 0; i < 400; ++i) {
    const std::string content = daemon->ReadLog();
    if (std::regex_search(content, ready)) return daemon;
    if (!daemon->process_->running()) {
      return absl::InternalError(absl::StrCat("gbabridged exited at start:\n", content));
    }
    std::this_thread::sleep_for(25ms);
  }
  return absl::DeadlineExceededError("gbabridged did not print READY within 10 s");
}

std::optional<int> GbabridgedProcess::Stop() {
  if (!process_.has_value()) return std::nullopt;
  process_->Stop();
  return process_->exit_status();
}

std::string GbabridgedProcess::ReadLog() const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<gbabridge::v1::GbaBridge::Stub> GbabridgedProcess::NewStub() const {
  return gbabridge::v1::GbaBridge::NewStub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
}

int CountApdus(const fs::path& apdu_log, const std::string& name) {
  std::ifstream in(apdu_log);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    if (name.empty() || line.find(" " + name) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace gbabridge::testing
