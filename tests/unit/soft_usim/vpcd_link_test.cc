// VpcdLink against a fake vpcd: a TCP server on 127.0.0.1 with an ephemeral port.
#include "uicc/soft_usim/vpcd_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::Hex;
using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::TempDir;
using ::testing::HasSubstr;

constexpr int kTimeoutMs = 5000;

// A card that records what it sees.
class FakeCard : public ApduHandler {
 public:
  Bytes Reset() override {
    ++resets;
    return {0x3B, 0x00};
  }
  Bytes Process(ByteView apdu) override {
    last_apdu.assign(apdu.begin(), apdu.end());
    ++apdus;
    return {0x90, 0x00};
  }
  std::atomic<int> resets{0};
  std::atomic<int> apdus{0};
  Bytes last_apdu;
};

class FakeVpcd {
 public:
  // port 0: an ephemeral one.
  explicit FakeVpcd(uint16_t port = 0) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    socklen_t length = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~FakeVpcd() {
    CloseClient();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }

  bool Accept() {
    pollfd pfd = {.fd = listener_, .events = POLLIN, .revents = 0};
    if (::poll(&pfd, 1, kTimeoutMs) != 1) return false;
    client_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    return client_ >= 0;
  }
  void CloseClient() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
  }
  void SendRaw(ByteView bytes) {
    ASSERT_EQ(::send(client_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void SendMessage(ByteView payload) {
    SendRaw(soft_usim_testing::Cat({Bytes{static_cast<uint8_t>(payload.size() >> 8),
                                          static_cast<uint8_t>(payload.size() & 0xff)},
                                    payload}));
  }
  // One length-prefixed message, or nullopt on timeout/close.
  std::optional<Bytes> Receive() {
    uint8_t header[2];
    if (!ReadExact(header, 2)) return std::nullopt;
    Bytes payload((size_t{header[0]} << 8) | header[1]);
    if (!ReadExact(payload.data(), payload.size())) return std::nullopt;
    return payload;
  }
  // True when nothing arrives within `ms`.
  bool Silent(int ms) {
    pollfd pfd = {.fd = client_, .events = POLLIN, .revents = 0};
    return ::poll(&pfd, 1, ms) == 0;
  }

 private:
  bool ReadExact(uint8_t* buffer, size_t size) {
    size_t got = 0;
    while (got < size) {
      pollfd pfd = {.fd = client_, .events = POLLIN, .revents = 0};
      if (::poll(&pfd, 1, kTimeoutMs) != 1) return false;
      const ssize_t n = ::recv(client_, buffer + got, size - got, 0);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  }

  int listener_ = -1;
  int client_ = -1;
  uint16_t port_ = 0;
};

// Runs a link in a thread; stops and joins it on destruction.
class RunningLink {
 public:
  RunningLink(ApduHandler& card, uint16_t port)
      : link_(card, {.endpoint = {.host = "127.0.0.1", .port = port},
                     .reconnect_interval = std::chrono::milliseconds(50),
                     .log =
                         [this](std::string_view line) {
                           std::lock_guard<std::mutex> lock(mu_);
                           log_.emplace_back(line);
                         }}),
        thread_([this] { status_ = link_.Run(); }) {}
  ~RunningLink() { StopAndJoin().IgnoreError(); }
  absl::Status StopAndJoin() {
    link_.Stop();
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  VpcdLink& link() { return link_; }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> log_;
  VpcdLink link_;
  absl::Status status_;
  std::thread thread_;
};

TEST(VpcdLinkTest, ParsesEndpoints) {
  absl::StatusOr<VpcdEndpoint> e = ParseVpcdEndpoint("127.0.0.1:40000");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 40000);
  e = ParseVpcdEndpoint("[::1]:35963");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 35963);
  EXPECT_TRUE(ParseVpcdEndpoint("localhost:1").ok());
  for (const char* bad : {"localhost", ":40000", "host:0", "host:65536", "host:x", "[::1]40000"}) {
    EXPECT_FALSE(ParseVpcdEndpoint(bad).ok()) << bad;
  }
}

TEST(VpcdLinkTest, AnswersControlsAndApdusAndReconnects) {
  FakeVpcd vpcd;
  FakeCard card;
  RunningLink running(card, vpcd.port());
  ASSERT_TRUE(vpcd.Accept());

  // ATR request: answered with the ATR, without resetting the card.
  vpcd.SendMessage(Bytes{0x04});
  std::optional<Bytes> atr = vpcd.Receive();
  ASSERT_TRUE(atr.has_value());
  EXPECT_EQ(*atr, (Bytes{0x3B, 0x00}));
  const int resets_before = card.resets.load();
  vpcd.SendMessage(Bytes{0x04});
  ASSERT_TRUE(vpcd.Receive().has_value());
  EXPECT_EQ(card.resets.load(), resets_before);

  // Power on and reset are not answered but reset the card.
  vpcd.SendMessage(Bytes{0x01});
  vpcd.SendMessage(Bytes{0x02});
  vpcd.SendMessage(Bytes{0x00});
  EXPECT_TRUE(vpcd.Silent(100));
  EXPECT_EQ(card.resets.load(), resets_before + 3);
  vpcd.SendMessage(Bytes{0x07});  // unknown control: ignored
  EXPECT_TRUE(vpcd.Silent(50));

  // APDUs, including a maximal 65535-byte message.
  vpcd.SendMessage(Hex("00A40000023F00"));
  EXPECT_EQ(vpcd.Receive(), Hex("9000"));
  EXPECT_EQ(card.last_apdu, Hex("00A40000023F00"));
  vpcd.SendMessage(Bytes(0xFFFF, 0x00));
  EXPECT_EQ(vpcd.Receive(), Hex("9000"));
  EXPECT_EQ(card.last_apdu.size(), 0xFFFFu);
  vpcd.SendRaw(Bytes{0x00, 0x00});  // an empty message: nothing to answer
  EXPECT_TRUE(vpcd.Silent(50));

  // vpcd goes away and comes back: the link reconnects.
  vpcd.CloseClient();
  ASSERT_TRUE(vpcd.Accept());
  vpcd.SendMessage(Bytes{0x04});
  EXPECT_EQ(vpcd.Receive(), (Bytes{0x3B, 0x00}));
  EXPECT_EQ(running.link().connections(), 2);

  EXPECT_TRUE(running.StopAndJoin().ok());
  const std::vector<std::string> log = running.log();
  ASSERT_GE(log.size(), 4u);
  EXPECT_THAT(log[0], HasSubstr("connected to vpcd at 127.0.0.1"));
  EXPECT_THAT(log[1], HasSubstr("disconnected"));
  EXPECT_THAT(log.back(), HasSubstr("stopping"));
}

TEST(VpcdLinkTest, TruncatedMessageEndsTheSessionAndReconnects) {
  FakeVpcd vpcd;
  FakeCard card;
  RunningLink running(card, vpcd.port());
  ASSERT_TRUE(vpcd.Accept());
  vpcd.SendRaw(Bytes{0x00, 0x10, 0x00, 0xA4, 0x00});  // says 16 bytes, sends 3
  vpcd.CloseClient();
  ASSERT_TRUE(vpcd.Accept());
  EXPECT_EQ(card.apdus.load(), 0);
  vpcd.SendMessage(Bytes{0x04});
  EXPECT_TRUE(vpcd.Receive().has_value());
  const std::vector<std::string> log = running.log();
  bool saw_truncated = false;
  for (const std::string& line : log) saw_truncated |= line.find("truncated") != std::string::npos;
  EXPECT_TRUE(saw_truncated);
}

TEST(VpcdLinkTest, WaitsForVpcdToAppear) {
  uint16_t port = 0;
  {
    FakeVpcd probe;  // find a free port, then release it
    port = probe.port();
  }
  FakeCard card;
  RunningLink running(card, port);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(running.link().connections(), 0);
  FakeVpcd vpcd(port);
  ASSERT_TRUE(vpcd.Accept());
  vpcd.SendMessage(Bytes{0x04});
  EXPECT_TRUE(vpcd.Receive().has_value());
  const std::vector<std::string> log = running.log();
  ASSERT_FALSE(log.empty());
  EXPECT_THAT(log[0], HasSubstr("not reachable"));
}

TEST(VpcdLinkTest, StopsPromptlyWhileIdle) {
  FakeVpcd vpcd;
  FakeCard card;
  RunningLink running(card, vpcd.port());
  ASSERT_TRUE(vpcd.Accept());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(running.StopAndJoin().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(VpcdLinkTest, CarriesTheSoftUsim) {
  TempDir dir;
  std::unique_ptr<SoftUsim> card = MakeCard(dir.File("state.json"));
  FakeVpcd vpcd;
  RunningLink running(*card, vpcd.port());
  ASSERT_TRUE(vpcd.Accept());
  vpcd.SendMessage(Bytes{0x01});
  vpcd.SendMessage(Bytes{0x04});
  EXPECT_EQ(vpcd.Receive(), card->Atr());
  vpcd.SendMessage(Hex("00A40004023F0000"));
  std::optional<Bytes> fcp = vpcd.Receive();
  ASSERT_TRUE(fcp.has_value());
  EXPECT_EQ(fcp->front(), 0x62);
  EXPECT_EQ(soft_usim_testing::Sw(*fcp), 0x9000);
  vpcd.SendMessage(Hex("00"));  // power off
  vpcd.SendMessage(Hex("00CA0000"));
  EXPECT_EQ(vpcd.Receive(), Hex("6D00"));
}

}  // namespace
}  // namespace gbabridge
