// DaemonConfig: the TOML schema (unknown keys are errors with file:line), the policy
// entries of --config and --policy, flags over the file, and the validation rules (TCP only
// with mutual TLS).
#include "bootstrap/daemon/daemon_config.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "../soft_usim/soft_usim_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

using ::gbabridge::soft_usim_testing::TempDir;
using ::testing::HasSubstr;

absl::StatusOr<DaemonConfig> FromText(std::string_view text, std::string_view base_dir = "") {
  DaemonConfig config;
  absl::Status s = ApplyDaemonConfigToml(text, "test.toml", base_dir, config);
  if (!s.ok()) return s;
  return config;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

constexpr char kClient[] = R"(
[[client]]
name = "meter"
uids = [1001]
naf_patterns = ["mef.example.com"]
ua_ids = ["01000100AE"]
)";

TEST(DaemonConfigTest, Defaults) {
  absl::StatusOr<DaemonConfig> config = FromText("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reader, "");
  EXPECT_EQ(config->pin_file, "");
  EXPECT_EQ(config->bsf_url, "");
  EXPECT_FALSE(config->force_gba_me);
  EXPECT_EQ(config->connect_timeout, absl::Seconds(5));
  EXPECT_EQ(config->total_timeout, absl::Seconds(20));
  EXPECT_EQ(config->refresh_margin, absl::Seconds(60));
  EXPECT_EQ(config->max_cached_naf_keys, 1024u);
  EXPECT_EQ(config->unix_socket, "/run/gbabridge/gbabridged.sock");
  EXPECT_EQ(config->unix_socket_mode, 0660u);
  EXPECT_EQ(config->unix_socket_group, "");
  EXPECT_EQ(config->tcp, "");
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->audit_file, "");
  EXPECT_TRUE(config->policy.clients().empty());
  EXPECT_TRUE(ValidateDaemonConfig(*config).ok());
}

TEST(DaemonConfigTest, ReadsEverySection) {
  absl::StatusOr<DaemonConfig> config = FromText(R"(
[card]
reader = "Virtual PCD 00 00"
pin_file = "/etc/gbabridge/pin"
[bsf]
url = "https://bsf.example.org/"
ca_file = "/etc/gbabridge/bsf-ca.pem"
connect_timeout_seconds = 3
total_timeout_seconds = 9
gba_mode = "me"
[session]
refresh_margin_seconds = 120
max_cached_naf_keys = 10
[listen]
unix_socket = "/run/x/g.sock"
unix_socket_mode = "0600"
unix_socket_group = "gbabridge-clients"
tcp = "[::1]:50443"
tls_cert_file = "/etc/gbabridge/server.pem"
tls_key_file = "/etc/gbabridge/server.key"
tls_client_ca_file = "/etc/gbabridge/clients-ca.pem"
[log]
level = "debug"
audit_file = "/var/log/gbabridge/audit.log"
)" + std::string(kClient));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reader, "Virtual PCD 00 00");
  EXPECT_EQ(config->pin_file, "/etc/gbabridge/pin");
  EXPECT_EQ(config->bsf_url, "https://bsf.example.org/");
  EXPECT_EQ(config->bsf_ca_file, "/etc/gbabridge/bsf-ca.pem");
  EXPECT_EQ(config->connect_timeout, absl::Seconds(3));
  EXPECT_EQ(config->total_timeout, absl::Seconds(9));
  EXPECT_TRUE(config->force_gba_me);
  EXPECT_EQ(config->refresh_margin, absl::Seconds(120));
  EXPECT_EQ(config->max_cached_naf_keys, 10u);
  EXPECT_EQ(config->unix_socket, "/run/x/g.sock");
  EXPECT_EQ(config->unix_socket_mode, 0600u);
  EXPECT_EQ(config->unix_socket_group, "gbabridge-clients");
  EXPECT_EQ(config->tcp, "[::1]:50443");
  EXPECT_EQ(config->tls_cert_file, "/etc/gbabridge/server.pem");
  EXPECT_EQ(config->tls_key_file, "/etc/gbabridge/server.key");
  EXPECT_EQ(config->tls_client_ca_file, "/etc/gbabridge/clients-ca.pem");
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->audit_file, "/var/log/gbabridge/audit.log");
  ASSERT_EQ(config->policy.clients().size(), 1u);
  EXPECT_EQ(config->policy.clients()[0].name, "meter");
}

