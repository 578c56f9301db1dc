// GBA bootstrapping end to end: the device-side client (in-process card, or soft-usim
// through a real pcscd + vpcd) against a bsf-sim process over real HTTP on loopback, and
// the NAF side asking bsf-sim for the same key over real gRPC (Zn).
#include <signal.h>

#include <filesystem>
#include <thread>

#include "bootstrap/client/gba_client.h"
#include "bootstrap/client/gba_error.h"
#include "bootstrap/protocol/naf_id.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/pcsc_sandbox.h"
#include "tests/integration/test_vectors.h"
#include "uicc/apdu_handler.h"
#include "uicc/in_process_transport.h"
#include "uicc/pcsc_transport.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/usim.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

NafId MefTls() { return *NafId::Create("mef.example.com", UaSecurityProtocolId::Tls(0x00AE)); }

bsf::v1::GetNafKeyRequest ZnRequest(const BootstrapSession& session, const NafId& naf,
                                    bool gba_u_aware = false) {
  bsf::v1::GetNafKeyRequest request;
  request.set_btid(session.btid);
  request.set_naf_fqdn(naf.fqdn());
  request.set_ua_security_protocol_id(
      std::string(naf.ua().octets().begin(), naf.ua().octets().end()));
  request.set_gba_u_aware(gba_u_aware);
  return request;
}

// A card that answers AUTHENTICATE with a flipped RES byte: the BSF must answer 403.
class TamperingCard : public ApduHandler {
 public:
  explicit TamperingCard(ApduHandler& inner) : inner_(inner) {}
  Bytes Reset() override { return inner_.Reset(); }
  Bytes Process(ByteView command) override {
    Bytes r = inner_.Process(command);
    if (command.size() > 1 && command[1] == 0x88 && r.size() > 4 && r[0] == 0xDB) r[2] ^= 0x01;
    return r;
  }

 private:
  ApduHandler& inner_;
};

class GbaBootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gbabridge-gba-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    bsf_.reset();
    if (!getenv("GBABRIDGE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
  }

  void StartBsf(testing::BsfSimOptions options = {}) {
    absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
        testing::BsfSimProcess::Start(dir_, options);
    ASSERT_TRUE(bsf.ok()) << bsf.status();
    bsf_ = std::move(*bsf);
  }

  // The in-process soft USIM with the test profile.
  std::unique_ptr<SoftUsim> MakeCard(bool gba_u,
                                     std::string_view k_hex = "465b5ce8b199b49faa5f0a2ee238a6bc") {
    const fs::path profile = testing::WriteTestProfile(dir_, gba_u);
    absl::StatusOr<CardProfile> p = CardProfile::LoadFile(profile.string());
    EXPECT_TRUE(p.ok()) << p.status();
    p->k = *SecretBytes::FromHex(k_hex);
    absl::StatusOr<std::unique_ptr<SoftUsim>> card =
        SoftUsim::Create(std::move(*p), (dir_ / "card-state.json").string());
    EXPECT_TRUE(card.ok()) << card.status();
    return card.ok() ? std::move(*card) : nullptr;
  }

  GbaClientOptions ClientOptions(bool force_gba_me = false) {
    return {.bsf_url = bsf_->ub_url(),
            .ca_file = "",
            .connect_timeout = absl::Seconds(2),
            .total_timeout = absl::Seconds(10),
            .force_gba_me = force_gba_me};
  }

  // Bootstraps, derives the NAF key on the device, and checks the NAF gets the same key.
  void ExpectDeviceAndNafAgree(Usim& usim, bool force_gba_me, GbaMode expected_mode) {
    GbaClient client(usim, ClientOptions(force_gba_me));
    BootstrapStats stats;
    absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_EQ(session->mode, expected_mode);
    EXPECT_EQ(stats.card_authentications, 1) << "one AUTHENTICATE per bootstrap";
    EXPECT_EQ(stats.ub_requests, 2);
    EXPECT_THAT(session->btid, HasSubstr("@bsf.test.example"));
    EXPECT_GT(session->expiry, absl::Now() + absl::Minutes(50));

    absl::StatusOr<SecretBytes> device_key = client.DeriveNafKey(*session, MefTls());
    ASSERT_TRUE(device_key.ok()) << device_key.status();
    bsf::v1::GetNafKeyResponse zn;
    grpc::Status rpc = bsf_->GetNafKey(
        "mef-token", ZnRequest(*session, MefTls(), expected_mode == GbaMode::kGbaU), &zn);
    ASSERT_TRUE(rpc.ok()) << rpc.error_message();
    EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), device_key->RevealHex());
    EXPECT_EQ(zn.impi(), session->impi);
    EXPECT_EQ(zn.gba_type(),
              expected_mode == GbaMode::kGbaU ? bsf::v1::GBA_TYPE_U : bsf::v1::GBA_TYPE_ME);
    EXPECT_EQ(zn.ks_int_naf().empty(), expected_mode != GbaMode::kGbaU);
    if (expected_mode == GbaMode::kGbaU) {
      absl::StatusOr<GbaBootstrapParameters> bp = usim.ReadGbaBootstrapParameters();
      ASSERT_TRUE(bp.ok()) << bp.status();
      EXPECT_EQ(bp->btid, session->btid);
    }
  }

  fs::path dir_;
  std::unique_ptr<testing::BsfSimProcess> bsf_;
};

