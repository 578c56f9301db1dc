// Zn over Diameter (TS 29.109 §6), end to end with real processes: bsf-sim serving
// Diameter Zn (freeDiameter), the example NAF gba-tls-naf as a Diameter client in its own
// process (freeDiameter: one core per process), and gbabridged with soft-usim behind
// pcscd + vpcd giving the device's key. The key the NAF gets over Diameter must equal the
// one the card derived (GBA_U: Ks_ext_NAF computed by soft-usim, not by the BSF's code),
// and Wireshark's own Diameter dissector (tshark) must decode the exchange as 3GPP Zn.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/daemon_e2e_fixture.h"
#include "tests/e2e/gbabridged_process.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/cli_runner.h"
#include "tests/unit/zn_diameter/diameter_wire.h"
#include "uicc/base/bytes.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kBsfIdentity[] = "bsf.test.example";  // BsfSimProcess's --bsf-name

class DiameterZnE2eTest : public DaemonE2eTest {
 protected:
  void StartDiameterBsf() {
    port_ = FreeLoopbackTcpPort();
    BsfSimOptions options;
    options.extra_serve_args = {"--diameter-listen", absl::StrCat("127.0.0.1:", port_),
                                "--diameter-naf",    kMef,
                                "--diameter-naf",    "naf2.test.example=other.example.com"};
    StartBsf(options);
  }
  std::string Peer() const { return absl::StrCat(kBsfIdentity, "@127.0.0.1:", port_); }
  // gba-tls-naf --lookup over Diameter, as `identity` (default: the NAF FQDN).
  CommandResult Lookup(const std::string& psk_identity, const std::string& naf = kMef,
                       const std::string& identity = "") {
    return RunCommand(absl::StrCat(GBABRIDGE_TLS_NAF_BIN, " --naf-fqdn ", naf, " --zn-diameter ",
                                   Peer(), identity.empty() ? "" : " --diameter-identity ",
                                   identity, " --lookup '", psk_identity, "' --json --show-key"));
  }
  // The device's key from gbabridged (soft-usim's GBA_U NAF derivation).
  nlohmann::json DeviceKey() {
    CommandResult cli =
        RunCli(Cli("naf-key --naf mef.example.com --tls-suite 0x00AE --json --show-key"));
    EXPECT_EQ(cli.exit_code, 0) << cli.output;
    return nlohmann::json::parse(cli.out);
  }

  int port_ = 0;
};

TEST_F(DiameterZnE2eTest, NafKeyOverDiameterEqualsTheCardsAndServesTlsPsk) {
  StartDiameterBsf();
  StartDaemon();
  const nlohmann::json device = DeviceKey();
  const std::string btid = device.at("btid");
  ASSERT_EQ(device.at("gba_mode"), "GBA_U");

  // The NAF over Diameter: the same key as the card's, and as the gRPC Zn's.
  CommandResult naf = Lookup(device.at("psk_identity"));
  ASSERT_EQ(naf.exit_code, 0) << naf.output;
  const nlohmann::json got = nlohmann::json::parse(naf.out);
  EXPECT_EQ(got.at("zn"), "diameter");
  EXPECT_EQ(got.at("key"), device.at("key"));
  EXPECT_EQ(HexEncode(AsBytes(ZnKey(btid).ks_naf())), got.at("key").get<std::string>());

  // The TLS-PSK NAF keyed over Diameter, the device keyed by gbabridged.
  const fs::path naf_log = dir_ / "naf.log";
  auto server = ChildProcess::Start({GBABRIDGE_TLS_NAF_BIN, "--listen", "127.0.0.1:0", "--naf-fqdn",
                                     kMef, "--zn-diameter", Peer(), "--once"},
                                    naf_log);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string naf_address = WaitForTlsNafReady(naf_log);
  ASSERT_FALSE(naf_address.empty()) << ReadFile(naf_log);
  const CommandResult tls = RunCommand(
      absl::StrCat(GBABRIDGE_TLS_DEVICE_BIN, " --daemon ", daemon_->target(), " --naf-host ", kMef,
                   " --connect ", naf_address, " --message 'over diameter'"));
  EXPECT_EQ(tls.exit_code, 0) << tls.output << "\nNAF:\n" << ReadFile(naf_log);
  EXPECT_THAT(tls.output, HasSubstr("over diameter"));
}

