#include "tests/integration/bsf_sim_process.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace gbabridge::testing {

int FreeLoopbackTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

namespace fs = std::filesystem;
using namespace std::chrono_literals;

absl::StatusOr<std::unique_ptr<BsfSimProcess>> BsfSimProcess::Start(const fs::path& dir,
                                                                    BsfSimOptions options) {
  auto bsf = std::unique_ptr<BsfSimProcess>(new BsfSimProcess());
  bsf->dir_ = dir;
  bsf->options_ = std::move(options);
  const fs::path subscribers = dir / "subscribers.json";
  {
    std::ofstream out(subscribers);
    if (!bsf->options_.subscribers_json.empty()) out << bsf->options_.subscribers_json;
    // TEST KEYS ONLY: TS 35.208 test set 1, as on the soft-usim test profile.
    else
      out << R"({"subscribers": [{"imsi": "001010123456789", "mnc_length": 2,)"
          << R"( "k": "465b5ce8b199b49faa5f0a2ee238a6bc",)"
          << R"( "opc": "cd63cb71954a9f4e48a5994e37a02baf", "amf": "8000",)"
          << R"( "gba_u": )" << (bsf->options_.gba_u_subscriber ? "true" : "false") << "}]}\n";
  }
  {
    absl::StatusOr<ChildProcess> import =
        ChildProcess::Start({bsf->options_.binary, "subscribers", "import", subscribers.string(),
                             "--db", (dir / "hss.db").string()},
                            dir / "bsf-sim-import.log");
    if (!import.ok()) return import.status();
    // A large benchmark import takes a while; the one test subscriber takes milliseconds.
    for (int i = 0; i < 4800 && import->running(); ++i) std::this_thread::sleep_for(25ms);
    if (import->running()) return absl::DeadlineExceededError("bsf-sim import hung");
  }
  if (bsf->options_.ub_tls) {
    // A throw-away self-signed certificate, made with the openssl CLI.
    const std::string command = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ",
        (dir / "ub-key.pem").string(), " -out ", (dir / "ub-cert.pem").string(),
        " >/dev/null 2>&1");
    if (std::system(command.c_str()) != 0) {
      return absl::InternalError("openssl could not make a test certificate");
    }
  }
  absl::Status s = bsf->Serve("127.0.0.1:0", "127.0.0.1:0");
  if (!s.ok()) return s;
  return bsf;
}

absl::Status BsfSimProcess::Serve(const std::string& ub_listen, const std::string& zn_listen) {
  const fs::path log = dir_ / absl::StrCat("bsf-sim-", ++log_generation_, ".log");
  std::vector<std::string> argv = options_.launcher;
  argv.insert(argv.end(),
              {options_.binary, "serve", "--ub-listen", ub_listen, "--zn-listen", zn_listen, "--db",
               (dir_ / "hss.db").string(), "--bsf-name", "bsf.test.example", "--lifetime",
               std::to_string(options_.lifetime_seconds)});
  if (options_.ub_tls) {
    argv.insert(argv.end(), {"--ub-tls-cert", (dir_ / "ub-cert.pem").string(), "--ub-tls-key",
                             (dir_ / "ub-key.pem").string()});
  }
  argv.insert(argv.end(), options_.extra_serve_args.begin(), options_.extra_serve_args.end());
  for (const auto& [naf, token] : options_.naf_tokens) {
    argv.push_back("--naf-token");
    argv.push_back(naf + "=" + token);
  }
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv, log);
  if (!child.ok()) return child.status();
  process_.emplace(std::move(*child));
  const std::regex ready(R"(READY ub=(\S+) zn=(\S+))");
  for (int i = 0; i < 400; ++i) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    std::smatch m;
    if (std::regex_search(content, m, ready)) {
      ub_address_ = m[1];
      zn_address_ = m[2];
      return absl::OkStatus();
    }
    if (!process_->running()) {
      return absl::InternalError(absl::StrCat("bsf-sim exited at start:\n", content));
    }
    std::this_thread::sleep_for(25ms);
  }
  return absl::DeadlineExceededError("bsf-sim did not print READY within 10 s");
}

absl::Status BsfSimProcess::Restart() {
  Kill();
  // Same ports, so that clients configured with the old URL find it again.
  return Serve(ub_address_, zn_address_);
}

void BsfSimProcess::Kill() {
  if (process_.has_value()) process_->Kill(SIGKILL);
}

grpc::Status BsfSimProcess::GetNafKey(const std::string& token,
                                      const bsf::v1::GetNafKeyRequest& request,
                                      bsf::v1::GetNafKeyResponse* response) {
  auto channel = grpc::CreateChannel(zn_address_, grpc::InsecureChannelCredentials());
  auto stub = bsf::v1::Zn::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  return stub->GetNafKey(&context, request, response);
}

}  // namespace gbabridge::testing
