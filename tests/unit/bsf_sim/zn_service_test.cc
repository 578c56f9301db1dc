// Zn over a real gRPC channel on loopback: NAF authentication (bearer token on the plain
// loopback listener, client certificate on the TLS listener), authorisation to the NAF's
// own FQDN, argument validation, and the keys compared with the KDF computed here.
#include "bsf_sim/zn_service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>

#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/in_memory_session_store.h"
#include "bsf_sim/naf_services.h"
#include "bsf_sim/naf_token.h"
#include "bsf_sim/zn_server.h"
#include "bsf_sim_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::MakeTestStore;
using ::gbabridge::bsf::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kBtid[] = "ERERERERERERERERERERERE=@bsf.example.org";
constexpr char kGbaUBtid[] = "IiIiIiIiIiIiIiIiIiIiIg==@bsf.example.org";
constexpr char kToken[] = "naf-one-token-0123456789";
constexpr char kOtherToken[] = "naf-two-token-9876543210";
constexpr char kThirdToken[] = "naf-three-token-5555555555";
const Bytes kRand(16, 0x11);

std::string Ua(const UaSecurityProtocolId& id) {
  return std::string(id.octets().begin(), id.octets().end());
}

SecretBytes TestKs(uint8_t seed) {
  SecretBytes ks(32);
  for (size_t i = 0; i < 32; ++i) ks.data()[i] = static_cast<uint8_t>(seed + i);
  return ks;
}

BsfSession Session(const std::string& btid, GbaMode mode, std::chrono::seconds remaining) {
  BsfSession s;
  s.btid = btid;
  s.impi = kTestImpi;
  s.rand = kRand;
  s.ks = TestKs(mode == GbaMode::kGbaU ? 0x40 : 0x20);
  s.gba_type = mode;
  s.created = absl::FromUnixSeconds(1800000000);
  s.expiry = s.created + absl::Hours(1);
  s.deadline = std::chrono::steady_clock::now() + remaining;
  return s;
}

class ZnServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeTestStore(dir_.File("hss.db"));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(sessions_.Insert(Session(kBtid, GbaMode::kGbaMe, std::chrono::hours(1))).ok());
    ASSERT_TRUE(sessions_.Insert(Session(kGbaUBtid, GbaMode::kGbaU, std::chrono::hours(1))).ok());
    ZnServerOptions options;
    options.naf_tokens.push_back(*MakeNafToken("naf.example.org", kToken));
    options.naf_tokens.push_back(*MakeNafToken("naf2.example.org", kOtherToken));
    options.naf_tokens.push_back(*MakeNafToken("naf3.example.org", kThirdToken));
    // The services each NAF runs (TS 33.220 §4.4.6): naf2 runs none.
    EXPECT_TRUE(AddNafServices("naf.example.org=42,7", options.naf_services).ok());
    EXPECT_TRUE(AddNafServices("NAF3.example.org=42", options.naf_services).ok());
    absl::StatusOr<std::unique_ptr<ZnServer>> server =
        ZnServer::Create(std::move(options), sessions_, store_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Start().ok());
    stub_ = ::bsf::v1::Zn::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                       grpc::InsecureChannelCredentials()));
  }

  grpc::Status Call(const ::bsf::v1::GetNafKeyRequest& request,
                    ::bsf::v1::GetNafKeyResponse* response, const std::string& token = kToken) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return stub_->GetNafKey(&context, request, response);
  }

  static ::bsf::v1::GetNafKeyRequest Request(const std::string& btid,
                                             const std::string& fqdn = "naf.example.org") {
    ::bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn(fqdn);
    request.set_ua_security_protocol_id(Ua(UaSecurityProtocolId::Tls13SharedKey()));
    return request;
  }

  TempDir dir_;
  std::unique_ptr<SubscriberStore> store_;
  InMemorySessionStore sessions_;
  std::unique_ptr<ZnServer> server_;
  std::unique_ptr<::bsf::v1::Zn::Stub> stub_;
};

