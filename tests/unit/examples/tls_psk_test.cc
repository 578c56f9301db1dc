// The TLS-PSK examples (examples/tls_psk): identity and Ua id naming, and whole sessions
// in-process: a fake BSF serving Zn over loopback gRPC, the NAF's TLS server on a loopback
// port, the device's TLS client, and a fake gbabridged for the device flow.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "examples/tls_psk/device_client.h"
#include "examples/tls_psk/gba_psk.h"
#include "examples/tls_psk/psk_tls.h"
#include "examples/tls_psk/tcp.h"
#include "examples/tls_psk/zn_key_source.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::examples {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kNaf[] = "mef.example.com";
constexpr char kToken[] = "demo-token";
constexpr char kBtid[] = "ERERERERERERERERERERERE=@bsf.example.org";
constexpr char kGbaUBtid[] = "IiIiIiIiIiIiIiIiIiIiIg==@bsf.example.org";
constexpr char kStaleBtid[] = "MzMzMzMzMzMzMzMzMzMzMw==@bsf.example.org";
constexpr auto kTimeout = std::chrono::seconds(5);

std::string Message(const absl::Status& status) { return std::string(status.message()); }

std::string KeyBytes(uint8_t seed) {
  std::string key(kNafKeySize, '\0');
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(seed + i);
  return key;
}

SecretBytes Key(uint8_t seed) { return SecretBytes::CopyFrom(AsBytes(KeyBytes(seed))); }

// ---------------------------------------------------------------------------------------
// Naming (gba_psk.h, tcp.h)

TEST(GbaPskTest, TlsUaIdIsTs33220AnnexH) {
  const UaSecurityProtocolId::Octets expected = {0x01, 0x00, 0x01, 0x00, 0xAE};
  EXPECT_EQ(TlsUaId().octets(), expected);
  const UaSecurityProtocolId::Octets other = {0x01, 0x00, 0x01, 0xC0, 0xA8};
  EXPECT_EQ(TlsUaId(0xC0A8).octets(), other);
}

TEST(GbaPskTest, MakesIdentities) {
  EXPECT_EQ(*MakePskIdentity(kBtid, false), absl::StrCat("3GPP-bootstrapping.", kBtid));
  EXPECT_EQ(*MakePskIdentity(kBtid, true), absl::StrCat("3GPP-bootstrapping-uicc.", kBtid));
  EXPECT_FALSE(MakePskIdentity("", false).ok());
  EXPECT_FALSE(MakePskIdentity("no-at-sign", false).ok());
  // The identity must fit OpenSSL's 256 bytes, prefix included: 19 + 237 fits, 24 + 237
  // does not.
  const std::string long_btid = std::string(24, 'A') + "@" + std::string(212, 'b');
  ASSERT_LE(long_btid.size(), kMaxBtidLength);
  EXPECT_EQ(MakePskIdentity(long_btid, false)->size(), kMaxIdentityLength);
  EXPECT_FALSE(MakePskIdentity(long_btid, true).ok());
}

TEST(GbaPskTest, ParsesIdentities) {
  absl::StatusOr<PskIdentity> me = ParsePskIdentity(absl::StrCat("3GPP-bootstrapping.", kBtid));
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->btid, kBtid);
  EXPECT_FALSE(me->gba_u);
  absl::StatusOr<PskIdentity> u = ParsePskIdentity(absl::StrCat("3GPP-bootstrapping-uicc.", kBtid));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->btid, kBtid);
  EXPECT_TRUE(u->gba_u);
  EXPECT_EQ(u->ToString(), absl::StrCat("3GPP-bootstrapping-uicc.", kBtid));
}

TEST(GbaPskTest, RejectsBadIdentities) {
  for (const std::string& bad : {
           std::string(""),
           std::string("3GPP-bootstrapping"),                  // no separator, no B-TID
           std::string("3GPP-bootstrapping."),                 // empty B-TID
           absl::StrCat("3gpp-bootstrapping.", kBtid),         // prefixes are case-sensitive
           absl::StrCat("3GPP-bootstrapping-digest.", kBtid),  // GBA_Digest: not here
           absl::StrCat("client1.", kBtid),
           std::string("3GPP-bootstrapping.abc"),                             // no '@'
           std::string("3GPP-bootstrapping.@bsf"),                            // empty RAND part
           std::string("3GPP-bootstrapping.abc@"),                            // empty BSF part
           std::string("3GPP-bootstrapping.a b@bsf"),                         // space
           std::string("3GPP-bootstrapping.a\x01@bsf"),                       // control character
           std::string("3GPP-bootstrapping.\xc3\xa9@bsf"),                    // non-ASCII
           absl::StrCat("3GPP-bootstrapping.", std::string(300, 'a'), "@b"),  // too long
       }) {
    EXPECT_FALSE(ParsePskIdentity(bad).ok()) << bad;
  }
}

