// Gbabridged embedded in the test: a soft USIM instead of PC/SC, a real Unix socket and a
// real TCP mutual-TLS listener. Checks the wiring: callers identified by peer credentials or
// client certificate, health service serving, socket removed and keys wiped on Shutdown.
#include "bootstrap/daemon/gbabridged.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../bsf_sim/bsf_sim_test_util.h"
#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/cli/status_command.h"
#include "bootstrap/wire/wire_error.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "gtest/gtest.h"
#include "uicc/in_process_transport.h"

namespace gbabridge::daemon {
namespace {

using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::TempDir;

constexpr char kReader[] = "Virtual PCD 00 00";

// One reader with a card; waits like SCardGetStatusChange so the watcher thread idles.
class OneCardReader : public CardPresenceSource {
 public:
  absl::StatusOr<std::vector<ReaderState>> Wait(absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!first_) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return interrupted_; });
    }
    first_ = false;
    interrupted_ = false;
    return std::vector<ReaderState>{{kReader, true, 1}};
  }
  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool first_ = true;
  bool interrupted_ = false;
};

class GbabridgedTest : public ::testing::Test {
 protected:
  void SetUp() override { card_ = MakeCard(dir_.File("card.state.json")); }

  DaemonConfig Config(std::string_view policy) {
    DaemonConfig config;
    config.unix_socket = dir_.File("run/gbabridged.sock");
    absl::StatusOr<Policy> parsed = Policy::Parse(policy, "test policy");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    config.policy = *std::move(parsed);
    return config;
  }

  // The in-process card in one reader; hardening (prctl and friends) only when asked, as it
  // changes the test process.
  GbabridgedHooks Hooks(bool harden_process = false) {
    GbabridgedHooks hooks;
    hooks.open_channel = [this]() -> absl::StatusOr<std::unique_ptr<CardTransport>> {
      return std::unique_ptr<CardTransport>(std::make_unique<InProcessTransport>(*card_));
    };
    hooks.reader_states = std::make_unique<OneCardReader>();
    hooks.harden_process = harden_process;
    return hooks;
  }

