// The soft USIM driven by the project's USIM client (uicc/usim.h) over InProcessTransport,
// in both transmission protocols: the two sides agree on every exchange a GBA client uses.
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/base/kdf.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/file_system.h"
#include "uicc/usim.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::Cat;
using ::gbabridge::soft_usim_testing::kTestImpi;
using ::gbabridge::soft_usim_testing::MakeAutn;
using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::MakeRand;
using ::gbabridge::soft_usim_testing::TempDir;
using ::gbabridge::soft_usim_testing::TestMilenage;

class SoftUsimClientTest : public ::testing::TestWithParam<bool> {
 protected:
  void Start(std::string_view extra = "") {
    card_ = MakeCard(dir_.File("state.json"), extra, true, /*t0=*/GetParam());
    ASSERT_NE(card_, nullptr);
    channel_ = std::make_unique<InProcessTransport>(*card_);
    usim_ = std::make_unique<Usim>(*channel_);
  }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
  Milenage milenage_ = TestMilenage();
};

TEST_P(SoftUsimClientTest, IdentifiersAndServices) {
  Start();
  absl::StatusOr<CardApplications> apps = usim_->ListApplications();
  ASSERT_TRUE(apps.ok()) << apps.status();
  EXPECT_EQ(apps->usim_aid, Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)));
  EXPECT_FALSE(apps->isim_aid.has_value());
  absl::StatusOr<Imsi> imsi = usim_->ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, soft_usim_testing::kTestImsi);
  EXPECT_EQ(imsi->mnc_length, 2);
  absl::StatusOr<bool> gba = usim_->IsGbaCapable();
  ASSERT_TRUE(gba.ok()) << gba.status();
  EXPECT_TRUE(*gba);
  absl::StatusOr<std::string> impi = usim_->ResolveImpi();
  ASSERT_TRUE(impi.ok()) << impi.status();
  EXPECT_EQ(*impi, kTestImpi);
  absl::StatusOr<Bytes> iccid = usim_->ReadIccid();
  ASSERT_TRUE(iccid.ok()) << iccid.status();
  EXPECT_EQ(*iccid, EncodeIccid("8900101012345678901"));
}

TEST_P(SoftUsimClientTest, IsimImpi) {
  Start("impi = \"alice@ims.example.org\"\n");
  absl::StatusOr<std::string> impi = usim_->ResolveImpi();
  ASSERT_TRUE(impi.ok()) << impi.status();
  EXPECT_EQ(*impi, "alice@ims.example.org");
}

TEST_P(SoftUsimClientTest, Pin) {
  Start("pin = \"2468\"\npin_enabled = true\n");
  absl::StatusOr<PinState> pin = usim_->GetPinState();
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_TRUE(pin->enabled);
  EXPECT_FALSE(pin->verified);
  EXPECT_EQ(pin->tries_left, 3);
  EXPECT_FALSE(usim_->ReadImsi().ok());
  EXPECT_FALSE(usim_->VerifyPin("1111").ok());
  ASSERT_TRUE(usim_->VerifyPin("2468").ok());
  EXPECT_TRUE(usim_->ReadImsi().ok());
  pin = usim_->GetPinState();
  ASSERT_TRUE(pin.ok());
  EXPECT_TRUE(pin->verified);
}

TEST_P(SoftUsimClientTest, Authenticate3gAndResync) {
  Start();
  const Rand rand = MakeRand(1);
  const Bytes autn = MakeAutn(milenage_, rand, 1 << 5);
  absl::StatusOr<Auth3gResult> r = usim_->Authenticate3g(rand, autn);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->sync_failure);
  const MilenageF2345 keys = milenage_.F2345(rand);
  EXPECT_EQ(r->res.RevealHex(), keys.res.RevealHex());
  EXPECT_EQ(r->ck.RevealHex(), keys.ck.RevealHex());
  EXPECT_EQ(r->ik.RevealHex(), keys.ik.RevealHex());
  EXPECT_EQ(r->kc.size(), 8u);
  r = usim_->Authenticate3g(rand, autn);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->sync_failure);
  EXPECT_EQ(r->auts.size(), 14u);
}

TEST_P(SoftUsimClientTest, GbaU) {
  Start();
  const Rand rand = MakeRand(2);
  absl::StatusOr<GbaBootstrapResult> boot =
      usim_->AuthenticateGbaBootstrap(rand, MakeAutn(milenage_, rand, 1 << 5, true));
  ASSERT_TRUE(boot.ok()) << boot.status();
  ASSERT_FALSE(boot->sync_failure);
  EXPECT_EQ(boot->res.RevealHex(), milenage_.F2345(rand).res.RevealHex());

  absl::StatusOr<GbaBootstrapParameters> params = usim_->ReadGbaBootstrapParameters();
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->rand, Bytes(rand.begin(), rand.end()));
  EXPECT_TRUE(params->btid.empty());
  params->btid = "IyVHdr6WN6idIYrmTa5HNQ==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
  params->key_lifetime = "2026-11-27T20:00:00Z";
  ASSERT_TRUE(usim_->WriteGbaBootstrapParameters(*params).ok());

  const Bytes naf_id = Cat({AsBytes("naf.example.org"), Bytes{0x01, 0x00, 0x00, 0x00, 0x02}});
  absl::StatusOr<SecretBytes> ks_ext = usim_->DeriveKsExtNaf(naf_id, kTestImpi);
  ASSERT_TRUE(ks_ext.ok()) << ks_ext.status();
  const MilenageF2345 keys = milenage_.F2345(rand);
  const SecretBytes ks = SecretBytes::CopyFrom(Cat({keys.ck.view(), keys.ik.view()}));
  EXPECT_EQ(
      ks_ext->RevealHex(),
      Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), rand, AsBytes(kTestImpi), naf_id})->RevealHex());

  absl::StatusOr<std::vector<GbaNafEntry>> list = usim_->ReadGbaNafList();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].naf_id, naf_id);
  EXPECT_EQ((*list)[0].btid, params->btid);
}

INSTANTIATE_TEST_SUITE_P(SoftUsimClient, SoftUsimClientTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "T0" : "T1";
                         });

}  // namespace
}  // namespace gbabridge