TEST_F(DiameterZnE2eTest, RefusalsCarryTheZnResultCodes) {
  StartDiameterBsf();
  StartDaemon();
  const nlohmann::json device = DeviceKey();
  const std::string btid = device.at("btid");

  // 5403: a B-TID the BSF never issued (the NAF must make the UE bootstrap again).
  CommandResult unknown = Lookup("3GPP-bootstrapping.AAAAAAAAAAAAAAAAAAAAAA==@bsf.test.example");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("5403 DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID"));
  // 5402: a listed peer asking for another NAF's key.
  CommandResult other = Lookup(device.at("psk_identity"), kMef, "naf2.test.example");
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_THAT(other.output, HasSubstr("5402 DIAMETER_ERROR_NOT_AUTHORIZED"));
  // The same peer gets the keys of the FQDN it is configured for.
  CommandResult own =
      Lookup("3GPP-bootstrapping-uicc." + btid, "other.example.com", "naf2.test.example");
  EXPECT_EQ(own.exit_code, 0) << own.output;
  EXPECT_EQ(HexEncode(AsBytes(ZnKey(btid, "other.example.com").ks_naf())),
            nlohmann::json::parse(own.out).at("key").get<std::string>());
  // A peer bsf-sim does not list is refused in CER/CEA (DIAMETER_UNKNOWN_PEER).
  CommandResult stranger = Lookup(device.at("psk_identity"), kMef, "stranger.test.example");
  EXPECT_EQ(stranger.exit_code, 1) << stranger.output;
  EXPECT_THAT(stranger.output, HasSubstr("BSF unreachable over Diameter"));
  EXPECT_THAT(ReadFile(dir_ / "bsf-sim-1.log"), HasSubstr("DIAMETER_UNKNOWN_PEER"))
      << "bsf-sim's log should say why";
}

// User security settings over Diameter (TS 33.220 §4.4.6, TS 29.109 GBA-UserSecSettings):
// a NAF naming a service it runs gets that service's USS, without one its FQDN's; a service
// it does not run, or a NAF the subscriber's USS do not list, gets 5402 and is told why.
TEST_F(DiameterZnE2eTest, UserSecuritySettingsByServiceOverDiameter) {
  port_ = FreeLoopbackTcpPort();
  BsfSimOptions options;
  // TEST KEYS ONLY: TS 35.208 test set 1, as on the soft-usim test profile.
  options.subscribers_json = absl::StrCat(
      R"({"subscribers": [{"imsi": "001010123456789", "mnc_length": 2,)",
      R"( "k": "465b5ce8b199b49faa5f0a2ee238a6bc", "opc": "cd63cb71954a9f4e48a5994e37a02baf",)",
      R"( "amf": "8000", "gba_u": true,)", R"( "uss": {"gsid:42": ")",
      absl::Base64Escape("<uss service='42'/>"), R"(", "mef.example.com": ")",
      absl::Base64Escape("<uss naf='mef'/>"), R"("}}]})");
  options.extra_serve_args = {"--diameter-listen", absl::StrCat("127.0.0.1:", port_),
                              "--diameter-naf",    kMef,
                              "--diameter-naf",    "naf2.test.example=other.example.com",
                              "--naf-service",     "mef.example.com=42"};
  StartBsf(options);
  StartDaemon();
  const nlohmann::json device = DeviceKey();
  const std::string psk_identity = device.at("psk_identity");
  const std::string btid = device.at("btid");

  auto lookup = [&](const std::string& naf, const std::string& identity, const std::string& gsid) {
    return RunCommand(absl::StrCat(
        GBABRIDGE_TLS_NAF_BIN, " --naf-fqdn ", naf, " --zn-diameter ", Peer(),
        " --diameter-identity ", identity, gsid.empty() ? "" : " --gsid " + gsid, " --lookup '",
        naf == kMef ? psk_identity : "3GPP-bootstrapping-uicc." + btid, "' --json --show-key"));
  };
  CommandResult by_service = lookup(kMef, kMef, "42");
  ASSERT_EQ(by_service.exit_code, 0) << by_service.output;
  const nlohmann::json service_answer = nlohmann::json::parse(by_service.out);
  EXPECT_EQ(service_answer.at("user_security_settings"), absl::Base64Escape("<uss service='42'/>"));
  EXPECT_EQ(service_answer.at("key"), device.at("key"));

  CommandResult by_naf = lookup(kMef, kMef, "");
  ASSERT_EQ(by_naf.exit_code, 0) << by_naf.output;
  EXPECT_EQ(nlohmann::json::parse(by_naf.out).at("user_security_settings"),
            absl::Base64Escape("<uss naf='mef'/>"));

  CommandResult other_service = lookup(kMef, kMef, "7");
  EXPECT_EQ(other_service.exit_code, 1) << other_service.output;
  EXPECT_THAT(other_service.output, HasSubstr("5402 DIAMETER_ERROR_NOT_AUTHORIZED"));
  EXPECT_THAT(other_service.output, HasSubstr("--naf-service mef.example.com=7"));

  CommandResult unlisted = lookup("other.example.com", "naf2.test.example", "");
  EXPECT_EQ(unlisted.exit_code, 1) << unlisted.output;
  EXPECT_THAT(unlisted.output, HasSubstr("5402 DIAMETER_ERROR_NOT_AUTHORIZED"));
  EXPECT_THAT(unlisted.output, HasSubstr("user security settings list neither NAF"));
}

