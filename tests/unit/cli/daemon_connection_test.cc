#include "bootstrap/cli/daemon_connection.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/cli/status_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/fake_gba_bridge.h"

namespace gbabridge::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseDaemonTargetTest, UnixShortForm) {
  absl::StatusOr<DaemonTarget> t = ParseDaemonTarget("unix:/run/gbabridge/gbabridged.sock");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, DaemonTarget::Kind::kUnix);
  EXPECT_EQ(t->path, "/run/gbabridge/gbabridged.sock");
  EXPECT_EQ(t->grpc_target, "unix:/run/gbabridge/gbabridged.sock");
}

TEST(ParseDaemonTargetTest, UnixUriForm) {
  absl::StatusOr<DaemonTarget> t = ParseDaemonTarget("unix:///tmp/x/gbabridged.sock");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, DaemonTarget::Kind::kUnix);
  EXPECT_EQ(t->path, "/tmp/x/gbabridged.sock");
  EXPECT_EQ(t->grpc_target, "unix:/tmp/x/gbabridged.sock");
}

TEST(ParseDaemonTargetTest, UnixRelativePath) {
  absl::StatusOr<DaemonTarget> t = ParseDaemonTarget("unix:run/sock");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "run/sock");
}

TEST(ParseDaemonTargetTest, UnixErrors) {
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDaemonTarget("unix:").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDaemonTarget("unix://").status()));
  absl::Status host = ParseDaemonTarget("unix://host/sock").status();
  EXPECT_TRUE(absl::IsInvalidArgument(host));
  EXPECT_THAT(std::string(host.message()), HasSubstr("no host"));
}

TEST(ParseDaemonTargetTest, DnsForms) {
  for (const char* text :
       {"dns:gw.example.com:7443", "dns:///gw.example.com:7443", "gw.example.com:7443"}) {
    absl::StatusOr<DaemonTarget> t = ParseDaemonTarget(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status();
    EXPECT_EQ(t->kind, DaemonTarget::Kind::kTcp) << text;
    EXPECT_EQ(t->host, "gw.example.com") << text;
    EXPECT_EQ(t->port, 7443) << text;
    EXPECT_EQ(t->grpc_target, "dns:gw.example.com:7443") << text;
  }
}

TEST(ParseDaemonTargetTest, Ipv4AndIpv6) {
  absl::StatusOr<DaemonTarget> v4 = ParseDaemonTarget("127.0.0.1:50051");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->grpc_target, "dns:127.0.0.1:50051");

  absl::StatusOr<DaemonTarget> v6 = ParseDaemonTarget("[::1]:50051");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 50051);
  EXPECT_EQ(v6->grpc_target, "dns:[::1]:50051");

  absl::StatusOr<DaemonTarget> dns_v6 = ParseDaemonTarget("dns:[fe80::1]:1");
  ASSERT_TRUE(dns_v6.ok()) << dns_v6.status();
  EXPECT_EQ(dns_v6->host, "fe80::1");
}

TEST(ParseDaemonTargetTest, TcpErrors) {
  for (const char* text :
       {"gw.example.com", "gw.example.com:", "gw.example.com:0", "gw.example.com:65536",
        "gw.example.com:7x", "gw.example.com:-1", ":7443", "[::1]", "[::1]7443", "[nothex]:1",
        "[::1:1", "gw example.com:1", "dns:", "dns://8.8.8.8/gw.example.com:1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseDaemonTarget(text).status())) << text;
  }
  absl::Status bare_v6 = ParseDaemonTarget("::1:50051").status();
  EXPECT_THAT(std::string(bare_v6.message()), HasSubstr("brackets"));
}

TEST(ParseDaemonTargetTest, BarePathAndOtherSchemesAreRefusedWithAHint) {
  absl::Status path = ParseDaemonTarget("/run/gbabridge/gbabridged.sock").status();
  EXPECT_TRUE(absl::IsInvalidArgument(path));
  EXPECT_THAT(std::string(path.message()), HasSubstr("did you mean unix:/run/gbabridge/"));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDaemonTarget("https://gw.example.com:443").status()));
}