TEST_F(GbaBootstrapTest, GbaMeInProcessCardMatchesZn) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(/*gba_u=*/false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  ExpectDeviceAndNafAgree(usim, /*force_gba_me=*/false, GbaMode::kGbaMe);
}

TEST_F(GbaBootstrapTest, GbaUInProcessCardMatchesZn) {
  StartBsf({.gba_u_subscriber = true});
  std::unique_ptr<SoftUsim> card = MakeCard(/*gba_u=*/true);
  InProcessTransport channel(*card);
  Usim usim(channel);
  ExpectDeviceAndNafAgree(usim, /*force_gba_me=*/false, GbaMode::kGbaU);
}

class GbaOverPcscTest : public GbaBootstrapTest {
 protected:
  void StartPcscCard(bool gba_u, const std::vector<std::string>& extra = {}) {
    absl::StatusOr<std::unique_ptr<testing::PcscSandbox>> sandbox = testing::PcscSandbox::Start();
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::move(*sandbox);
    absl::StatusOr<testing::ChildProcess> card = sandbox_->StartSoftUsim(
        testing::WriteTestProfile(dir_, gba_u), dir_ / "pcsc-card-state.json", extra);
    ASSERT_TRUE(card.ok()) << card.status();
    card_.emplace(std::move(*card));
    ASSERT_TRUE(sandbox_->WaitForCard(true).ok());
    absl::StatusOr<std::unique_ptr<PcscTransport>> channel =
        PcscTransport::Connect({.reader = testing::PcscSandbox::kReaderName});
    ASSERT_TRUE(channel.ok()) << channel.status();
    channel_ = std::move(*channel);
  }
  void TearDown() override {
    channel_.reset();
    card_.reset();
    sandbox_.reset();
    GbaBootstrapTest::TearDown();
  }
  std::unique_ptr<testing::PcscSandbox> sandbox_;
  std::optional<testing::ChildProcess> card_;
  std::unique_ptr<PcscTransport> channel_;
};

TEST_F(GbaOverPcscTest, GbaMeThroughPcscMatchesZn) {
  StartBsf({.gba_u_subscriber = false});
  StartPcscCard(/*gba_u=*/false);
  Usim usim(*channel_);
  ExpectDeviceAndNafAgree(usim, false, GbaMode::kGbaMe);
}

TEST_F(GbaOverPcscTest, GbaUThroughPcscT0MatchesZn) {
  StartBsf({.gba_u_subscriber = true});
  StartPcscCard(/*gba_u=*/true, {"--t0"});
  Usim usim(*channel_);
  ExpectDeviceAndNafAgree(usim, false, GbaMode::kGbaU);
}