TEST(DaemonConfigTest, TheExampleFileParses) {
  const std::string path =
      std::string(GBABRIDGE_SOURCE_DIR) + "/bootstrap/daemon/examples/gbabridged.toml";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<DaemonConfig> config = FromText(text, "/etc/gbabridge");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->policy.clients().empty());
}

TEST(DaemonConfigTest, UnknownKeysAndSectionsNameFileAndLine) {
  absl::StatusOr<DaemonConfig> config = FromText("[card]\nreader = \"x\"\npin = \"1234\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()), HasSubstr("test.toml:3"));
  EXPECT_THAT(Message(config.status()), HasSubstr("unknown key 'pin' in [card]"));
  EXPECT_THAT(Message(config.status()), HasSubstr("pin_file"));  // the known keys

  config = FromText("\n\n[sesion]\nrefresh_margin_seconds = 1\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("test.toml:3"));
  EXPECT_THAT(Message(config.status()), HasSubstr("unknown section [sesion]"));

  config = FromText("verbose = true\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("test.toml:1"));
  EXPECT_THAT(Message(config.status()), HasSubstr("unknown key 'verbose'"));

  config = FromText("card = \"x\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("must be a section"));
}

TEST(DaemonConfigTest, WrongTypesAndValuesNameTheLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{"[session]\n\nrefresh_margin_seconds = \"60\"\n", "test.toml:3"},
           Case{"[session]\nmax_cached_naf_keys = -1\n", "must be in 0..1000000"},
           Case{"[bsf]\nconnect_timeout_seconds = 0\n", "must be in 1.."},
           Case{"[bsf]\ngba_mode = \"u\"\n", "\"auto\""},
           Case{"[listen]\nunix_socket_mode = \"0999\"\n", "octal"},
           Case{"[listen]\nunix_socket_mode = \"4755\"\n", "at most 0777"},
           Case{"[listen]\nunix_socket_mode = 660\n", "0660"},
           Case{"[listen]\ntcp = \"localhost\"\n", "no port"},
           Case{"[listen]\ntcp = \"::1:80\"\n", "[ADDRESS]:PORT"},
           Case{"[log]\nlevel = \"verbose\"\n", "trace, debug"},
           Case{"[card]\nreader = 1\n", "must be a string"},
           Case{"[card\n", "TOML syntax error"},
       }) {
    absl::StatusOr<DaemonConfig> config = FromText(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_THAT(Message(config.status()), HasSubstr(c.expected)) << c.text;
  }
}

TEST(DaemonConfigTest, SocketModeAsOctalInteger) {
  absl::StatusOr<DaemonConfig> config = FromText("[listen]\nunix_socket_mode = 0o640\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->unix_socket_mode, 0640u);
}

TEST(DaemonConfigTest, RelativePathsAreTakenFromTheFilesDirectory) {
  absl::StatusOr<DaemonConfig> config = FromText(
      "[card]\npin_file = \"pin\"\n[log]\naudit_file = \"../log/audit\"\n"
      "[bsf]\nca_file = \"/abs/ca.pem\"\n",
      "/etc/gbabridge");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pin_file, "/etc/gbabridge/pin");
  EXPECT_EQ(config->audit_file, "/etc/log/audit");
  EXPECT_EQ(config->bsf_ca_file, "/abs/ca.pem");
}

TEST(DaemonConfigTest, TheModemTransport) {
  absl::StatusOr<DaemonConfig> config = FromText(R"(
[card]
transport = "modem"
modem_port = "/dev/serial/by-id/usb-Quectel_EG25-if02-port0"
modem_baud = 921600
modem_command_timeout_seconds = 30
modem_lock_dir = "/var/lock"
modem_logical_channel = false
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->transport, CardTransportKind::kModem);
  EXPECT_EQ(config->modem_port, "/dev/serial/by-id/usb-Quectel_EG25-if02-port0");
  EXPECT_EQ(config->modem_baud, 921600);
  EXPECT_EQ(config->modem_command_timeout, absl::Seconds(30));
  EXPECT_EQ(config->modem_lock_dir, "/var/lock");
  EXPECT_FALSE(config->modem_logical_channel);
  EXPECT_TRUE(ValidateDaemonConfig(*config).ok());

  // The default is PC/SC; a modem needs its port and a standard baud rate.
  EXPECT_EQ(FromText("")->transport, CardTransportKind::kPcsc);
  absl::StatusOr<DaemonConfig> bad = FromText("[card]\ntransport = \"usb\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("test.toml:2"));
  EXPECT_THAT(Message(bad.status()), HasSubstr("neither \"pcsc\" nor \"modem\""));
  DaemonConfig no_port;
  no_port.transport = CardTransportKind::kModem;
  EXPECT_THAT(Message(ValidateDaemonConfig(no_port)), HasSubstr("needs modem_port"));
  DaemonConfig odd_baud;
  odd_baud.transport = CardTransportKind::kModem;
  odd_baud.modem_port = "/dev/ttyUSB2";
  odd_baud.modem_baud = 12345;
  EXPECT_THAT(Message(ValidateDaemonConfig(odd_baud)), HasSubstr("modem_baud 12345"));
  DaemonConfig with_reader = odd_baud;
  with_reader.modem_baud = 115200;
  with_reader.reader = "Some Reader 00 00";
  EXPECT_THAT(Message(ValidateDaemonConfig(with_reader)), HasSubstr("PC/SC reader name"));
}

TEST(DaemonConfigTest, ModemFlags) {
  CLI::App app;
  DaemonCommandLine command_line(app);
  std::vector<std::string> args = {"--modem-timeout", "20", "--modem", "/dev/ttyACM0"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  absl::StatusOr<DaemonConfig> config = command_line.Load();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->transport, CardTransportKind::kModem);
  EXPECT_EQ(config->modem_port, "/dev/ttyACM0");
  EXPECT_EQ(config->modem_command_timeout, absl::Seconds(20));
}

TEST(DaemonConfigTest, TcpNeedsAllThreeTlsFiles) {
  TempDir dir;
  for (const char* name : {"cert.pem", "key.pem", "ca.pem"}) std::ofstream(dir.File(name)) << "x";
  DaemonConfig config;
  config.tcp = "127.0.0.1:0";
  absl::Status s = ValidateDaemonConfig(config);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("mutual TLS"));
  config.tls_cert_file = dir.File("cert.pem");
  config.tls_key_file = dir.File("key.pem");
  EXPECT_FALSE(ValidateDaemonConfig(config).ok());
  config.tls_client_ca_file = dir.File("ca.pem");
  EXPECT_TRUE(ValidateDaemonConfig(config).ok());

  config.tls_client_ca_file = dir.File("missing.pem");
  s = ValidateDaemonConfig(config);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("cannot read"));

  // TLS settings without a TCP listener are a mistake, not a silent no-op.
  config.tcp.clear();
  config.tls_client_ca_file = dir.File("ca.pem");
  s = ValidateDaemonConfig(config);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("tcp"));
}

TEST(DaemonConfigTest, ValidationCatchesBadCombinations) {
  DaemonConfig config;
  config.pin_file = "/nonexistent/pin";
  EXPECT_THAT(Message(ValidateDaemonConfig(config)), HasSubstr("pin_file"));
  config = DaemonConfig();
  config.unix_socket = std::string(200, 'a');
  EXPECT_THAT(Message(ValidateDaemonConfig(config)), HasSubstr("longer than"));
  config = DaemonConfig();
  config.connect_timeout = absl::Seconds(30);
  EXPECT_THAT(Message(ValidateDaemonConfig(config)), HasSubstr("total_timeout_seconds"));
  config = DaemonConfig();
  config.log_level = "loud";
  EXPECT_THAT(Message(ValidateDaemonConfig(config)), HasSubstr("--log-level"));
}

TEST(DaemonConfigTest, HostPort) {
  absl::StatusOr<HostPort> a = ParseHostPort("127.0.0.1:50443");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 50443);
  EXPECT_EQ(a->ToString(), "127.0.0.1:50443");
  absl::StatusOr<HostPort> b = ParseHostPort("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ((HostPort{"::1", 4433}).ToString(), "[::1]:4433");
  EXPECT_TRUE(ParseHostPort("gateway.local:443").ok());
  // gRPC would read these as URI schemes (a Unix socket named "1234", ...), not TCP.
  EXPECT_FALSE(ParseHostPort("unix:1234").ok());
  EXPECT_FALSE(ParseHostPort("IPv4:1234").ok());
  for (const char* bad :
       {"", ":80", "host:", "host:65536", "host:-1", "host:8x", "[::1]80", "[::1", "::1:80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

class DaemonCommandLineTest : public ::testing::Test {
 protected:
  absl::StatusOr<DaemonConfig> Run(std::vector<std::string> args) {
    CLI::App app;
    DaemonCommandLine command_line(app);
    std::vector<const char*> argv = {"gbabridged"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    return command_line.Load();
  }

  std::string Write(std::string_view name, std::string_view text) {
    std::ofstream(dir_.File(name)) << text;
    return dir_.File(name);
  }

  TempDir dir_;
};

TEST_F(DaemonCommandLineTest, FlagsWinOverTheFile) {
  const std::string pin = Write("pin", "1234\n");
  const std::string config = Write("d.toml", R"(
[card]
reader = "From File"
[bsf]
url = "https://file.example/"
[session]
refresh_margin_seconds = 30
[listen]
unix_socket = "/tmp/file.sock"
unix_socket_mode = "0600"
[log]
level = "warn"
)");
  absl::StatusOr<DaemonConfig> loaded = Run({"--config",
                                             config,
                                             "--reader",
                                             "From Flag",
                                             "--pin-file",
                                             pin,
                                             "--bsf-url",
                                             "https://flag.example/",
                                             "--gba-me",
                                             "--listen-unix",
                                             "/tmp/flag.sock",
                                             "--socket-mode",
                                             "0640",
                                             "--socket-group",
                                             "0",
                                             "--refresh-margin",
                                             "5",
                                             "--log-level",
                                             "debug",
                                             "--audit-file",
                                             "/tmp/audit"});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->reader, "From Flag");
  EXPECT_EQ(loaded->pin_file, pin);
  EXPECT_EQ(loaded->bsf_url, "https://flag.example/");
  EXPECT_TRUE(loaded->force_gba_me);
  EXPECT_EQ(loaded->unix_socket, "/tmp/flag.sock");
  EXPECT_EQ(loaded->unix_socket_mode, 0640u);
  EXPECT_EQ(loaded->unix_socket_group, "0");
  EXPECT_EQ(loaded->refresh_margin, absl::Seconds(5));
  EXPECT_EQ(loaded->log_level, "debug");
  EXPECT_EQ(loaded->audit_file, "/tmp/audit");
  EXPECT_EQ(loaded->sources, std::vector<std::string>{config});
}

TEST_F(DaemonCommandLineTest, FileValuesStayWhenNoFlagIsGiven) {
  const std::string config = Write("d.toml", "[card]\nreader = \"From File\"\n");
  absl::StatusOr<DaemonConfig> loaded = Run({"--config", config});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->reader, "From File");
  EXPECT_FALSE(loaded->force_gba_me);
}

TEST_F(DaemonCommandLineTest, PolicyFileEntriesComeAfterTheConfigsEntries) {
  const std::string config = Write("d.toml", kClient);
  const std::string policy = Write("p.toml", R"(
[[client]]
name = "second"
uids = [1002]
naf_patterns = ["*.example.net"]
ua_ids = ["*"]
)");
  absl::StatusOr<DaemonConfig> loaded = Run({"--config", config, "--policy", policy});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->policy.clients().size(), 2u);
  EXPECT_EQ(loaded->policy.clients()[0].name, "meter");
  EXPECT_EQ(loaded->policy.clients()[1].name, "second");
  EXPECT_EQ(loaded->sources, (std::vector<std::string>{config, policy}));

  // Only a policy file: fine too.
  loaded = Run({"--policy", policy});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->policy.clients().size(), 1u);
}

TEST_F(DaemonCommandLineTest, PolicyErrorsNameTheirFile) {
  const std::string config = Write("d.toml", kClient);
  const std::string dup = Write("dup.toml", kClient);
  absl::StatusOr<DaemonConfig> loaded = Run({"--config", config, "--policy", dup});
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(Message(loaded.status()), HasSubstr("unique"));

  const std::string extra = Write("extra.toml", "[card]\nreader = \"x\"\n");
  loaded = Run({"--policy", extra});
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(Message(loaded.status()), HasSubstr(extra + ":1"));
  EXPECT_THAT(Message(loaded.status()), HasSubstr("only [[client]]"));

  const std::string bad = Write("bad.toml", "[[client]]\nname = \"x\"\nuid = [1]\n");
  loaded = Run({"--policy", bad});
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(Message(loaded.status()), HasSubstr(bad));
}

TEST_F(DaemonCommandLineTest, BadFlagsAreErrors) {
  EXPECT_THAT(Message(Run({"--socket-mode", "rw"}).status()), HasSubstr("--socket-mode"));
  EXPECT_THAT(Message(Run({"--listen-tcp", "127.0.0.1:0"}).status()), HasSubstr("mutual TLS"));
  EXPECT_THAT(Message(Run({"--config", dir_.File("missing.toml")}).status()),
              HasSubstr("cannot read config file"));
  EXPECT_THAT(Message(Run({"--log-level", "chatty"}).status()), HasSubstr("--log-level"));
}

}  // namespace
}  // namespace gbabridge::daemon