TEST(ResolveConnectStringTest, FlagThenEnvironmentThenDefault) {
  EXPECT_EQ(ResolveConnectString("unix:/a", "unix:/b"), "unix:/a");
  EXPECT_EQ(ResolveConnectString("", "unix:/b"), "unix:/b");
  EXPECT_EQ(ResolveConnectString("", ""), kDefaultDaemonTarget);
  EXPECT_EQ(ResolveConnectString("", nullptr), kDefaultDaemonTarget);
  EXPECT_STREQ(kDefaultDaemonTarget, "unix:/run/gbabridge/gbabridged.sock");
}

TEST(IsLoopbackHostTest, LoopbackAddresses) {
  for (const char* host : {"localhost", "LOCALHOST", "localhost.", "gw.localhost", "127.0.0.1",
                           "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"10.0.0.1", "128.0.0.1", "example.com", "localhost.example.com", "::2",
                           "::ffff:10.0.0.1", "0.0.0.0", "::", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

DaemonTarget Target(const char* text) {
  absl::StatusOr<DaemonTarget> t = ParseDaemonTarget(text);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(CheckTransportSecurityTest, UnixNeedsNoTlsAndRefusesTlsOptions) {
  DaemonConnectionOptions options;
  EXPECT_TRUE(CheckTransportSecurity(Target("unix:/s"), options).ok());
  options.tls_ca = "ca.pem";
  absl::Status s = CheckTransportSecurity(Target("unix:/s"), options);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("TCP targets only"));
}

TEST(CheckTransportSecurityTest, PlaintextTcpToANetworkHostIsRefused) {
  DaemonConnectionOptions options;
  absl::Status no_tls = CheckTransportSecurity(Target("gw.example.com:7443"), options);
  EXPECT_TRUE(absl::IsInvalidArgument(no_tls));
  EXPECT_THAT(std::string(no_tls.message()), HasSubstr("--tls-ca"));
  EXPECT_THAT(std::string(no_tls.message()), HasSubstr("in clear"));

  options.insecure = true;
  absl::Status insecure = CheckTransportSecurity(Target("10.1.2.3:7443"), options);
  EXPECT_TRUE(absl::IsInvalidArgument(insecure));
  EXPECT_THAT(std::string(insecure.message()), HasSubstr("refusing plaintext TCP"));
}

TEST(CheckTransportSecurityTest, LoopbackNeedsInsecureExplicitly) {
  DaemonConnectionOptions options;
  EXPECT_TRUE(absl::IsInvalidArgument(CheckTransportSecurity(Target("127.0.0.1:1"), options)));
  options.insecure = true;
  EXPECT_TRUE(CheckTransportSecurity(Target("127.0.0.1:1"), options).ok());
  EXPECT_TRUE(CheckTransportSecurity(Target("[::1]:1"), options).ok());
  EXPECT_TRUE(CheckTransportSecurity(Target("localhost:1"), options).ok());
  options.tls_ca = "ca.pem";
  EXPECT_TRUE(absl::IsInvalidArgument(CheckTransportSecurity(Target("127.0.0.1:1"), options)));
}

TEST(CheckTransportSecurityTest, MutualTlsNeedsCaCertAndKey) {
  DaemonConnectionOptions options;
  options.tls_ca = "ca.pem";
  EXPECT_TRUE(absl::IsInvalidArgument(CheckTransportSecurity(Target("gw:1"), options)));
  options.tls_cert = "cert.pem";
  absl::Status no_key = CheckTransportSecurity(Target("gw:1"), options);
  EXPECT_THAT(std::string(no_key.message()), HasSubstr("go together"));
  options.tls_key = "key.pem";
  EXPECT_TRUE(CheckTransportSecurity(Target("gw:1"), options).ok());
  options.tls_ca.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(CheckTransportSecurity(Target("gw:1"), options)));
}

TEST(DaemonConnectionTest, OpenReportsUnreadableTlsFiles) {
  DaemonConnectionOptions options;
  options.connect = "gw.example.com:7443";
  options.tls_ca = "/nonexistent/ca.pem";
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  absl::Status s = DaemonConnection::Open(options).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("cannot read --tls-ca /nonexistent/ca.pem"));
}

TEST(DaemonConnectionTest, OpenWithTlsFilesCreatesAChannel) {
  testing::FakeDaemon scratch;  // only for its temporary directory
  const std::string ca = scratch.dir() + "/ca.pem";
  const std::string cert = scratch.dir() + "/cert.pem";
  const std::string key = scratch.dir() + "/key.pem";
  for (const std::string& path : {ca, cert, key}) {
    std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  }
  DaemonConnectionOptions options;
  options.connect = "dns:gw.example.com:7443";
  options.tls_ca = ca;
  options.tls_cert = cert;
  options.tls_key = key;
  options.tls_server_name = "gbabridged.example.com";
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options);
  for (const std::string& path : {ca, cert, key}) unlink(path.c_str());
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(connection->target().display(), "dns:gw.example.com:7443");
  EXPECT_NE(connection->channel(), nullptr);
}

