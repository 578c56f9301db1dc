// The Ub state machine over real HTTP on 127.0.0.1 (ephemeral port), driven with
// cpp-httplib's client. The UE's side (AUTN check, RES, AUTS) is computed here with
// Milenage; digests with bootstrap/protocol/digest_aka.h.
#include "bsf_sim/ub_server.h"

#include <httplib.h>
#include <openssl/sha.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/base64.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/digest_aka.h"
#include "bootstrap/protocol/product_tokens.h"
#include "bsf_sim/av_generator.h"
#include "bsf_sim/in_memory_session_store.h"
#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim/ub_authenticator.h"
#include "bsf_sim_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::kGbaUImpi;
using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::MakeAuts;
using ::gbabridge::bsf::testing::MakeTestStore;
using ::gbabridge::bsf::testing::SqnBytes;
using ::gbabridge::bsf::testing::SqnValue;
using ::gbabridge::bsf::testing::TempDir;
using ::gbabridge::bsf::testing::TestMilenage;
using ::testing::HasSubstr;

constexpr char kBsfName[] = "bsf.example.org";
constexpr char kRealm[] = "bsf.example.org";
constexpr char kUserAgent[] = "gbabridge-test/1.0 3gpp-gba-tmpi";
constexpr char kUserAgentGbaU[] = "gbabridge-test/1.0 3gpp-gba-tmpi 3gpp-gba-uicc";

std::string InitialAuthorization(const std::string& impi) {
  return absl::StrCat("Digest username=\"", impi,
                      "\", realm=\"ims.mnc001.mcc001.3gppnetwork.org\", nonce=\"\", uri=\"/\", "
                      "response=\"\"");
}

// What the UE learns from a 401 and answers.
struct UeView {
  DigestChallenge challenge;
  AkaNonce nonce;
  uint64_t sqn = 0;
  MilenageF2345 keys;  // RES, CK, IK as the USIM computes them
  bool mac_star = false;
};

class UbServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartBsf(absl::Seconds(60)); }

  void StartBsf(absl::Duration nonce_timeout,
                SubscriberStore::OpenMode mode = SubscriberStore::OpenMode::kReadWrite) {
    server_.reset();
    authenticator_.reset();
    generator_.reset();
    store_.reset();
    // A fresh database per start.
    const std::string db = dir_.File(absl::StrCat("hss", ++starts_, ".db"));
    if (mode == SubscriberStore::OpenMode::kReadWrite) {
      store_ = MakeTestStore(db);
    } else {
      MakeTestStore(db).reset();
      store_ = *SubscriberStore::Open(db, mode);
    }
    ASSERT_NE(store_, nullptr);
    generator_ = std::make_unique<AvGenerator>(*store_);
    authenticator_ =
        std::make_unique<UbAuthenticator>(UbAuthenticatorOptions{.bsf_name = kBsfName,
                                                                 .realm = kRealm,
                                                                 .lifetime = absl::Hours(1),
                                                                 .nonce_timeout = nonce_timeout},
                                          *generator_, sessions_);
    absl::StatusOr<std::unique_ptr<UbServer>> server =
        UbServer::Create(UbServerOptions{}, *authenticator_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Get(const std::string& authorization, const std::string& user_agent = kUserAgent,
                      const std::string& path = "/") {
    httplib::Headers headers{{"User-Agent", user_agent}};
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client_->Get(path.c_str(), headers);
  }

  // Sends the initial request and opens the challenge as the USIM would.
  UeView Challenge(const std::string& impi, const std::string& user_agent = kUserAgent) {
    UeView ue;
    httplib::Result res = Get(InitialAuthorization(impi), user_agent);
    EXPECT_TRUE(res) << "no HTTP answer";
    if (!res) return ue;
    EXPECT_EQ(res->status, 401) << res->body;
    absl::StatusOr<DigestChallenge> challenge =
        ParseWwwAuthenticate(res->get_header_value("WWW-Authenticate"));
    EXPECT_TRUE(challenge.ok()) << challenge.status();
    if (!challenge.ok()) return ue;
    ue.challenge = *challenge;
    absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(challenge->nonce);
    EXPECT_TRUE(nonce.ok()) << nonce.status();
    if (!nonce.ok()) return ue;
    ue.nonce = *nonce;
    Rand rand{};
    std::copy(nonce->rand.begin(), nonce->rand.end(), rand.begin());
    ue.keys = milenage_.F2345(rand);
    Sqn sqn{};
    for (size_t i = 0; i < 6; ++i) sqn[i] = nonce->autn[i] ^ ue.keys.ak[i];
    ue.sqn = SqnValue(sqn);
    // The USIM's MAC check (TS 33.102 §6.3.3), with the GBA_U unmasking when it applies.
    Mac mac = milenage_.F1(rand, sqn, Amf{nonce->autn[6], nonce->autn[7]});
    const Mac received = {nonce->autn[8],  nonce->autn[9],  nonce->autn[10], nonce->autn[11],
                          nonce->autn[12], nonce->autn[13], nonce->autn[14], nonce->autn[15]};
    if (mac != received) {
      uint8_t digest[SHA_DIGEST_LENGTH];
      SHA1(ue.keys.ik.data(), ue.keys.ik.size(), digest);
      for (size_t i = 0; i < 8; ++i) mac[i] ^= digest[i];
      ue.mac_star = true;
    }
    EXPECT_EQ(mac, received) << "AUTN does not verify";
    return ue;
  }

  DigestAuthorization AnswerFor(const UeView& ue, const std::string& impi,
                                const std::string& method = "GET", const std::string& body = "") {
    DigestAuthorization auth;
    auth.username = impi;
    auth.realm = ue.challenge.realm;
    auth.nonce = ue.challenge.nonce;
    auth.uri = "/";
    auth.algorithm = kAkaV1Md5;
    auth.qop = kQopAuthInt;
    auth.nc = "00000001";
    auth.cnonce = "0a4f113b";
    auth.opaque = ue.challenge.opaque;
    absl::StatusOr<std::string> response =
        ComputeDigestResponse(auth, ue.keys.res, method, AsBytes(body));
    EXPECT_TRUE(response.ok()) << response.status();
    auth.response = response.ok() ? *response : "";
    return auth;
  }

  TempDir dir_;
  int starts_ = 0;
  std::unique_ptr<SubscriberStore> store_;
  std::unique_ptr<AvGenerator> generator_;
  InMemorySessionStore sessions_;
  std::unique_ptr<UbAuthenticator> authenticator_;
  std::unique_ptr<UbServer> server_;
  std::unique_ptr<httplib::Client> client_;
  Milenage milenage_ = TestMilenage();
};

TEST_F(UbServerTest, ChallengeThenCorrectAnswerBootstraps) {
  const UeView ue = Challenge(kTestImpi);
  EXPECT_EQ(ue.challenge.realm, kRealm);
  EXPECT_EQ(ue.challenge.algorithm, "AKAv1-MD5");
  EXPECT_EQ(ue.challenge.qop, "auth-int");
  EXPECT_TRUE(ue.challenge.opaque.has_value());
  EXPECT_FALSE(ue.challenge.stale);
  EXPECT_EQ(ue.nonce.server_data.size(), 16u);
  EXPECT_FALSE(ue.mac_star);
  EXPECT_EQ(SeqOf(ue.sqn, kDefaultIndBits), 1u);

  const DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/vnd.3gpp.bsf+xml");

  // Mutual authentication: rspauth over the body with RES (RFC 2617 §3.2.3).
  absl::StatusOr<AuthenticationInfo> info =
      ParseAuthenticationInfo(res->get_header_value("Authentication-Info"));
  ASSERT_TRUE(info.ok()) << info.status();
  absl::StatusOr<std::string> rspauth = ComputeRspauth(answer, ue.keys.res, AsBytes(res->body));
  ASSERT_TRUE(rspauth.ok());
  EXPECT_TRUE(DigestEquals(info->rspauth, *rspauth));
  EXPECT_EQ(info->qop, std::optional<std::string>("auth-int"));
  EXPECT_EQ(info->cnonce, answer.cnonce);
  EXPECT_EQ(info->nc, answer.nc);

  absl::StatusOr<BootstrappingInfo> xml = ParseBootstrappingInfo(res->body);
  ASSERT_TRUE(xml.ok()) << xml.status() << "\n" << res->body;
  EXPECT_EQ(xml->btid, absl::StrCat(Base64Encode(ue.nonce.rand), "@", kBsfName));
  EXPECT_NEAR(absl::ToDoubleSeconds(xml->lifetime - absl::Now()), 3600, 5);

  // The BSF keeps Ks = CK || IK under the B-TID.
  absl::StatusOr<BsfSession> session = sessions_.Lookup(xml->btid);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->impi, kTestImpi);
  EXPECT_EQ(session->gba_type, GbaMode::kGbaMe);
  EXPECT_EQ(session->expiry, xml->lifetime);
  EXPECT_EQ(session->ks.RevealHex(), ue.keys.ck.RevealHex() + ue.keys.ik.RevealHex());
  EXPECT_EQ(authenticator_->PendingCount(), 0u);
}