TEST_F(GbaOverPcscTest, CliBootstrapPrintsTheKeyTheNafGets) {
  StartBsf({.gba_u_subscriber = true});
  StartPcscCard(/*gba_u=*/true);
  channel_.reset();  // the CLI opens the card itself
  testing::CommandResult hidden = testing::RunCli("bootstrap --bsf " + bsf_->ub_url() +
                                                  " --naf mef.example.com --ua 01000100AE");
  ASSERT_EQ(hidden.exit_code, 0) << hidden.output;
  EXPECT_THAT(hidden.output, HasSubstr("GBA mode:   GBA_U"));
  EXPECT_THAT(hidden.output, HasSubstr("(hidden; --show-key prints it)"));

  testing::CommandResult shown =
      testing::RunCli("bootstrap --json --show-key --bsf " + bsf_->ub_url() +
                      " --naf mef.example.com --ua 01000100AE");
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  nlohmann::json j = nlohmann::json::parse(shown.out);
  EXPECT_EQ(j["gba_mode"], "GBA_U");
  EXPECT_EQ(j["key_name"], "Ks_ext_NAF");
  bsf::v1::GetNafKeyRequest request;
  request.set_btid(j["btid"].get<std::string>());
  request.set_naf_fqdn("mef.example.com");
  request.set_ua_security_protocol_id(std::string("\x01\x00\x01\x00\xAE", 5));
  bsf::v1::GetNafKeyResponse zn;
  grpc::Status rpc = bsf_->GetNafKey("mef-token", request, &zn);
  ASSERT_TRUE(rpc.ok()) << rpc.error_message();
  EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), j["key"].get<std::string>());

  testing::CommandResult unreachable = testing::RunCli(
      "bootstrap --bsf http://127.0.0.1:1/ --naf mef.example.com --ua 01000100AE --timeout 3");
  EXPECT_EQ(unreachable.exit_code, 7) << unreachable.output;
  EXPECT_THAT(unreachable.output, HasSubstr("BSF unreachable at http://127.0.0.1:1/"));

  testing::CommandResult bad_ua = testing::RunCli("bootstrap --bsf " + bsf_->ub_url() +
                                                  " --naf mef.example.com --ua 0700000000");
  EXPECT_EQ(bad_ua.exit_code, 2) << bad_ua.output;
}

TEST_F(GbaBootstrapTest, ResynchronisesWhenTheCardSqnRunsAhead) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  // The card accepts vectors far ahead of the HSS (SEQ 1000) in every IND slot of its
  // TS 33.102 Annex C array: whatever IND the HSS picks next, its SQN is stale.
  for (uint64_t ind = 0; ind < 32; ++ind) {
    testing::TestVector ahead =
        testing::MakeTestVector((uint64_t{1000} << 5) | ind, static_cast<uint8_t>(0x40 + ind));
    ASSERT_FALSE(usim.Authenticate3g(ahead.rand, ahead.autn)->sync_failure);
  }

  GbaClient client(usim, ClientOptions());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(stats.resynchronised);
  EXPECT_EQ(stats.ub_requests, 3);
  bsf::v1::GetNafKeyResponse zn;
  ASSERT_TRUE(bsf_->GetNafKey("mef-token", ZnRequest(*session, MefTls()), &zn).ok());
  EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), client.DeriveNafKey(*session, MefTls())->RevealHex());
}

TEST_F(GbaBootstrapTest, WrongKeyOnTheCardStopsCleanly) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(false, "00112233445566778899aabbccddeeff");
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(GetGbaErrorReason(session.status()), GbaErrorReason::kNetworkAuthFailed);
  EXPECT_THAT(std::string(session.status().message()),
              HasSubstr("network authentication failed: AUTN MAC invalid"));
  EXPECT_EQ(stats.ub_requests, 1) << "the challenge must not be answered";
}

TEST_F(GbaBootstrapTest, TamperedResponseIsForbidden) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  TamperingCard tampering(*card);
  InProcessTransport channel(tampering);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  absl::StatusOr<BootstrapSession> session = client.Bootstrap();
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(GetGbaErrorReason(session.status()), GbaErrorReason::kBsfForbidden) << session.status();
}