TEST(TcpTest, ParsesHostPort) {
  absl::StatusOr<HostPort> v4 = ParseHostPort("127.0.0.1:4433");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 4433);
  absl::StatusOr<HostPort> v6 = ParseHostPort("[::1]:50051");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:50051");
  EXPECT_EQ(ParseHostPort("naf.example.com:1")->host, "naf.example.com");
  EXPECT_FALSE(ParseHostPort("127.0.0.1:0").ok());
  EXPECT_TRUE(ParseHostPort("127.0.0.1:0", /*allow_port_zero=*/true).ok());
  for (const char* bad : {"", "host", ":80", "host:", "host:65536", "host:-1", "host:8x", "::1:80",
                          "[::1]80", "[::1"}) {
    EXPECT_FALSE(ParseHostPort(bad, true).ok()) << bad;
  }
}

TEST(TcpTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("bsf.example.org"));
}

TEST(ZnChannelTest, PlainTextOnlyToLoopback) {
  EXPECT_TRUE(MakeZnChannel({"127.0.0.1", 50051}, nullptr).ok());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> remote =
      MakeZnChannel({"bsf.example.org", 50051}, nullptr);
  ASSERT_FALSE(remote.ok());
  EXPECT_THAT(Message(remote.status()), HasSubstr("mutual TLS"));
}

// ---------------------------------------------------------------------------------------
// A fake BSF: Zn with canned sessions.

class FakeZn final : public ::bsf::v1::Zn::Service {
 public:
  struct Session {
    std::string key;
    ::bsf::v1::GbaType type = ::bsf::v1::GBA_TYPE_ME;
    absl::Time expiry = absl::Now() + absl::Hours(1);
  };