TEST_F(UbServerTest, GbaUWhenTheUeSendsTheUiccToken) {
  const UeView ue = Challenge(kGbaUImpi, kUserAgentGbaU);
  EXPECT_TRUE(ue.mac_star);
  httplib::Result res = Get(FormatAuthorization(AnswerFor(ue, kGbaUImpi)), kUserAgentGbaU);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  absl::StatusOr<BootstrappingInfo> xml = ParseBootstrappingInfo(res->body);
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(sessions_.Lookup(xml->btid)->gba_type, GbaMode::kGbaU);
  // The same GBA-aware subscriber without the token: plain AUTN (3G context).
  EXPECT_FALSE(Challenge(kGbaUImpi, kUserAgent).mac_star);
}

TEST_F(UbServerTest, AbsoluteDigestUriIsAccepted) {
  const UeView ue = Challenge(kTestImpi);
  DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  answer.uri = absl::StrCat("http://127.0.0.1:", server_->port(), "/");
  answer.response = *ComputeDigestResponse(answer, ue.keys.res, "GET", {});
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(UbServerTest, PostWithBodyIsCoveredByAuthInt) {
  const UeView ue = Challenge(kTestImpi);
  const std::string body = "<request/>";
  httplib::Headers headers{
      {"User-Agent", kUserAgent},
      {"Authorization", FormatAuthorization(AnswerFor(ue, kTestImpi, "POST", body))}};
  httplib::Result res = client_->Post("/", headers, body, "application/xml");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(UbServerTest, WrongResponseIs403AndTheNonceIsDead) {
  const UeView ue = Challenge(kTestImpi);
  DigestAuthorization wrong = AnswerFor(ue, kTestImpi);
  wrong.response = std::string(32, '0');
  httplib::Result res = Get(FormatAuthorization(wrong));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // The right answer to the same nonce comes too late: the vector is gone.
  res = Get(FormatAuthorization(AnswerFor(ue, kTestImpi)));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(sessions_.Size(), 0u);
}

TEST_F(UbServerTest, ReplayOfACompletedExchangeFails) {
  const UeView ue = Challenge(kTestImpi);
  const std::string answer = FormatAuthorization(AnswerFor(ue, kTestImpi));
  httplib::Result res = Get(answer);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  res = Get(answer);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(sessions_.Size(), 1u);
}

TEST_F(UbServerTest, UnknownNonceGetsAFreshChallenge) {
  UeView ue = Challenge(kTestImpi);
  DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  // A well-formed nonce this BSF never issued (other server data).
  AkaNonce forged = ue.nonce;
  forged.server_data[0] ^= 0xff;
  answer.nonce = EncodeAkaNonce(forged);
  answer.opaque.reset();
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  absl::StatusOr<DigestChallenge> fresh =
      ParseWwwAuthenticate(res->get_header_value("WWW-Authenticate"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->nonce, ue.challenge.nonce);
  EXPECT_FALSE(fresh->stale);
  // Garbage instead of base64: also just unknown.
  answer.nonce = "!!!";
  res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(UbServerTest, MalformedRequestsAre400NeverACrash) {
  for (const std::string& header :
       {std::string(""), std::string("Digest username=\"unterminated"), std::string("Basic YTpi"),
        std::string("Digest"), std::string("Digest realm=\"x\", nonce=\"\""),
        std::string("Digest username=\"") + kTestImpi + "\", nonce=\"\", algorithm=MD5",
        std::string(5000, ','), std::string("Digest username=\x01\x02")}) {
    httplib::Result res = Get(header);
    ASSERT_TRUE(res) << header;
    EXPECT_EQ(res->status, 400) << header;
  }
  // Two Authorization headers.
  httplib::Headers two{{"Authorization", InitialAuthorization(kTestImpi)},
                       {"Authorization", InitialAuthorization(kTestImpi)}};
  httplib::Result res = client_->Get("/", two);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(UbServerTest, IncompleteAnswerIs400AndKeepsTheChallenge) {
  const UeView ue = Challenge(kTestImpi);
  DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  DigestAuthorization no_qop = answer;
  no_qop.qop.reset();
  DigestAuthorization bad_uri = answer;
  bad_uri.uri = "/elsewhere";
  DigestAuthorization no_cnonce = answer;
  no_cnonce.cnonce.reset();
  for (const DigestAuthorization& bad : {no_qop, bad_uri, no_cnonce}) {
    httplib::Result res = Get(FormatAuthorization(bad));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
  }
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(UbServerTest, UnknownImpiIs403) {
  httplib::Result res = Get(InitialAuthorization("nobody@ims.example.org"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_FALSE(res->has_header("WWW-Authenticate"));
}

TEST_F(UbServerTest, AnswerUnderAnotherUsernameIs403) {
  const UeView ue = Challenge(kTestImpi);
  httplib::Result res = Get(FormatAuthorization(AnswerFor(ue, kGbaUImpi)));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(UbServerTest, OnlyTheRootPath) {
  httplib::Result res = Get(InitialAuthorization(kTestImpi), kUserAgent, "/bsf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(UbServerTest, AutsResynchronisesAndSendsAFreshChallenge) {
  const UeView ue = Challenge(kTestImpi);
  // The card has accepted SEQ 77 already: it answers with AUTS (RFC 3310 §3.4), the
  // response computed over an empty password.
  Rand rand{};
  std::copy(ue.nonce.rand.begin(), ue.nonce.rand.end(), rand.begin());
  const uint64_t sqn_ms = uint64_t{77} << kDefaultIndBits;
  DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  answer.auts = Base64Encode(MakeAuts(milenage_, rand, sqn_ms));
  answer.response = *ComputeDigestResponse(answer, SecretBytes(), "GET", {});
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 401) << res->body;
  absl::StatusOr<DigestChallenge> fresh =
      ParseWwwAuthenticate(res->get_header_value("WWW-Authenticate"));
  ASSERT_TRUE(fresh.ok());
  absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(fresh->nonce);
  ASSERT_TRUE(nonce.ok());
  Rand rand2{};
  std::copy(nonce->rand.begin(), nonce->rand.end(), rand2.begin());
  const Ak ak = milenage_.F2345(rand2).ak;
  Sqn sqn{};
  for (size_t i = 0; i < 6; ++i) sqn[i] = nonce->autn[i] ^ ak[i];
  EXPECT_EQ(SeqOf(SqnValue(sqn), kDefaultIndBits), 78u);
}

TEST_F(UbServerTest, AutsWithBadMacSIs403) {
  const UeView ue = Challenge(kTestImpi);
  Rand rand{};
  std::copy(ue.nonce.rand.begin(), ue.nonce.rand.end(), rand.begin());
  DigestAuthorization answer = AnswerFor(ue, kTestImpi);
  answer.auts = Base64Encode(MakeAuts(milenage_, rand, 77 << 5, /*corrupt_mac=*/true));
  answer.response = *ComputeDigestResponse(answer, SecretBytes(), "GET", {});
  httplib::Result res = Get(FormatAuthorization(answer));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(SeqOf(store_->Lookup(kTestImpi)->sqn, kDefaultIndBits), 1u);
}

TEST_F(UbServerTest, TimedOutNonceGetsAStaleChallenge) {
  StartBsf(absl::Milliseconds(200));
  const UeView ue = Challenge(kTestImpi);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Result res = Get(FormatAuthorization(AnswerFor(ue, kTestImpi)));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 401);
  absl::StatusOr<DigestChallenge> fresh =
      ParseWwwAuthenticate(res->get_header_value("WWW-Authenticate"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->stale);
  EXPECT_EQ(sessions_.Size(), 0u);
}

TEST_F(UbServerTest, SweepDropsOldChallenges) {
  StartBsf(absl::Milliseconds(100));
  Challenge(kTestImpi);
  Challenge(kGbaUImpi);
  EXPECT_EQ(authenticator_->PendingCount(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(authenticator_->SweepPending(), 2u);
  EXPECT_EQ(authenticator_->PendingCount(), 0u);
}

TEST_F(UbServerTest, ReadOnlyDatabaseIs503AndNoVector) {
  StartBsf(absl::Seconds(60), SubscriberStore::OpenMode::kReadOnly);
  httplib::Result res = Get(InitialAuthorization(kTestImpi));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_FALSE(res->has_header("WWW-Authenticate"));
  EXPECT_EQ(authenticator_->PendingCount(), 0u);
}

// Past the bound new challenges are refused (503, Retry-After) before any vector is made;
// the open ones stay answerable (none is evicted: the IMPI is not secret).
TEST_F(UbServerTest, OpenChallengesPerImpiAreBoundedAndTheExtraOnesRefused) {
  std::vector<UeView> open;
  for (int i = 0; i < 4; ++i) open.push_back(Challenge(kTestImpi));
  EXPECT_EQ(authenticator_->PendingCount(), 4u);
  httplib::Result refused = Get(InitialAuthorization(kTestImpi), kUserAgent);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_TRUE(refused->has_header("Retry-After"));
  EXPECT_EQ(authenticator_->PendingCount(), 4u);
}

TEST(UbServerTlsTest, ServesHttpsWithTheGivenCertificate) {
  TempDir dir;
  std::unique_ptr<SubscriberStore> store = MakeTestStore(dir.File("hss.db"));
  AvGenerator generator(*store);
  InMemorySessionStore sessions;
  UbAuthenticator authenticator({.bsf_name = kBsfName, .realm = kRealm}, generator, sessions);
  testing::TestPki pki;
  const testing::KeyAndCert server = pki.Issue("localhost", "DNS:localhost,IP:127.0.0.1");
  testing::WriteFile(dir.File("ub.pem"), server.cert_pem);
  testing::WriteFile(dir.File("ub.key"), server.key_pem);
  testing::WriteFile(dir.File("ca.pem"), pki.ca_pem());
  absl::StatusOr<std::unique_ptr<UbServer>> ub = UbServer::Create(
      {.tls_cert_file = dir.File("ub.pem"), .tls_key_file = dir.File("ub.key")}, authenticator);
  ASSERT_TRUE(ub.ok()) << ub.status();
  ASSERT_TRUE((*ub)->Start().ok());
  httplib::SSLClient client("127.0.0.1", (*ub)->port());
  client.set_ca_cert_path(dir.File("ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  httplib::Result res = client.Get("/", {{"Authorization", InitialAuthorization(kTestImpi)}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(res->has_header("WWW-Authenticate"));
  (*ub)->Stop();

  // A key that does not load is a clear error at Create.
  testing::WriteFile(dir.File("bad.key"), "not a key");
  absl::StatusOr<std::unique_ptr<UbServer>> bad = UbServer::Create(
      {.tls_cert_file = dir.File("ub.pem"), .tls_key_file = dir.File("bad.key")}, authenticator);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("Ub TLS"));
}

TEST(UbServerProductTokenTest, FindsTokensInUserAgents) {
  EXPECT_TRUE(HasProductToken("gbabridge/0.1 3gpp-gba-tmpi 3gpp-gba-uicc", "3gpp-gba-uicc"));
  EXPECT_TRUE(HasProductToken("GBA-service; 0.1; 3gpp-gba-uicc", "3gpp-gba-uicc"));
  EXPECT_TRUE(HasProductToken("x 3GPP-GBA-UICC/1.0", "3gpp-gba-uicc"));
  EXPECT_FALSE(HasProductToken("gbabridge/0.1 3gpp-gba-tmpi", "3gpp-gba-uicc"));
  EXPECT_FALSE(HasProductToken("3gpp-gba-uicc-not", "3gpp-gba-uicc"));
  EXPECT_FALSE(HasProductToken("", "3gpp-gba-uicc"));
}

}  // namespace
}  // namespace gbabridge::bsf