TEST(DaemonConnectionTest, EnvironmentVariableChoosesTheTarget) {
  ::setenv(kConnectEnvVar, "unix:/tmp/from-env.sock", 1);
  absl::StatusOr<DaemonConnection> from_env = DaemonConnection::Open({});
  DaemonConnectionOptions with_flag;
  with_flag.connect = "unix:/tmp/from-flag.sock";
  absl::StatusOr<DaemonConnection> from_flag = DaemonConnection::Open(with_flag);
  ::unsetenv(kConnectEnvVar);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->target().path, "/tmp/from-env.sock");
  ASSERT_TRUE(from_flag.ok()) << from_flag.status();
  EXPECT_EQ(from_flag->target().path, "/tmp/from-flag.sock");
  absl::StatusOr<DaemonConnection> fallback = DaemonConnection::Open({});
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(fallback->target().path, "/run/gbabridge/gbabridged.sock");
}

TEST(DaemonConnectionTest, RefusedCombinationsAreUsageErrors) {
  DaemonConnectionOptions options;
  options.connect = "gw.example.com:7443";
  std::ostringstream out, err;
  StatusOptions status;
  status.connection = options;
  EXPECT_EQ(RunStatus(status, out, err), kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("error: TCP target dns:gw.example.com:7443 needs --tls-ca"));
  EXPECT_THAT(err.str(), HasSubstr("[USAGE]"));
}

TEST(DaemonConnectionTest, LoopbackTcpWithInsecureReachesTheDaemon) {
  testing::FakeDaemon daemon(testing::FakeDaemon::Listen::kLoopbackTcp);
  ASSERT_TRUE(daemon.started());
  daemon.service().status_response.set_daemon_version("9.9.9");
  StatusOptions options;
  options.connection.connect = daemon.target();
  options.connection.insecure = true;
  std::ostringstream out, err;
  EXPECT_EQ(RunStatus(options, out, err), kExitOk) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("daemon 9.9.9"));
}

TEST(DaemonConnectionTest, WaitUntilConnectedFailsFastWithoutADaemon) {
  testing::FakeDaemon scratch;
  DaemonConnectionOptions options;
  options.connect = "unix:" + scratch.dir() + "/absent.sock";
  options.timeout_seconds = 20;
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = connection->WaitUntilConnected();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(DaemonConnectionTest, WaitUntilConnectedSucceedsWithADaemon) {
  testing::FakeDaemon daemon;
  DaemonConnectionOptions options;
  options.connect = daemon.target();
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options);
  ASSERT_TRUE(connection.ok());
  std::atomic<bool> stop{false};
  EXPECT_TRUE(connection->WaitUntilConnected(&stop).ok());
}

TEST(DaemonConnectionTest, WaitUntilConnectedReturnsCancelledWhenStopped) {
  // 192.0.2.1 (TEST-NET-1, RFC 5737) is not routed: the connection attempt stays pending
  // (or fails), and a stop request must end the wait either way, long before --timeout.
  testing::FakeDaemon scratch;  // only for its temporary directory
  const std::string pem = scratch.dir() + "/dummy.pem";
  std::ofstream(pem) << "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  DaemonConnectionOptions options;
  options.connect = "192.0.2.1:9";
  options.tls_ca = options.tls_cert = options.tls_key = pem;
  options.timeout_seconds = 30;
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options);
  unlink(pem.c_str());
  ASSERT_TRUE(connection.ok()) << connection.status();
  std::atomic<bool> stop{true};
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = connection->WaitUntilConnected(&stop);
  EXPECT_FALSE(s.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace gbabridge::cli