  grpc::Status GetNafKey(grpc::ServerContext* context, const ::bsf::v1::GetNafKeyRequest* request,
                         ::bsf::v1::GetNafKeyResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_;
    last_request_ = *request;
    if (unavailable_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "HSS down");
    auto auth = context->client_metadata().find("authorization");
    if (auth == context->client_metadata().end() ||
        std::string(auth->second.data(), auth->second.size()) != absl::StrCat("Bearer ", kToken)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown NAF token");
    }
    auto it = sessions_.find(request->btid());
    if (it == sessions_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown B-TID");
    response->set_impi("001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
    response->set_ks_naf(it->second.key);
    if (it->second.type == ::bsf::v1::GBA_TYPE_U && request->gba_u_aware()) {
      response->set_ks_int_naf(KeyBytes(0x99));
    }
    response->mutable_key_expiry()->set_seconds(absl::ToUnixSeconds(it->second.expiry));
    response->set_gba_type(it->second.type);
    return grpc::Status::OK;
  }

  void AddSession(const std::string& btid, Session session) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_[btid] = std::move(session);
  }
  void set_unavailable(bool unavailable) {
    std::lock_guard<std::mutex> lock(mutex_);
    unavailable_ = unavailable;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  ::bsf::v1::GetNafKeyRequest last_request() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
  bool unavailable_ = false;
  int calls_ = 0;
  ::bsf::v1::GetNafKeyRequest last_request_;
};

// A fake gbabridged: GetNafKey answers from a script, one entry per call.
class FakeDaemon final : public gbabridge::v1::GbaBridge::Service {
 public:
  struct Answer {
    grpc::Status status = grpc::Status::OK;
    std::string reason = {};  // trailer gbabridge-error-reason, with an error
    std::string btid = {};
    std::string key = {};
    gbabridge::v1::GbaMode mode = gbabridge::v1::GBA_MODE_ME;
  };

  grpc::Status GetNafKey(grpc::ServerContext* context,
                         const gbabridge::v1::GetNafKeyRequest* request,
                         gbabridge::v1::GetNafKeyResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(*request);
    if (answers_.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "script exhausted");
    Answer answer = answers_.front();
    answers_.erase(answers_.begin());
    if (!answer.status.ok()) {
      context->AddTrailingMetadata("gbabridge-error-reason", answer.reason);
      context->AddTrailingMetadata("gbabridge-error-domain", "gbabridge.dev");
      return answer.status;
    }
    response->set_key(answer.key);
    response->set_btid(answer.btid);
    response->set_gba_mode(answer.mode);
    response->mutable_key_expiry()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    return grpc::Status::OK;
  }

  void Script(std::vector<Answer> answers) {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_ = std::move(answers);
  }
  std::vector<gbabridge::v1::GetNafKeyRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::vector<Answer> answers_;
  std::vector<gbabridge::v1::GetNafKeyRequest> requests_;
};

// ---------------------------------------------------------------------------------------
// The harness: fake BSF + NAF TLS server on loopback, serving connections in a thread.

class TlsPskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    zn_.AddSession(kBtid, {.key = KeyBytes(0x20)});
    zn_.AddSession(kGbaUBtid, {.key = KeyBytes(0x40), .type = ::bsf::v1::GBA_TYPE_U});
    grpc::ServerBuilder builder;
    int zn_port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &zn_port);
    builder.RegisterService(&zn_);
    builder.RegisterService(&daemon_);
    grpc_server_ = builder.BuildAndStart();
    ASSERT_NE(grpc_server_, nullptr);
    ASSERT_GT(zn_port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", zn_port),
                                   grpc::InsecureChannelCredentials());
    ZnKeySourceOptions options;
    options.naf_fqdn = kNaf;
    options.bearer_token = SecretBytes::CopyFrom(AsBytes(token_));
    keys_ = std::make_unique<ZnKeySource>(::bsf::v1::Zn::NewStub(channel_), std::move(options));
    absl::StatusOr<std::unique_ptr<NafTlsServer>> server = NafTlsServer::Create(*keys_);
    ASSERT_TRUE(server.ok()) << server.status();
    naf_ = *std::move(server);
    absl::StatusOr<Listener> listener = ListenTcp({"127.0.0.1", 0});
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
  }

  void TearDown() override {
    // Unblocks an accept() still waiting (a failed test may not have connected).
    if (listener_.fd.valid()) ::shutdown(listener_.fd.get(), SHUT_RDWR);
    if (naf_thread_.joinable()) naf_thread_.join();
    grpc_server_->Shutdown();
  }

  // The NAF serves `count` connections in the background.
  void ServeConnections(int count) {
    naf_thread_ = std::thread([this, count] {
      for (int i = 0; i < count; ++i) {
        absl::StatusOr<UniqueFd> fd = AcceptTcp(listener_, kTimeout, nullptr);
        if (!fd.ok()) return;
        PskIdentity parsed;
        absl::StatusOr<ServerSessionResult> result = naf_->Serve(fd->get(), &parsed);
        std::lock_guard<std::mutex> lock(mutex_);
        server_results_.push_back(std::move(result));
      }
    });
  }

  absl::StatusOr<ClientSessionResult> Connect(const std::string& btid, bool gba_u, SecretBytes psk,
                                              const std::string& message = "temperature=21.5") {
    absl::StatusOr<UniqueFd> fd = ConnectTcp(listener_.bound, kTimeout);
    if (!fd.ok()) return fd.status();
    absl::StatusOr<std::string> identity = MakePskIdentity(btid, gba_u);
    if (!identity.ok()) return identity.status();
    return RunClientSession(
        fd->get(),
        {.identity = *identity, .psk = std::move(psk), .server_name = kNaf, .message = message});
  }

  // What the NAF made of connection `i` (waits for the NAF thread).
  absl::StatusOr<ServerSessionResult> ServerResult(size_t i) {
    if (naf_thread_.joinable()) naf_thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    if (i >= server_results_.size()) return absl::InternalError("no such connection");
    return server_results_[i];
  }

  std::string token_ = kToken;
  FakeZn zn_;
  FakeDaemon daemon_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ZnKeySource> keys_;
  std::unique_ptr<NafTlsServer> naf_;
  Listener listener_;
  std::thread naf_thread_;
  std::mutex mutex_;
  std::vector<absl::StatusOr<ServerSessionResult>> server_results_;
};