// A Diameter peer written here, on a raw TCP socket, that speaks the protocol from the
// hand encoder (tests/unit/zn_diameter/diameter_wire.h): it can send what freeDiameter's own
// API never would.
class RawDiameterPeer {
 public:
  static std::optional<RawDiameterPeer> Connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return std::nullopt;
    }
    return RawDiameterPeer(fd);
  }
  RawDiameterPeer(RawDiameterPeer&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawDiameterPeer& operator=(RawDiameterPeer&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~RawDiameterPeer() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool Send(const Bytes& message) {
    return ::send(fd_, message.data(), message.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(message.size());
  }
  // The next whole message, or nullopt when the peer closed or said nothing for 10 s.
  std::optional<Bytes> Receive() {
    Bytes header(4);
    if (!ReadAll(header.data(), 4)) return std::nullopt;
    const uint32_t length = diameter_wire::Get32(header, 0) & 0xFFFFFF;
    if (length < 20 || length > (1u << 20)) return std::nullopt;
    Bytes message(length);
    std::copy(header.begin(), header.end(), message.begin());
    if (!ReadAll(message.data() + 4, length - 4)) return std::nullopt;
    return message;
  }

 private:
  explicit RawDiameterPeer(int fd) : fd_(fd) {}
  bool ReadAll(uint8_t* out, size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, out, n, 0);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_;
};

// The result of an answer: Result-Code, or Experimental-Result-Code inside Experimental-Result.
uint32_t ResultOf(const Bytes& answer) {
  if (std::optional<Bytes> code = diameter_wire::FindTopLevelAvp(answer, 268); code.has_value()) {
    return code->size() == 4 ? diameter_wire::Get32(*code, 0) : 0;
  }
  std::optional<Bytes> group = diameter_wire::FindTopLevelAvp(answer, 297);
  if (!group.has_value()) return 0;
  // The grouped AVP's children: re-use the top-level walker on a fake 20-octet header.
  Bytes as_message(20, 0);
  as_message.insert(as_message.end(), group->begin(), group->end());
  std::optional<Bytes> code = diameter_wire::FindTopLevelAvp(as_message, 298);
  return code.has_value() && code->size() == 4 ? diameter_wire::Get32(*code, 0) : 0;
}

// TS 29.109 §6 / RFC 6733 §7: malformed Bootstrapping-Info-Requests (a value out of range, a
// missing mandatory AVP, a Zn AVP without its M bit, an unknown mandatory AVP, an AVP length
// past the message) each get a clean error answer from bsf-sim, never a crash, and the same
// connection then still gets a well-formed request answered.
TEST_F(DiameterZnE2eTest, MalformedRequestsGetCleanErrorAnswers) {
  using namespace diameter_wire;  // NOLINT: the encoder's small vocabulary
  StartDiameterBsf();
  std::optional<RawDiameterPeer> peer;
  for (int i = 0; i < 200 && !peer.has_value(); ++i) {
    peer = RawDiameterPeer::Connect(port_);
    if (!peer.has_value()) std::this_thread::sleep_for(25ms);
  }
  ASSERT_TRUE(peer.has_value()) << "bsf-sim's Diameter port " << port_;
  // RFC 6733 §5.3.1: the CER, as the listed NAF kMef.
  const Bytes cer =
      Message(kRequest,
              Cat({Avp(264, kM, Text(kMef)), Avp(296, kM, Text("example.com")),
                   Avp(257, kM, Bytes{0x00, 0x01, 127, 0, 0, 1}), Avp(266, kM, U32(0)),
                   Avp(269, 0, Text("raw-peer")), Avp(258, kM, U32(16777220))}),
              /*command=*/257, /*application=*/0, 1, 1);
  ASSERT_TRUE(peer->Send(cer));
  std::optional<Bytes> cea = peer->Receive();
  ASSERT_TRUE(cea.has_value()) << "no CEA";
  ASSERT_EQ(ResultOf(*cea), 2001u) << HexEncode(*cea);

  uint32_t hop = 100;
  auto bir = [&](const Bytes& zn_avps) {
    ++hop;
    return Message(kRequest | kProxiable,
                   Cat({Avp(263, kM, Text(absl::StrCat(kMef, ";raw;", hop))),
                        Avp(260, kM, Cat({Avp(266, kM, U32(10415)), Avp(258, kM, U32(16777220))})),
                        Avp(264, kM, Text(kMef)), Avp(296, kM, Text("example.com")),
                        Avp(283, kM, Text("test.example")), zn_avps}),
                   310, 16777220, hop, hop);
  };
  const Bytes naf_id = Cat({Text(kMef), Bytes{0x01, 0x00, 0x01, 0x00, 0xAE}});
  const Bytes btid = Text("AAAAAAAAAAAAAAAAAAAAAA==@bsf.test.example");
  // Answers a Device-Watchdog-Request (RFC 6733 §5.5); false for any other message.
  auto answer_watchdog = [&](const Bytes& got) {
    const uint32_t command = Get32(got, 4) & 0xFFFFFF;
    if (command != 280 || (got[4] & kRequest) == 0) return false;
    peer->Send(Message(
        0,
        Cat({Avp(268, kM, U32(2001)), Avp(264, kM, Text(kMef)), Avp(296, kM, Text("example.com"))}),
        280, 0, Get32(got, 12), Get32(got, 16)));
    return true;
  };
  // The answer to `request`, watchdogs answered on the way.
  auto exchange = [&](const Bytes& request) -> std::optional<Bytes> {
    if (!peer->Send(request)) return std::nullopt;
    for (;;) {
      std::optional<Bytes> got = peer->Receive();
      if (!got.has_value() || !answer_watchdog(*got)) return got;
    }
  };

  // A 300-octet B-TID: DIAMETER_INVALID_AVP_VALUE with the AVP in Failed-AVP.
  std::optional<Bytes> answer = exchange(bir(Cat({Zn(401, Bytes(300, 'A')), Zn(402, naf_id)})));
  ASSERT_TRUE(answer.has_value()) << "no answer to a 300-octet B-TID";
  EXPECT_EQ(ResultOf(*answer), 5004u);
  std::optional<Bytes> failed = FindTopLevelAvp(*answer, 279);
  ASSERT_TRUE(failed.has_value()) << "no Failed-AVP";
  EXPECT_EQ(HexEncode(*failed), HexEncode(Zn(401, Bytes(300, 'A'))));

  // No NAF-Id: the command's rules (freeDiameter): DIAMETER_MISSING_AVP.
  answer = exchange(bir(Zn(401, btid)));
  ASSERT_TRUE(answer.has_value()) << "no answer to a request without NAF-Id";
  EXPECT_EQ(ResultOf(*answer), 5005u);

  // NAF-Id without its M bit: the AVP's flags break the dictionary (3009, E bit set).
  answer = exchange(bir(Cat({Zn(401, btid), Avp(402, kV, naf_id, 10415)})));
  ASSERT_TRUE(answer.has_value()) << "no answer to a NAF-Id without M";
  EXPECT_NE(ResultOf(*answer), 2001u);
  const uint32_t bits_code = ResultOf(*answer);
  if (bits_code >= 3000 && bits_code < 4000) {
    EXPECT_NE((*answer)[4] & kError, 0) << bits_code;
  }

  // An unknown AVP marked mandatory: DIAMETER_AVP_UNSUPPORTED.
  answer = exchange(bir(Cat({Zn(401, btid), Zn(402, naf_id), Avp(4242, kM, U32(1))})));
  ASSERT_TRUE(answer.has_value()) << "no answer to an unknown mandatory AVP";
  EXPECT_EQ(ResultOf(*answer), 5001u);

  // Still serving on the same connection: a well-formed request for a B-TID never issued.
  answer = exchange(bir(Cat({Zn(401, btid), Zn(402, naf_id)})));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(ResultOf(*answer), 5403u);

  // An AVP whose length runs past the message: an error answer or the connection closed
  // (RFC 6733 §7.1.5, 5014); bsf-sim lives on and takes a new connection.
  Bytes overrun = bir(Cat({Zn(401, btid), Zn(402, naf_id)}));
  overrun[overrun.size() - naf_id.size() - 12 + 6] = 0x7F;  // NAF-Id's length: far too long
  answer = exchange(overrun);
  if (answer.has_value()) {
    EXPECT_NE(ResultOf(*answer), 2001u);
  }
  peer.reset();
  std::this_thread::sleep_for(200ms);  // freeDiameter forgets the closed connection
  peer = RawDiameterPeer::Connect(port_);
  ASSERT_TRUE(peer.has_value()) << "bsf-sim stopped listening";
  ASSERT_TRUE(peer->Send(cer));
  cea = peer->Receive();
  ASSERT_TRUE(cea.has_value()) << "no CEA on the new connection: "
                               << ReadFile(dir_ / "bsf-sim-1.log");
  EXPECT_EQ(ResultOf(*cea), 2001u);
  // A peer that comes back is on probation (RFC 3539 §3.4.1, freeDiameter's REOPEN state):
  // requests count only after three watchdog exchanges.
  for (int watchdogs = 0; watchdogs < 3;) {
    std::optional<Bytes> got = peer->Receive();
    ASSERT_TRUE(got.has_value()) << "no watchdog on the reopened connection";
    if (answer_watchdog(*got)) ++watchdogs;
  }
  std::this_thread::sleep_for(200ms);  // the last DWA reaches the state machine
  answer = exchange(bir(Cat({Zn(401, btid), Zn(402, naf_id)})));
  ASSERT_TRUE(answer.has_value()) << ReadFile(dir_ / "bsf-sim-1.log");
  EXPECT_EQ(ResultOf(*answer), 5403u) << HexEncode(*answer);
}

// TLS from the first byte (RFC 6733 §13) on bsf-sim's TLS port, no plain port at all: both
// certificates from one CA, each naming its Diameter identity.
TEST_F(DiameterZnE2eTest, NafKeyOverDiameterTls) {
  const fs::path pki = dir_ / "pki";
  fs::create_directories(pki);
  const std::string d = pki.string();
  auto issue = [&](const std::string& name) {
    return absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=",
        name, " -addext subjectAltName=DNS:", name, " -CA ", d, "/ca.pem -CAkey ", d,
        "/ca.key -keyout ", d, "/", name, ".key -out ", d, "/", name, ".pem");
  };
  CommandResult ca = RunCommand(
      absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                   "-subj /CN=test-zn-ca -keyout ",
                   d, "/ca.key -out ", d, "/ca.pem && ", issue(kBsfIdentity), " && ", issue(kMef)));
  ASSERT_EQ(ca.exit_code, 0) << ca.output;

  port_ = FreeLoopbackTcpPort();
  BsfSimOptions options;
  // On every address (a NAF on another machine could connect): TLS only may leave loopback.
  options.extra_serve_args = {"--diameter-tls-listen", absl::StrCat("0.0.0.0:", port_),
                              "--diameter-tls-cert",   absl::StrCat(d, "/", kBsfIdentity, ".pem"),
                              "--diameter-tls-key",    absl::StrCat(d, "/", kBsfIdentity, ".key"),
                              "--diameter-tls-ca",     d + "/ca.pem",
                              "--diameter-naf",        kMef};
  StartBsf(options);
  StartDaemon();
  const nlohmann::json device = DeviceKey();

  CommandResult naf = RunCommand(
      absl::StrCat(GBABRIDGE_TLS_NAF_BIN, " --naf-fqdn ", kMef, " --zn-diameter ", Peer(),
                   " --diameter-tls-cert ", d, "/", kMef, ".pem --diameter-tls-key ", d, "/", kMef,
                   ".key --diameter-tls-ca ", d, "/ca.pem --lookup '",
                   device.at("psk_identity").get<std::string>(), "' --json --show-key"));
  ASSERT_EQ(naf.exit_code, 0) << naf.output;
  EXPECT_EQ(nlohmann::json::parse(naf.out).at("key"), device.at("key"));
  // Without a certificate the NAF cannot reach the TLS-only BSF.
  CommandResult plain = Lookup(device.at("psk_identity"));
  EXPECT_EQ(plain.exit_code, 1) << plain.output;
}