TEST_F(GbaBootstrapTest, ExpiredBtidIsNotFoundOnZnAndTheClientBootstrapsAgain) {
  StartBsf({.gba_u_subscriber = false, .lifetime_seconds = 2});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  absl::StatusOr<BootstrapSession> first = client.Bootstrap();
  ASSERT_TRUE(first.ok()) << first.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  EXPECT_TRUE(first->ExpiresWithin(absl::ZeroDuration(), absl::Now()));
  bsf::v1::GetNafKeyResponse zn;
  grpc::Status expired = bsf_->GetNafKey("mef-token", ZnRequest(*first, MefTls()), &zn);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::NOT_FOUND) << expired.error_message();

  absl::StatusOr<BootstrapSession> second = client.Bootstrap();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->btid, first->btid);
  ASSERT_TRUE(bsf_->GetNafKey("mef-token", ZnRequest(*second, MefTls()), &zn).ok());
  EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), client.DeriveNafKey(*second, MefTls())->RevealHex());
}

TEST_F(GbaBootstrapTest, NafCannotFetchAnotherNafsKey) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  absl::StatusOr<BootstrapSession> session = client.Bootstrap();
  ASSERT_TRUE(session.ok()) << session.status();
  bsf::v1::GetNafKeyResponse zn;
  grpc::Status denied = bsf_->GetNafKey("other-token", ZnRequest(*session, MefTls()), &zn);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
  EXPECT_TRUE(zn.ks_naf().empty());
  grpc::Status unknown = bsf_->GetNafKey("no-such-token", ZnRequest(*session, MefTls()), &zn);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GbaBootstrapTest, BsfRestartKeepsSqnState) {
  StartBsf({.gba_u_subscriber = false});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  absl::StatusOr<BootstrapSession> before = client.Bootstrap();
  ASSERT_TRUE(before.ok()) << before.status();

  ASSERT_TRUE(bsf_->Restart().ok());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> after = client.Bootstrap(&stats);
  ASSERT_TRUE(after.ok()) << after.status();
  // A reused SQN would make the card answer AUTS: the HSS must continue where it was.
  EXPECT_FALSE(stats.resynchronised);
  // Sessions live in memory: the old B-TID is cleanly gone, the new one works.
  bsf::v1::GetNafKeyResponse zn;
  EXPECT_EQ(bsf_->GetNafKey("mef-token", ZnRequest(*before, MefTls()), &zn).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(bsf_->GetNafKey("mef-token", ZnRequest(*after, MefTls()), &zn).ok());
}

TEST_F(GbaBootstrapTest, HttpsBsfIsVerifiedAgainstTheGivenCa) {
  StartBsf({.gba_u_subscriber = false, .ub_tls = true});
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  ASSERT_EQ(bsf_->ub_url().rfind("https://", 0), 0u);

  // No CA given: the system store does not know the self-signed certificate.
  GbaClient untrusting(usim, ClientOptions());
  absl::StatusOr<BootstrapSession> refused = untrusting.Bootstrap();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(GetGbaErrorReason(refused.status()), GbaErrorReason::kBsfTlsFailed) << refused.status();

  GbaClientOptions options = ClientOptions();
  options.ca_file = bsf_->ca_file();
  GbaClient trusting(usim, options);
  absl::StatusOr<BootstrapSession> session = trusting.Bootstrap();
  ASSERT_TRUE(session.ok()) << session.status();
  bsf::v1::GetNafKeyResponse zn;
  ASSERT_TRUE(bsf_->GetNafKey("mef-token", ZnRequest(*session, MefTls()), &zn).ok());
  EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())),
            trusting.DeriveNafKey(*session, MefTls())->RevealHex());
}

TEST_F(GbaBootstrapTest, UnreachableBsfIsAClearError) {
  std::unique_ptr<SoftUsim> card = MakeCard(false);
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, {.bsf_url = "http://127.0.0.1:1/",
                          .ca_file = "",
                          .connect_timeout = absl::Seconds(2),
                          .total_timeout = absl::Seconds(4)});
  absl::StatusOr<BootstrapSession> session = client.Bootstrap();
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(GetGbaErrorReason(session.status()), GbaErrorReason::kBsfUnreachable);
  EXPECT_THAT(std::string(session.status().message()),
              HasSubstr("BSF unreachable at http://127.0.0.1:1/"));
}

}  // namespace
}  // namespace gbabridge