TEST_F(TlsPskTest, HandshakeWithTheBsfKeySucceedsAndEchoes) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, false, Key(0x20));
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string identity = absl::StrCat("3GPP-bootstrapping.", kBtid);
  EXPECT_EQ(client->reply, absl::StrCat("hello ", identity, ", you sent: temperature=21.5"));
  EXPECT_EQ(client->cipher, "PSK-AES128-CBC-SHA256");
  EXPECT_EQ(client->protocol, "TLSv1.2");

  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->identity, identity);
  EXPECT_EQ(server->parsed.btid, kBtid);
  EXPECT_FALSE(server->parsed.gba_u);
  EXPECT_EQ(server->line, "temperature=21.5");
  EXPECT_EQ(server->cipher, "PSK-AES128-CBC-SHA256");

  // What the NAF asked the BSF (TS 29.109): its own FQDN, Ua id 01 00 01 00 AE.
  const ::bsf::v1::GetNafKeyRequest request = zn_.last_request();
  EXPECT_EQ(request.btid(), kBtid);
  EXPECT_EQ(request.naf_fqdn(), kNaf);
  EXPECT_EQ(request.ua_security_protocol_id(), std::string("\x01\x00\x01\x00\xAE", 5));
  EXPECT_FALSE(request.gba_u_aware());
}

TEST_F(TlsPskTest, GbaUKeyUsesTheUiccPrefixAndKsExtNaf) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kGbaUBtid, true, Key(0x40));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_THAT(client->reply, StartsWith("hello 3GPP-bootstrapping-uicc."));
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(server->parsed.gba_u);
  EXPECT_TRUE(zn_.last_request().gba_u_aware());
}

TEST_F(TlsPskTest, WrongKeyFailsTheHandshake) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, false, Key(0x21));
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(client.status())) << client.status();
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(server.status())) << server.status();
  EXPECT_THAT(Message(server.status()), HasSubstr(kBtid));
}

TEST_F(TlsPskTest, UnknownBtidFailsWithUnknownPskIdentity) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kStaleBtid, false, Key(0x20));
  ASSERT_FALSE(client.ok());
  // NotFound on the device is the "bootstrap again" signal.
  EXPECT_TRUE(absl::IsNotFound(client.status())) << client.status();
  EXPECT_THAT(Message(client.status()), HasSubstr("unknown_psk_identity"));
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsNotFound(server.status())) << server.status();
  EXPECT_THAT(Message(server.status()), HasSubstr(absl::StrCat("unknown B-TID ", kStaleBtid)));
}

TEST_F(TlsPskTest, BsfUnavailableIsNotABootstrapSignal) {
  zn_.set_unavailable(true);
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, false, Key(0x20));
  ASSERT_FALSE(client.ok());
  // internal_error, not unknown_psk_identity: a new bootstrap would not help.
  EXPECT_TRUE(absl::IsUnavailable(client.status())) << client.status();
  EXPECT_THAT(Message(client.status()), HasSubstr("internal_error"));
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsUnavailable(server.status())) << server.status();
}

TEST_F(TlsPskTest, WrongZnTokenIsReportedByTheNaf) {
  keys_ = std::make_unique<ZnKeySource>(
      ::bsf::v1::Zn::NewStub(channel_),
      ZnKeySourceOptions{.naf_fqdn = kNaf, .bearer_token = SecretBytes::CopyFrom(AsBytes("x"))});
  absl::StatusOr<std::unique_ptr<NafTlsServer>> naf = NafTlsServer::Create(*keys_);
  ASSERT_TRUE(naf.ok());
  naf_ = *std::move(naf);
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, false, Key(0x20));
  ASSERT_FALSE(client.ok());
  EXPECT_FALSE(absl::IsNotFound(client.status())) << client.status();
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(server.status())) << server.status();
  EXPECT_THAT(Message(server.status()), HasSubstr("--zn-token"));
}

TEST_F(TlsPskTest, UiccPrefixWithAGbaMeSessionIsRefused) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, true, Key(0x20));
  ASSERT_FALSE(client.ok());
  EXPECT_FALSE(absl::IsNotFound(client.status())) << client.status();
  absl::StatusOr<ServerSessionResult> server = ServerResult(0);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(server.status())) << server.status();
}

