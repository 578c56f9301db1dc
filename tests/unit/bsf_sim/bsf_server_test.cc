// The assembled BSF (BsfServer) on ephemeral ports, driven by the project's own GBA client
// (bootstrap/client/gba_client.h) over a software USIM in process: GBA_ME, GBA_U and a
// resynchronisation, each ending with the NAF's key from Zn equal to the UE's key.
#include "bsf_sim/bsf_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_client.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/subscriber_import.h"
#include "bsf_sim_test_util.h"
#include "gtest/gtest.h"
#include "uicc/in_process_transport.h"
#include "uicc/usim.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::kTestImsi;
using ::gbabridge::bsf::testing::kTestK;
using ::gbabridge::bsf::testing::kTestOpc;
using ::gbabridge::bsf::testing::TempDir;

constexpr char kToken[] = "zn-token-for-naf-example-org";

class BsfServerTest : public ::testing::Test {
 protected:
  // The card's subscriber, with the card's GBA_U flag.
  void Provision(bool gba_u) {
    absl::StatusOr<std::unique_ptr<SubscriberStore>> store =
        SubscriberStore::Open(dir_.File("hss.db"));
    ASSERT_TRUE(store.ok());
    absl::StatusOr<std::vector<Subscriber>> subs = ParseSubscriberImport(absl::StrCat(
        R"({"subscribers": [{"imsi": ")", kTestImsi, R"(", "k": ")", kTestK, R"(", "opc": ")",
        kTestOpc, R"(", "gba_u": )", gba_u ? "true" : "false", "}]}"));
    ASSERT_TRUE(subs.ok()) << subs.status();
    ASSERT_TRUE((*store)->Import(*subs, /*replace=*/true).ok());
  }

  void StartBsf() {
    BsfConfig config;
    config.ub_listen = "127.0.0.1:0";
    config.zn_listen = "127.0.0.1:0";
    config.db = dir_.File("hss.db");
    config.bsf_name = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
    config.naf_tokens.push_back(*MakeNafToken("naf.example.org", kToken));
    absl::StatusOr<std::unique_ptr<BsfServer>> bsf = BsfServer::Create(config);
    ASSERT_TRUE(bsf.ok()) << bsf.status();
    bsf_ = *std::move(bsf);
    ASSERT_TRUE(bsf_->Start().ok());
    ASSERT_GT(bsf_->ub_port(), 0);
    ASSERT_GT(bsf_->zn_port(), 0);
    EXPECT_EQ(bsf_->ub_endpoint(), absl::StrCat("127.0.0.1:", bsf_->ub_port()));
  }

  void InsertCard(bool gba_u) {
    card_ = soft_usim_testing::MakeCard(dir_.File("card.json"), "", gba_u);
    ASSERT_NE(card_, nullptr);
    channel_ = std::make_unique<InProcessTransport>(*card_);
    usim_ = std::make_unique<Usim>(*channel_);
  }

  GbaClientOptions ClientOptions() const {
    GbaClientOptions options;
    options.bsf_url = absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/");
    return options;
  }

  // The NAF's side: GetNafKey over Zn with the bearer token.
  grpc::Status NafKey(const std::string& btid, const NafId& naf,
                      ::bsf::v1::GetNafKeyResponse* response) {
    auto stub = ::bsf::v1::Zn::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", bsf_->zn_port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ::bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn(naf.fqdn());
    request.set_ua_security_protocol_id(
        std::string(naf.ua().octets().begin(), naf.ua().octets().end()));
    return stub->GetNafKey(&context, request, response);
  }

  void ExpectSameKeyOnBothSides(GbaClient& client, const BootstrapSession& session,
                                ::bsf::v1::GbaType type) {
    absl::StatusOr<NafId> naf = NafId::Create("naf.example.org", UaSecurityProtocolId::Tls(0x00AE));
    ASSERT_TRUE(naf.ok());
    absl::StatusOr<SecretBytes> ue_key = client.DeriveNafKey(session, *naf);
    ASSERT_TRUE(ue_key.ok()) << ue_key.status();
    ::bsf::v1::GetNafKeyResponse response;
    grpc::Status status = NafKey(session.btid, *naf, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.gba_type(), type);
    EXPECT_EQ(response.impi(), kTestImpi);
    EXPECT_EQ(response.ks_naf(),
              std::string(reinterpret_cast<const char*>(ue_key->data()), ue_key->size()));
    EXPECT_EQ(response.key_expiry().seconds(), absl::ToUnixSeconds(session.expiry));
  }

  TempDir dir_;
  std::unique_ptr<BsfServer> bsf_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
};

TEST_F(BsfServerTest, StartsOnEphemeralPortsAndStopsCleanly) {
  Provision(false);
  StartBsf();
  bsf_->Stop();
  bsf_->Stop();  // idempotent
  bsf_.reset();
}

TEST_F(BsfServerTest, RefusesAPlainZnListenerOffLoopback) {
  Provision(false);
  BsfConfig config;
  config.db = dir_.File("hss.db");
  config.bsf_name = "bsf.example.org";
  config.zn_listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<BsfServer>> bsf = BsfServer::Create(config);
  EXPECT_EQ(bsf.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BsfServerTest, GbaMeBootstrapWithTheGbaClientAndSoftUsim) {
  Provision(false);
  StartBsf();
  InsertCard(/*gba_u=*/false);
  GbaClient client(*usim_, ClientOptions());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->mode, GbaMode::kGbaMe);
  EXPECT_EQ(session->impi, kTestImpi);
  EXPECT_EQ(stats.ub_requests, 2);
  EXPECT_TRUE(absl::EndsWith(session->btid, "@bsf.mnc001.mcc001.pub.3gppnetwork.org"));
  ExpectSameKeyOnBothSides(client, *session, ::bsf::v1::GBA_TYPE_ME);
}

TEST_F(BsfServerTest, GbaUBootstrapWithTheGbaClientAndSoftUsim) {
  Provision(true);
  StartBsf();
  InsertCard(/*gba_u=*/true);
  GbaClient client(*usim_, ClientOptions());
  absl::StatusOr<BootstrapSession> session = client.Bootstrap();
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->mode, GbaMode::kGbaU);
  // Ks_ext_NAF from the card equals Ks_ext_NAF from the BSF.
  ExpectSameKeyOnBothSides(client, *session, ::bsf::v1::GBA_TYPE_U);
}

TEST_F(BsfServerTest, ResynchronisesWhenTheHssFallsBehindTheCard) {
  Provision(false);
  StartBsf();
  InsertCard(/*gba_u=*/false);
  GbaClient client(*usim_, ClientOptions());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.Bootstrap().ok());
  // The HSS forgets (e.g. restored from a backup): its next SQN is one the card has seen.
  ASSERT_TRUE(bsf_->subscribers().Resync(kTestImpi, 0).ok());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(stats.resynchronised);
  EXPECT_EQ(stats.ub_requests, 3);
  ExpectSameKeyOnBothSides(client, *session, ::bsf::v1::GBA_TYPE_ME);
}

}  // namespace
}  // namespace gbabridge::bsf