namespace gbabridge {
namespace {

// TMPI (TS 33.220 §4.5.2, Annex B.4) against a bsf-sim process: the device derives the
// TMPI after a bootstrap, names it on the next one, and falls back to the IMPI once when
// the BSF does not know it.
class TmpiTest : public GbaBootstrapTest, public ::testing::WithParamInterface<bool> {
 protected:
  // Two bootstraps, the second with the first's TMPI.
  void TwoBootstraps(bool expect_tmpi_known) {
    std::unique_ptr<SoftUsim> card = MakeCard(/*gba_u=*/GetParam());
    InProcessTransport channel(*card);
    Usim usim(channel);
    GbaClient client(usim, ClientOptions());
    BootstrapStats first_stats;
    absl::StatusOr<BootstrapSession> first = client.Bootstrap(&first_stats);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_FALSE(first_stats.tmpi_used);
    ASSERT_FALSE(first->tmpi.empty()) << "bsf-sim advertises 3gpp-gba-tmpi";
    EXPECT_THAT(first->tmpi, ::testing::EndsWith("@tmpi.bsf.3gppnetwork.org"));
    EXPECT_EQ(first_stats.card_tmpi_derivations, GetParam() ? 1 : 0);
    EXPECT_EQ(first->tmpi.size(), 32u + 25u) << "base64 of 24 bytes, then the realm";

    const TmpiHint hint{.tmpi = first->tmpi, .impi = first->impi};
    BootstrapStats second_stats;
    absl::StatusOr<BootstrapSession> second = client.Bootstrap(&second_stats, &hint);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_TRUE(second_stats.tmpi_used);
    EXPECT_EQ(second_stats.tmpi_fallback, !expect_tmpi_known);
    EXPECT_EQ(second_stats.ub_requests, expect_tmpi_known ? 2 : 3);
    EXPECT_EQ(second_stats.card_authentications, 1);
    EXPECT_EQ(second->impi, first->impi);
    EXPECT_NE(second->tmpi, first->tmpi) << "a new Ks, a new TMPI";
    // The NAF gets the same key for the new B-TID.
    absl::StatusOr<SecretBytes> device_key = client.DeriveNafKey(*second, MefTls());
    ASSERT_TRUE(device_key.ok()) << device_key.status();
    bsf::v1::GetNafKeyResponse zn;
    ASSERT_TRUE(bsf_->GetNafKey("mef-token", ZnRequest(*second, MefTls(), GetParam()), &zn).ok());
    EXPECT_EQ(HexEncode(AsBytes(zn.ks_naf())), device_key->RevealHex());
    EXPECT_EQ(zn.impi(), first->impi);

    // A hint for another IMPI (another card) is not used.
    const TmpiHint other{.tmpi = second->tmpi, .impi = "someone@else.example"};
    BootstrapStats third_stats;
    ASSERT_TRUE(client.Bootstrap(&third_stats, &other).ok());
    EXPECT_FALSE(third_stats.tmpi_used);
  }
};

TEST_P(TmpiTest, TheNextBootstrapNamesTheTmpi) {
  StartBsf();
  TwoBootstraps(/*expect_tmpi_known=*/true);
}

TEST_P(TmpiTest, ABsfThatForgotTheTmpiGetsTheImpiOnce) {
  StartBsf({.extra_serve_args = {"--forget-tmpis"}});
  TwoBootstraps(/*expect_tmpi_known=*/false);
}

TEST_P(TmpiTest, NoTmpiWhenTheBsfDoesNotOfferIt) {
  StartBsf({.extra_serve_args = {"--no-tmpi"}});
  std::unique_ptr<SoftUsim> card = MakeCard(/*gba_u=*/GetParam());
  InProcessTransport channel(*card);
  Usim usim(channel);
  GbaClient client(usim, ClientOptions());
  BootstrapStats stats;
  absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(session->tmpi.empty());
  EXPECT_EQ(stats.card_tmpi_derivations, 0);
  // And a TMPI offered anyway is refused; the IMPI is used instead.
  const TmpiHint stale{.tmpi = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@tmpi.bsf.3gppnetwork.org",
                       .impi = session->impi};
  BootstrapStats again;
  ASSERT_TRUE(client.Bootstrap(&again, &stale).ok());
  EXPECT_TRUE(again.tmpi_fallback);
}

INSTANTIATE_TEST_SUITE_P(Modes, TmpiTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "GbaU" : "GbaMe");
                         });

}  // namespace
}  // namespace gbabridge