TEST_F(TlsPskTest, KeysAreCachedPerBtidUntilExpiry) {
  zn_.AddSession("RERERERERERERERERERERA==@bsf.example.org",
                 {.key = KeyBytes(0x50), .expiry = absl::Now() + absl::Seconds(1)});
  ServeConnections(3);
  ASSERT_TRUE(Connect(kBtid, false, Key(0x20)).ok());
  ASSERT_TRUE(Connect(kBtid, false, Key(0x20)).ok());
  EXPECT_EQ(zn_.calls(), 1);  // the second handshake cost no Zn round trip
  EXPECT_EQ(keys_->zn_calls(), 1);
  // A key is not used past its expiry: after it, the BSF is asked again.
  absl::SleepFor(absl::Milliseconds(1100));
  absl::StatusOr<ClientSessionResult> expired =
      Connect("RERERERERERERERERERERA==@bsf.example.org", false, Key(0x50));
  EXPECT_FALSE(expired.ok());
  EXPECT_TRUE(absl::IsNotFound(expired.status())) << expired.status();
}

TEST_F(TlsPskTest, ExpiredCacheEntryIsFetchedAgain) {
  const std::string btid = "VVVVVVVVVVVVVVVVVVVVVQ==@bsf.example.org";
  zn_.AddSession(btid, {.key = KeyBytes(0x60), .expiry = absl::Now() + absl::Seconds(2)});
  ServeConnections(2);
  ASSERT_TRUE(Connect(btid, false, Key(0x60)).ok());
  EXPECT_EQ(zn_.calls(), 1);
  // The BSF renews the session (same B-TID, later expiry) while the cached key expires.
  zn_.AddSession(btid, {.key = KeyBytes(0x60), .expiry = absl::Now() + absl::Hours(1)});
  absl::SleepFor(absl::Milliseconds(2100));
  ASSERT_TRUE(Connect(btid, false, Key(0x60)).ok());
  EXPECT_EQ(zn_.calls(), 2);
}

// A TLS server that is not a GBA NAF: its identity hint is something else.
TEST_F(TlsPskTest, DeviceRefusesAServerWithoutTheGbaHint) {
  naf_thread_ = std::thread([this] {
    absl::StatusOr<UniqueFd> fd = AcceptTcp(listener_, kTimeout, nullptr);
    if (!fd.ok()) return;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, kOpenSslCipher);
    SSL_CTX_use_psk_identity_hint(ctx, "some-other-service");
    SSL_CTX_set_psk_server_callback(
        ctx, [](SSL*, const char*, unsigned char* psk, unsigned int) -> unsigned int {
          std::memset(psk, 0x20, 32);
          return 32;
        });
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd->get());
    SSL_accept(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  });
  absl::StatusOr<ClientSessionResult> client = Connect(kBtid, false, Key(0x20));
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(client.status())) << client.status();
  EXPECT_THAT(Message(client.status()), HasSubstr("some-other-service"));
}

TEST_F(TlsPskTest, ClientRejectsAKeyOfTheWrongSize) {
  ServeConnections(1);
  absl::StatusOr<ClientSessionResult> client =
      Connect(kBtid, false, SecretBytes::CopyFrom(AsBytes("short")));
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(client.status())) << client.status();
  EXPECT_THAT(Message(client.status()), HasSubstr("32"));
}

// ---------------------------------------------------------------------------------------
// The device flow (device_client.h) against the fake daemon.

class DeviceFlowTest : public TlsPskTest {
 protected:
  absl::StatusOr<DeviceResult> Run(DeviceStep* step) {
    std::unique_ptr<gbabridge::v1::GbaBridge::Stub> stub =
        gbabridge::v1::GbaBridge::NewStub(channel_);
    DeviceOptions options;
    options.naf_fqdn = kNaf;
    options.naf_address = listener_.bound;
    options.message = "ping";
    options.daemon_timeout = kTimeout;
    options.naf_timeout = kTimeout;
    options.log = [this](std::string_view line) { log_.emplace_back(line); };
    return RunDevice(*stub, options, step);
  }
  std::vector<std::string> log_;
};