  std::unique_ptr<Gbabridged> StartDaemon(DaemonConfig config) {
    absl::StatusOr<std::unique_ptr<Gbabridged>> daemon =
        Gbabridged::Create(std::move(config), Hooks());
    EXPECT_TRUE(daemon.ok()) << daemon.status();
    if (!daemon.ok()) return nullptr;
    absl::Status started = (*daemon)->Start();
    EXPECT_TRUE(started.ok()) << started;
    // The watcher reads the card in its own thread.
    for (int i = 0; i < 500 && !(*daemon)->Snapshot().card_present; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return *std::move(daemon);
  }

  static std::string MyPolicy() {
    return absl::StrCat("[[client]]\nname = \"me\"\nuids = [", ::getuid(),
                        "]\nnaf_patterns = [\"naf.example.org\"]\nua_ids = [\"*\"]\n");
  }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
};

grpc::Status GetStatus(const std::shared_ptr<grpc::Channel>& channel,
                       gbabridge::v1::GetStatusResponse* response,
                       grpc::ClientContext* context = nullptr) {
  grpc::ClientContext local;
  if (context == nullptr) context = &local;
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return gbabridge::v1::GbaBridge::NewStub(channel)->GetStatus(
      context, gbabridge::v1::GetStatusRequest(), response);
}

// grpc.health.v1.Health/Check with an empty service name, through the generic stub (the
// health proto's C++ stubs are not installed). Returns the serialized response.
std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "";
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

TEST_F(GbabridgedTest, ServesItsCallersOnTheUnixSocketAndCleansUp) {
  std::unique_ptr<Gbabridged> daemon = StartDaemon(Config(MyPolicy()));
  ASSERT_NE(daemon, nullptr);
  const std::string path = daemon->unix_socket_path();
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(daemon->tcp_endpoint(), "");

  auto channel = grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
  gbabridge::v1::GetStatusResponse status;
  grpc::Status rpc = GetStatus(channel, &status);
  ASSERT_TRUE(rpc.ok()) << rpc.error_message();
  EXPECT_EQ(status.daemon_version(), kGbabridgedVersion);
  EXPECT_EQ(status.reader(), kReader);
  EXPECT_TRUE(status.card_present());
  EXPECT_EQ(status.imsi_masked(), "00101********89");
  EXPECT_EQ(status.bsf_url(), "https://bsf.mnc001.mcc001.pub.3gppnetwork.org/");
  EXPECT_EQ(status.session_state(), gbabridge::v1::SESSION_STATE_NONE);

  // grpc.health.v1: status SERVING (field 1 = 1).
  EXPECT_EQ(HealthCheck(channel), std::string("\x08\x01", 2));

  daemon->Shutdown();
  EXPECT_NE(::lstat(path.c_str(), &st), 0) << "the socket file is left behind";
  EXPECT_EQ(daemon->sessions().Status().last_invalidation, "shutdown");
  daemon->Shutdown();  // idempotent
}

// Hardening (threat model L5): the started daemon is not dumpable, so no core dump and no
// ptrace by other processes of its user. Run in a child process: it changes the process.
TEST_F(GbabridgedTest, HardeningMakesTheProcessNonDumpable) {
  if (::prctl(PR_GET_DUMPABLE) != 1) {
    GTEST_SKIP() << "this test process is already not dumpable (a sandbox?): nothing to show";
  }
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const int code = [&] {
          absl::StatusOr<std::unique_ptr<Gbabridged>> daemon =
              Gbabridged::Create(Config(MyPolicy()), Hooks(/*harden_process=*/true));
          if (!daemon.ok() || ::prctl(PR_GET_DUMPABLE) != 1) return 2;
          if (!(*daemon)->Start().ok()) return 3;
          const int dumpable = ::prctl(PR_GET_DUMPABLE);
          (*daemon)->Shutdown();
          return dumpable == 0 ? 0 : 1;
        }();
        // _Exit skips the fixture's clean-up: remove the child's own directory first.
        std::error_code ignored;
        std::filesystem::remove_all(dir_.path(), ignored);
        std::_Exit(code);
      },
      ::testing::ExitedWithCode(0), "");
}