// Wireshark's dissector, not ours, decodes a capture of the exchange on loopback: command
// 310 of application 16777220, and the Zn AVPs with the values both ends used.
TEST_F(DiameterZnE2eTest, TsharkDecodesTheExchangeAsThreeGppZn) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tshark is not installed (Debian: tshark; `make test` installs it)";
  }
  StartDiameterBsf();
  StartDaemon();
  const nlohmann::json device = DeviceKey();
  const std::string btid = device.at("btid");

  const fs::path pcap = dir_ / "zn.pcap";
  const fs::path capture_log = dir_ / "tshark-capture.log";
  auto capture = ChildProcess::Start(
      {"tshark", "-i", "lo", "-f", absl::StrCat("tcp port ", port_), "-w", pcap.string()},
      capture_log);
  ASSERT_TRUE(capture.ok()) << capture.status();
  std::string capture_out;
  for (int i = 0; i < 400 && capture_out.find("Capturing on") == std::string::npos; ++i) {
    if (!capture->running()) break;
    std::this_thread::sleep_for(25ms);
    capture_out = ReadFile(capture_log);
  }
  if (capture_out.find("Capturing on") == std::string::npos) {
    GTEST_SKIP() << "cannot capture on the loopback interface here (needs CAP_NET_RAW): "
                 << capture_out;
  }
  CommandResult naf = Lookup(device.at("psk_identity"));
  ASSERT_EQ(naf.exit_code, 0) << naf.output;
  const std::string key = nlohmann::json::parse(naf.out).at("key");
  CommandResult unknown = Lookup("3GPP-bootstrapping.AAAAAAAAAAAAAAAAAAAAAA==@bsf.test.example");
  EXPECT_EQ(unknown.exit_code, 1);
  std::this_thread::sleep_for(500ms);  // let the last segments reach the file
  capture->Signal(SIGINT);
  for (int i = 0; i < 200 && capture->running(); ++i) std::this_thread::sleep_for(25ms);

  const CommandResult decoded = RunCommand(absl::StrCat(
      "tshark -r ", pcap.string(), " -d tcp.port==", port_, ",diameter -Y diameter.cmd.code==310",
      " -T fields -E separator='|' -e diameter.flags.request -e diameter.applicationId",
      " -e diameter.Transaction-Identifier -e diameter.NAF-Hostname",
      " -e diameter.GBA_U-Awareness-Indicator -e diameter.User-Name",
      " -e diameter.ME-Key-Material -e diameter.UICC-Key-Material",
      " -e diameter.Key-ExpiryTime -e diameter.Experimental-Result-Code"));
  ASSERT_EQ(decoded.exit_code, 0) << decoded.output;
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(decoded.out, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '|'));
    ASSERT_EQ(rows.back().size(), 10u) << line;
  }
  ASSERT_EQ(rows.size(), 4u) << "two requests and two answers:\n" << decoded.out;
  auto hex = [](std::string field) {
    return absl::AsciiStrToLower(absl::StrReplaceAll(field, {{":", ""}}));
  };
  // The request: R flag, Zn, the B-TID, NAF-Id = FQDN || 01 00 01 00 AE, GBA_U-aware.
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[0][1], "16777220");
  EXPECT_EQ(hex(rows[0][2]), HexEncode(AsBytes(btid)));
  EXPECT_EQ(hex(rows[0][3]), HexEncode(AsBytes(kMef)) + "01000100ae");
  EXPECT_EQ(rows[0][4], "1");
  // The answer: the IMPI, Ks_ext_NAF as ME-Key-Material, Ks_int_NAF to a GBA_U-aware NAF,
  // an NTP expiry Wireshark reads as a date.
  EXPECT_EQ(rows[1][0], "0");
  EXPECT_THAT(rows[1][5], HasSubstr("@ims.mnc"));
  EXPECT_EQ(hex(rows[1][6]), key);
  EXPECT_EQ(hex(rows[1][7]).size(), 64u);
  EXPECT_THAT(rows[1][8], ::testing::MatchesRegex(".*20[0-9][0-9].*"));
  // The unknown B-TID's answer: Experimental-Result-Code 5403, no key.
  EXPECT_EQ(rows[3][9], "5403");
  EXPECT_EQ(rows[3][6], "");

  // Key-ExpiryTime as Wireshark reads the NTP seconds ("Dec  7, 2026 18:29:00.000000000
  // UTC") is the expiry the NAF printed, to the second.
  std::string wireshark_time = std::string(absl::StripAsciiWhitespace(rows[1][8]));
  wireshark_time = wireshark_time.substr(0, wireshark_time.find('.'));
  absl::RemoveExtraAsciiWhitespace(&wireshark_time);
  absl::Time decoded_expiry;
  std::string parse_error;
  ASSERT_TRUE(absl::ParseTime("%b %d, %Y %H:%M:%S", wireshark_time, absl::UTCTimeZone(),
                              &decoded_expiry, &parse_error))
      << rows[1][8] << ": " << parse_error;
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, decoded_expiry, absl::UTCTimeZone()),
            nlohmann::json::parse(naf.out).at("key_expiry").get<std::string>());

  // The answer's other fields, and each AVP's header: every Zn AVP (400-420) with the V and
  // M bits set (0xc0) and vendor 10415 (TS 29.109 §6.3), the application id with 10415.
  const CommandResult avps = RunCommand(absl::StrCat(
      "tshark -r ", pcap.string(), " -d tcp.port==", port_, ",diameter -Y diameter.cmd.code==310",
      " -T fields -E separator='|' -E occurrence=a -E aggregator=,",
      " -e diameter.avp.code -e diameter.avp.flags -e diameter.avp.vendorId",
      " -e diameter.GBA-Type -e diameter.BootstrapInfoCreationTime -e diameter.Vendor-Id"));
  ASSERT_EQ(avps.exit_code, 0) << avps.output;
  std::vector<std::string> avp_lines = absl::StrSplit(avps.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(avp_lines.size(), 4u) << avps.out;
  int zn_avps = 0;
  for (size_t m = 0; m < avp_lines.size(); ++m) {
    std::vector<std::string> f = absl::StrSplit(avp_lines[m], '|');
    ASSERT_EQ(f.size(), 6u) << avp_lines[m];
    std::vector<std::string> codes = absl::StrSplit(f[0], ',');
    std::vector<std::string> flags = absl::StrSplit(f[1], ',');
    ASSERT_EQ(codes.size(), flags.size()) << avp_lines[m];
    int zn_here = 0;
    for (size_t i = 0; i < codes.size(); ++i) {
      const int code = std::stoi(codes[i]);
      if (code >= 400 && code <= 420) {
        ++zn_here;
        EXPECT_EQ(absl::AsciiStrToLower(flags[i]), "0xc0") << "AVP " << code << " in message " << m;
      }
    }
    std::vector<std::string> vendors = absl::StrSplit(f[2], ',', absl::SkipEmpty());
    EXPECT_EQ(std::count(vendors.begin(), vendors.end(), "10415"), zn_here) << avp_lines[m];
    EXPECT_THAT(f[5], HasSubstr("10415")) << "Vendor-Specific-Application-Id / Experimental-Result";
    zn_avps += zn_here;
  }
  EXPECT_GE(zn_avps, 10);
  std::vector<std::string> success = absl::StrSplit(avp_lines[1], '|');
  EXPECT_EQ(success[3], "0") << "GBA-Type 3G";
  EXPECT_THAT(success[4], ::testing::MatchesRegex(".*20[0-9][0-9].*"))
      << "BootstrapInfoCreationTime";

  // Wireshark finds nothing malformed in the whole capture.
  const CommandResult expert = RunCommand(absl::StrCat(
      "tshark -r ", pcap.string(), " -d tcp.port==", port_, ",diameter -q -z expert,warn"));
  ASSERT_EQ(expert.exit_code, 0) << expert.output;
  EXPECT_THAT(expert.out, ::testing::Not(HasSubstr("Malformed"))) << expert.out;
  EXPECT_THAT(expert.out, ::testing::Not(HasSubstr("Errors ("))) << expert.out;
  EXPECT_THAT(expert.out, ::testing::Not(HasSubstr("Warns ("))) << expert.out;
}

}  // namespace
}  // namespace gbabridge::testing