TEST_F(ZnServiceTest, GbaMeKeyEqualsTheKdf) {
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = Call(Request(kBtid), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::StatusOr<NafId> naf =
      NafId::Create("naf.example.org", UaSecurityProtocolId::Tls13SharedKey());
  ASSERT_TRUE(naf.ok());
  absl::StatusOr<SecretBytes> expected = DeriveKsNaf(TestKs(0x20), kRand, kTestImpi, *naf);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(response.ks_naf(),
            std::string(reinterpret_cast<const char*>(expected->data()), expected->size()));
  EXPECT_TRUE(response.ks_int_naf().empty());
  EXPECT_EQ(response.impi(), kTestImpi);
  EXPECT_EQ(response.gba_type(), ::bsf::v1::GBA_TYPE_ME);
  EXPECT_EQ(response.bootstrap_time().seconds(), 1800000000);
  EXPECT_EQ(response.key_expiry().seconds(), 1800000000 + 3600);
  // USS configured for this subscriber and NAF at import.
  EXPECT_EQ(response.user_security_settings(), std::string("\x01\x02\x03\x04", 4));
}

TEST_F(ZnServiceTest, GbaUGivesExtAndForAwareNafsIntKeys) {
  absl::StatusOr<NafId> naf =
      NafId::Create("naf.example.org", UaSecurityProtocolId::Tls13SharedKey());
  ASSERT_TRUE(naf.ok());
  auto bytes = [](const SecretBytes& s) {
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
  };
  ::bsf::v1::GetNafKeyResponse response;
  ASSERT_TRUE(Call(Request(kGbaUBtid), &response).ok());
  EXPECT_EQ(response.gba_type(), ::bsf::v1::GBA_TYPE_U);
  EXPECT_EQ(response.ks_naf(), bytes(*DeriveKsExtNaf(TestKs(0x40), kRand, kTestImpi, *naf)));
  EXPECT_TRUE(response.ks_int_naf().empty());

  ::bsf::v1::GetNafKeyRequest aware = Request(kGbaUBtid);
  aware.set_gba_u_aware(true);
  response.Clear();
  ASSERT_TRUE(Call(aware, &response).ok());
  EXPECT_EQ(response.ks_naf(), bytes(*DeriveKsExtNaf(TestKs(0x40), kRand, kTestImpi, *naf)));
  EXPECT_EQ(response.ks_int_naf(), bytes(*DeriveKsIntNaf(TestKs(0x40), kRand, kTestImpi, *naf)));
  EXPECT_NE(response.ks_naf(), response.ks_int_naf());
  EXPECT_EQ(response.ks_naf().size(), 32u);

  // A GBA_ME session has no Ks_int_NAF, aware NAF or not.
  aware.set_btid(kBtid);
  response.Clear();
  ASSERT_TRUE(Call(aware, &response).ok());
  EXPECT_TRUE(response.ks_int_naf().empty());
}

TEST_F(ZnServiceTest, UnauthenticatedCallers) {
  ::bsf::v1::GetNafKeyResponse response;
  EXPECT_EQ(Call(Request(kBtid), &response, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(Request(kBtid), &response, "wrong-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Basic ") + kToken);
  EXPECT_EQ(stub_->GetNafKey(&context, Request(kBtid), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(response.ks_naf().empty());
}

TEST_F(ZnServiceTest, ANafOnlyGetsKeysForItsOwnFqdn) {
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = Call(Request(kBtid, "naf2.example.org"), &response, kToken);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("naf2.example.org"));
  EXPECT_TRUE(response.ks_naf().empty());
  // The other NAF with its own token may; FQDNs compare case-insensitively.
  EXPECT_TRUE(Call(Request(kBtid, "NAF2.Example.Org"), &response, kOtherToken).ok());
}

// TS 33.220 §4.4.6: USS belong to GAA services; the subscriber's list decides which NAFs
// get keys at all.
TEST_F(ZnServiceTest, UserSecuritySettingsByServiceThenByNaf) {
  ::bsf::v1::GetNafKeyResponse response;
  ::bsf::v1::GetNafKeyRequest by_service = Request(kBtid);
  by_service.set_gaa_service_id("42");
  ASSERT_TRUE(Call(by_service, &response).ok());
  EXPECT_EQ(response.user_security_settings(), std::string("\x05\x06\x07", 3))
      << "the service's USS win over the NAF's";
  by_service.set_gaa_service_id("7");
  response.Clear();
  ASSERT_TRUE(Call(by_service, &response).ok());
  EXPECT_EQ(response.user_security_settings(), std::string("\x01\x02\x03\x04", 4))
      << "a service without USS: those of the NAF FQDN";

  // A NAF the list does not name gets no key, and is told why...
  response.Clear();
  grpc::Status refused = Call(Request(kBtid, "naf3.example.org"), &response, kThirdToken);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("user security settings"));
  EXPECT_THAT(refused.error_message(), HasSubstr("naf3.example.org"));
  EXPECT_TRUE(response.ks_naf().empty());
  // ... unless it asks for a service the list names.
  ::bsf::v1::GetNafKeyRequest listed_service = Request(kBtid, "naf3.example.org");
  listed_service.set_gaa_service_id("42");
  response.Clear();
  ASSERT_TRUE(Call(listed_service, &response, kThirdToken).ok());
  EXPECT_EQ(response.user_security_settings(), std::string("\x05\x06\x07", 3));
  EXPECT_EQ(response.ks_naf().size(), 32u);
}

// A NAF names only the services the BSF knows it runs: otherwise any NAF could pass a
// subscriber's USS list, or read another service's USS, by naming a service it does not run.
TEST_F(ZnServiceTest, ANafNamingAServiceItDoesNotRunIsRefused) {
  ::bsf::v1::GetNafKeyResponse response;
  ::bsf::v1::GetNafKeyRequest request = Request(kBtid, "naf3.example.org");
  request.set_gaa_service_id("7");  // naf3 runs 42 only
  grpc::Status refused = Call(request, &response, kThirdToken);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("--naf-service naf3.example.org=7"));
  EXPECT_TRUE(response.ks_naf().empty());
  ::bsf::v1::GetNafKeyRequest other = Request(kBtid, "naf2.example.org");
  other.set_gaa_service_id("42");
  EXPECT_EQ(Call(other, &response, kOtherToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(response.ks_naf().empty());
}

TEST(NafServicesTest, ParsesAndRefusesWhatIsNotAGsid) {
  NafServices services;
  ASSERT_TRUE(AddNafServices("NAF.example.org=42,7", services).ok());
  ASSERT_TRUE(AddNafServices("naf.example.org=7,1", services).ok());
  EXPECT_THAT(services["naf.example.org"], ::testing::ElementsAre("42", "7", "1"));
  EXPECT_TRUE(NafMayName(services, "naf.EXAMPLE.org", "42"));
  EXPECT_FALSE(NafMayName(services, "naf.example.org", "420"));
  EXPECT_FALSE(NafMayName(services, "other.example.org", "42"));
  for (const char* bad : {"naf.example.org", "naf.example.org=", "naf.example.org=4a",
                          "naf.example.org=1,,2", "not a host=1", "naf.example.org=12345678901"}) {
    EXPECT_FALSE(AddNafServices(bad, services).ok()) << bad;
  }
}

TEST_F(ZnServiceTest, UnknownOrExpiredBtidIsNotFound) {
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = Call(Request("AAAAAAAAAAAAAAAAAAAAAA==@bsf.example.org"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("bootstrap again"));
  ASSERT_TRUE(sessions_
                  .Insert(Session("MzMzMzMzMzMzMzMzMzMzMw==@bsf.example.org", GbaMode::kGbaMe,
                                  -std::chrono::seconds(1)))
                  .ok());
  EXPECT_EQ(Call(Request("MzMzMzMzMzMzMzMzMzMzMw==@bsf.example.org"), &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZnServiceTest, MalformedArgumentsAreInvalid) {
  ::bsf::v1::GetNafKeyResponse response;
  ::bsf::v1::GetNafKeyRequest request = Request(kBtid);
  request.set_ua_security_protocol_id(std::string("\x01\x00\x00\x02", 4));  // 4 bytes
  EXPECT_EQ(Call(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_ua_security_protocol_id(std::string("\x07\x00\x00\x00\x02", 5));  // organisation
  EXPECT_EQ(Call(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request(kBtid, "not a host"), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request(""), &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request("no-at-sign"), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ZnServiceConfigTest, RefusesPlainTextOffLoopback) {
  InMemorySessionStore sessions;
  for (const char* host : {"0.0.0.0", "192.0.2.1", "::"}) {
    ZnServerOptions options;
    options.listen = {host, 0};
    absl::StatusOr<std::unique_ptr<ZnServer>> server =
        ZnServer::Create(std::move(options), sessions, nullptr);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << host;
  }
  ZnServerOptions partial;
  partial.tls_cert_file = "/nonexistent.pem";
  EXPECT_FALSE(ZnServer::Create(std::move(partial), sessions, nullptr).ok());
  EXPECT_TRUE(IsLoopbackHost("127.0.0.2"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("LocalHost"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
}

class ZnServiceTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sessions_.Insert(Session(kBtid, GbaMode::kGbaMe, std::chrono::hours(1))).ok());
    const testing::KeyAndCert server = pki_.Issue("localhost", "DNS:localhost,IP:127.0.0.1");
    testing::WriteFile(dir_.File("zn.pem"), server.cert_pem);
    testing::WriteFile(dir_.File("zn.key"), server.key_pem);
    testing::WriteFile(dir_.File("ca.pem"), pki_.ca_pem());
    ZnServerOptions options;
    options.tls_cert_file = dir_.File("zn.pem");
    options.tls_key_file = dir_.File("zn.key");
    options.client_ca_file = dir_.File("ca.pem");
    // Tokens do not count on the TLS listener.
    options.naf_tokens.push_back(*MakeNafToken("naf.example.org", kToken));
    absl::StatusOr<std::unique_ptr<ZnServer>> zn =
        ZnServer::Create(std::move(options), sessions_, nullptr);
    ASSERT_TRUE(zn.ok()) << zn.status();
    server_ = *std::move(zn);
    ASSERT_TRUE(server_->Start().ok());
  }

  std::unique_ptr<::bsf::v1::Zn::Stub> Stub(const testing::KeyAndCert* client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca_pem();
    if (client != nullptr) {
      ssl.pem_private_key = client->key_pem;
      ssl.pem_cert_chain = client->cert_pem;
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return ::bsf::v1::Zn::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl), args));
  }

  grpc::Status Call(::bsf::v1::Zn::Stub& stub, const std::string& fqdn,
                    ::bsf::v1::GetNafKeyResponse* response, bool with_token = false) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (with_token) context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ::bsf::v1::GetNafKeyRequest request;
    request.set_btid(kBtid);
    request.set_naf_fqdn(fqdn);
    request.set_ua_security_protocol_id(Ua(UaSecurityProtocolId::HttpDigest()));
    return stub.GetNafKey(&context, request, response);
  }

  TempDir dir_;
  testing::TestPki pki_;
  InMemorySessionStore sessions_;
  std::unique_ptr<ZnServer> server_;
};

TEST_F(ZnServiceTlsTest, ClientCertificateNamesTheNaf) {
  // Identity by subject CN.
  const testing::KeyAndCert by_cn = pki_.Issue("naf.example.org", "");
  auto stub = Stub(&by_cn);
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = Call(*stub, "naf.example.org", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.ks_naf().size(), 32u);
  EXPECT_EQ(Call(*stub, "naf2.example.org", &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Identity by DNS subjectAltName (the CN is not an FQDN here).
  const testing::KeyAndCert by_san = pki_.Issue("NAF two", "DNS:naf2.example.org");
  auto stub2 = Stub(&by_san);
  EXPECT_TRUE(Call(*stub2, "naf2.example.org", &response).ok());
  EXPECT_EQ(Call(*stub2, "naf.example.org", &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ZnServiceTlsTest, NoClientCertificateNoConnectionAndTokensDoNotHelp) {
  auto stub = Stub(nullptr);
  ::bsf::v1::GetNafKeyResponse response;
  grpc::Status status = Call(*stub, "naf.example.org", &response, /*with_token=*/true);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(response.ks_naf().empty());
  // A certificate from another CA is refused by the handshake.
  testing::TestPki other;
  const testing::KeyAndCert foreign = other.Issue("naf.example.org", "");
  auto stub2 = Stub(&foreign);
  EXPECT_FALSE(Call(*stub2, "naf.example.org", &response).ok());
}

}  // namespace
}  // namespace gbabridge::bsf