// Requests are capped at 64 KiB before any of the daemon's code sees them (threat model L7).
TEST_F(GbabridgedTest, OversizedRequestsAreRefusedByTheTransport) {
  std::unique_ptr<Gbabridged> daemon = StartDaemon(Config(MyPolicy()));
  ASSERT_NE(daemon, nullptr);
  auto stub = gbabridge::v1::GbaBridge::NewStub(grpc::CreateChannel(
      "unix:" + daemon->unix_socket_path(), grpc::InsecureChannelCredentials()));
  gbabridge::v1::GetNafKeyRequest request;
  request.set_naf_fqdn(std::string(70 * 1024, 'a'));
  request.set_ua_security_protocol_id(std::string("\x01\x00\x01\x00\xAE", 5));
  gbabridge::v1::GetNafKeyResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const grpc::Status rpc = stub->GetNafKey(&context, request, &response);
  EXPECT_EQ(rpc.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << rpc.error_message();
  EXPECT_TRUE(response.key().empty());
  // The daemon is unharmed: the next call is answered.
  gbabridge::v1::GetStatusResponse status;
  EXPECT_TRUE(GetStatus(grpc::CreateChannel("unix:" + daemon->unix_socket_path(),
                                            grpc::InsecureChannelCredentials()),
                        &status)
                  .ok());
}

TEST_F(GbabridgedTest, CallersWithoutAPolicyEntryAreRefused) {
  std::unique_ptr<Gbabridged> daemon = StartDaemon(
      Config("[[client]]\nname = \"other\"\nuids = [4242424]\nnaf_patterns = [\"a.example\"]\n"
             "ua_ids = [\"*\"]\n"));
  ASSERT_NE(daemon, nullptr);
  auto channel =
      grpc::CreateChannel("unix:" + daemon->unix_socket_path(), grpc::InsecureChannelCredentials());
  gbabridge::v1::GetStatusResponse status;
  grpc::ClientContext context;
  grpc::Status rpc = GetStatus(channel, &status, &context);
  EXPECT_EQ(rpc.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto reason = context.GetServerTrailingMetadata().find(wire::kErrorReasonTrailer);
  ASSERT_NE(reason, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(reason->second.data(), reason->second.size()), "CALLER_NOT_ALLOWED");
}

TEST_F(GbabridgedTest, TcpListenerAcceptsOnlyVerifiedClientCertificates) {
  const bsf::testing::TestPki pki;
  const bsf::testing::KeyAndCert server = pki.Issue("localhost", "DNS:localhost,IP:127.0.0.1");
  const bsf::testing::KeyAndCert client = pki.Issue("gateway-agent", "");
  const bsf::testing::TestPki other_pki;
  const bsf::testing::KeyAndCert stranger = other_pki.Issue("gateway-agent", "");
  std::ofstream(dir_.File("server.pem")) << server.cert_pem;
  std::ofstream(dir_.File("server.key")) << server.key_pem;
  std::ofstream(dir_.File("clients-ca.pem")) << pki.ca_pem();

  DaemonConfig config = Config(
      "[[client]]\nname = \"agent\"\ncert_subjects = [\"CN=gateway-agent\"]\n"
      "naf_patterns = [\"naf.example.org\"]\nua_ids = [\"*\"]\n");
  config.tcp = "127.0.0.1:0";
  config.tls_cert_file = dir_.File("server.pem");
  config.tls_key_file = dir_.File("server.key");
  config.tls_client_ca_file = dir_.File("clients-ca.pem");
  std::unique_ptr<Gbabridged> daemon = StartDaemon(std::move(config));
  ASSERT_NE(daemon, nullptr);
  ASSERT_EQ(daemon->tcp_endpoint().rfind("127.0.0.1:", 0), 0u) << daemon->tcp_endpoint();
  EXPECT_NE(daemon->tcp_endpoint(), "127.0.0.1:0");

  auto connect = [&](const bsf::testing::KeyAndCert* identity) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = pki.ca_pem();
    if (identity != nullptr) {
      tls.pem_private_key = identity->key_pem;
      tls.pem_cert_chain = identity->cert_pem;
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(daemon->tcp_endpoint(), grpc::SslCredentials(tls), args);
  };

  gbabridge::v1::GetStatusResponse status;
  grpc::Status rpc = GetStatus(connect(&client), &status);
  ASSERT_TRUE(rpc.ok()) << rpc.error_message();
  EXPECT_TRUE(status.card_present());

  // No client certificate, or one from another CA: the handshake fails, no RPC runs.
  EXPECT_EQ(GetStatus(connect(nullptr), &status).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GetStatus(connect(&stranger), &status).error_code(), grpc::StatusCode::UNAVAILABLE);

  // The CLI's TLS client path against the real listener: `gbabridge status --connect
  // dns:127.0.0.1:PORT --tls-ca --tls-cert --tls-key --tls-server-name localhost`.
  std::ofstream(dir_.File("ca.pem")) << pki.ca_pem();
  std::ofstream(dir_.File("client.pem")) << client.cert_pem;
  std::ofstream(dir_.File("client.key")) << client.key_pem;
  cli::StatusOptions cli_options;
  cli_options.connection.connect = "dns:" + daemon->tcp_endpoint();
  cli_options.connection.tls_ca = dir_.File("ca.pem");
  cli_options.connection.tls_cert = dir_.File("client.pem");
  cli_options.connection.tls_key = dir_.File("client.key");
  cli_options.connection.tls_server_name = "localhost";
  cli_options.connection.timeout_seconds = 10;
  std::ostringstream out, err;
  EXPECT_EQ(cli::RunStatus(cli_options, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("card present"), std::string::npos) << out.str();

  // The Unix socket still identifies by uid, and this uid has no entry.
  auto unix_channel =
      grpc::CreateChannel("unix:" + daemon->unix_socket_path(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(GetStatus(unix_channel, &status).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GbabridgedTest, ConfigurationProblemsAreInvalidArgument) {
  DaemonConfig config = Config(MyPolicy());
  config.pin_file = dir_.File("pin");
  std::ofstream(config.pin_file) << "not a pin\n";
  absl::StatusOr<std::unique_ptr<Gbabridged>> daemon = Gbabridged::Create(config);
  ASSERT_FALSE(daemon.ok());
  EXPECT_EQ(daemon.status().code(), absl::StatusCode::kInvalidArgument);

  config = Config(MyPolicy());
  config.unix_socket_group = "no-such-group-gbabridge";
  daemon = Gbabridged::Create(config);
  ASSERT_FALSE(daemon.ok());
  EXPECT_EQ(daemon.status().code(), absl::StatusCode::kInvalidArgument);

  config = Config(MyPolicy());
  config.tcp = "127.0.0.1:0";
  daemon = Gbabridged::Create(config);
  ASSERT_FALSE(daemon.ok());
  EXPECT_EQ(daemon.status().code(), absl::StatusCode::kInvalidArgument);
}

// [card] pin_credential: PIN1 from a systemd credential ($CREDENTIALS_DIRECTORY/<name>).
TEST_F(GbabridgedTest, PinCredentialIsReadFromTheCredentialsDirectory) {
  DaemonConfig config = Config(MyPolicy());
  config.pin_credential = "usim-pin";
  ::unsetenv("CREDENTIALS_DIRECTORY");
  absl::StatusOr<std::unique_ptr<Gbabridged>> daemon = Gbabridged::Create(config);
  ASSERT_FALSE(daemon.ok());
  EXPECT_NE(daemon.status().message().find("CREDENTIALS_DIRECTORY"), absl::string_view::npos);

  const std::string credentials = dir_.File("credentials");
  std::filesystem::create_directory(credentials);
  ::setenv("CREDENTIALS_DIRECTORY", credentials.c_str(), 1);
  std::ofstream(credentials + "/usim-pin") << "not a pin\n";
  daemon = Gbabridged::Create(config);
  ASSERT_FALSE(daemon.ok());
  EXPECT_NE(daemon.status().message().find(credentials + "/usim-pin"), absl::string_view::npos)
      << daemon.status();

  std::ofstream(credentials + "/usim-pin") << "1234\n";
  daemon = Gbabridged::Create(config);
  EXPECT_TRUE(daemon.ok()) << daemon.status();
  daemon = absl::InternalError("released");

  config.pin_credential = "../pin";
  EXPECT_EQ(Gbabridged::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.pin_credential = "usim-pin";
  config.pin_file = credentials + "/usim-pin";
  EXPECT_EQ(Gbabridged::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  ::unsetenv("CREDENTIALS_DIRECTORY");
}

TEST_F(GbabridgedTest, SecondDaemonOnTheSameSocketFailsToStart) {
  std::unique_ptr<Gbabridged> first = StartDaemon(Config(MyPolicy()));
  ASSERT_NE(first, nullptr);
  GbabridgedHooks hooks;
  hooks.reader_states = std::make_unique<OneCardReader>();
  hooks.harden_process = false;
  absl::StatusOr<std::unique_ptr<Gbabridged>> second =
      Gbabridged::Create(Config(MyPolicy()), std::move(hooks));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::Status started = (*second)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  (*second)->Shutdown();
  // The first one's socket is still there and serving.
  gbabridge::v1::GetStatusResponse status;
  EXPECT_TRUE(GetStatus(grpc::CreateChannel("unix:" + first->unix_socket_path(),
                                            grpc::InsecureChannelCredentials()),
                        &status)
                  .ok());
}

}  // namespace
}  // namespace gbabridge::daemon