TEST_F(DeviceFlowTest, GetsTheKeyAndTalksToTheNaf) {
  daemon_.Script({{.btid = kBtid, .key = KeyBytes(0x20)}});
  ServeConnections(1);
  DeviceStep step{};
  absl::StatusOr<DeviceResult> result = Run(&step);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->reply, absl::StrCat("hello 3GPP-bootstrapping.", kBtid, ", you sent: ping"));
  EXPECT_EQ(result->identity, absl::StrCat("3GPP-bootstrapping.", kBtid));
  EXPECT_FALSE(result->bootstrapped_again);
  const std::vector<gbabridge::v1::GetNafKeyRequest> requests = daemon_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].naf_fqdn(), kNaf);
  EXPECT_EQ(requests[0].ua_security_protocol_id(), std::string("\x01\x00\x01\x00\xAE", 5));
  EXPECT_FALSE(requests[0].force_bootstrap());
  for (const std::string& line : log_) EXPECT_THAT(line, ::testing::Not(HasSubstr("2021222324")));
}

TEST_F(DeviceFlowTest, GbaUKeyUsesTheUiccPrefix) {
  daemon_.Script({{.btid = kGbaUBtid, .key = KeyBytes(0x40), .mode = gbabridge::v1::GBA_MODE_U}});
  ServeConnections(1);
  absl::StatusOr<DeviceResult> result = Run(nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->identity, absl::StrCat("3GPP-bootstrapping-uicc.", kGbaUBtid));
}

TEST_F(DeviceFlowTest, UnknownBtidBootstrapsAgainOnce) {
  // The daemon's cached session is unknown to the BSF; a forced bootstrap gives a new one.
  daemon_.Script(
      {{.btid = kStaleBtid, .key = KeyBytes(0x70)}, {.btid = kBtid, .key = KeyBytes(0x20)}});
  ServeConnections(2);
  absl::StatusOr<DeviceResult> result = Run(nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->bootstrapped_again);
  EXPECT_EQ(result->btid, kBtid);
  const std::vector<gbabridge::v1::GetNafKeyRequest> requests = daemon_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].force_bootstrap());
  EXPECT_TRUE(requests[1].force_bootstrap());
}

TEST_F(DeviceFlowTest, StillUnknownAfterABootstrapStops) {
  daemon_.Script({{.btid = kStaleBtid, .key = KeyBytes(0x70)},
                  {.btid = kStaleBtid, .key = KeyBytes(0x70)},
                  {.btid = kStaleBtid, .key = KeyBytes(0x70)}});
  ServeConnections(2);
  DeviceStep step{};
  absl::StatusOr<DeviceResult> result = Run(&step);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(step, DeviceStep::kTls);
  EXPECT_TRUE(absl::IsNotFound(result.status())) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("different BSFs"));
  EXPECT_EQ(daemon_.requests().size(), 2u);  // retried once, not more
}

TEST_F(DeviceFlowTest, DaemonErrorCarriesTheReason) {
  daemon_.Script({{.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                          "NAF mef.example.com is not in this caller's policy"),
                   .reason = "NAF_NOT_ALLOWED"}});
  DeviceStep step{};
  absl::StatusOr<DeviceResult> result = Run(&step);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(step, DeviceStep::kGetKey);
  EXPECT_TRUE(absl::IsPermissionDenied(result.status())) << result.status();
  EXPECT_THAT(Message(result.status()), HasSubstr("PERMISSION_DENIED/NAF_NOT_ALLOWED"));
}

TEST_F(DeviceFlowTest, MalformedDaemonAnswerIsRejected) {
  daemon_.Script({{.btid = kBtid, .key = "short"}});
  DeviceStep step{};
  absl::StatusOr<DeviceResult> result = Run(&step);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(step, DeviceStep::kGetKey);
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
}

TEST_F(DeviceFlowTest, NafNotListening) {
  daemon_.Script({{.btid = kBtid, .key = KeyBytes(0x20)}});
  const HostPort bound = listener_.bound;
  listener_ = Listener{};  // closes the port
  listener_.bound = bound;
  DeviceStep step{};
  absl::StatusOr<DeviceResult> result = Run(&step);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(step, DeviceStep::kConnect);
}

}  // namespace
}  // namespace gbabridge::examples
