// AUTHENTICATE: 3G context (TS 31.102 §7.1.2.1), SQN handling (TS 33.102 Annex C), the
// GBA context (TS 31.102 §7.1.2.4, TS 33.220 §5.3.2 and Annex G), and persistence.
#include <filesystem>

#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/base/kdf.h"
#include "uicc/soft_usim/file_system.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::AuthenticateApdu;
using ::gbabridge::soft_usim_testing::Cat;
using ::gbabridge::soft_usim_testing::Data;
using ::gbabridge::soft_usim_testing::FromSqn;
using ::gbabridge::soft_usim_testing::Hex;
using ::gbabridge::soft_usim_testing::kTestImpi;
using ::gbabridge::soft_usim_testing::MakeAutn;
using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::MakeRand;
using ::gbabridge::soft_usim_testing::SelectAidApdu;
using ::gbabridge::soft_usim_testing::SelectFidApdu;
using ::gbabridge::soft_usim_testing::Sw;
using ::gbabridge::soft_usim_testing::TempDir;
using ::gbabridge::soft_usim_testing::TestMilenage;

constexpr uint8_t kContext3g = 0x81;
constexpr uint8_t kContextGba = 0x84;
constexpr uint64_t Sqn(uint64_t seq, uint64_t ind) { return (seq << 5) | ind; }

Bytes NafId(std::string_view fqdn) {
  return Cat({AsBytes(fqdn), Bytes{0x01, 0x00, 0x00, 0x00, 0x02}});  // HTTP Digest Ua id
}

Bytes NafDerivationApdu(ByteView naf_id, std::string_view impi) {
  const Bytes data = Cat({Bytes{0xDE, static_cast<uint8_t>(naf_id.size())}, naf_id,
                          Bytes{static_cast<uint8_t>(impi.size())}, AsBytes(impi)});
  return Cat(
      {Bytes{0x00, 0x88, 0x00, kContextGba, static_cast<uint8_t>(data.size())}, data, Bytes{0x00}});
}

class SoftUsimAuthTest : public ::testing::Test {
 protected:
  void SetUp() override { Restart(); }
  void Restart(std::string_view extra = "") {
    card_.reset();
    card_ = MakeCard(dir_.File("state.json"), extra);
    ASSERT_NE(card_, nullptr);
    ASSERT_EQ(Sw(card_->Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  }
  Bytes Auth3g(const Rand& rand, uint64_t sqn) {
    return card_->Process(AuthenticateApdu(kContext3g, rand, MakeAutn(milenage_, rand, sqn)));
  }
  Bytes Bootstrap(const Rand& rand, uint64_t sqn, bool mac_star = true) {
    return card_->Process(
        AuthenticateApdu(kContextGba, rand, MakeAutn(milenage_, rand, sqn, mac_star), 0xDD));
  }
  // Decodes `DC 0E AUTS` and checks MAC-S; returns SQN_MS.
  uint64_t CheckAuts(const Bytes& response, const Rand& rand) {
    EXPECT_EQ(Sw(response), 0x9000);
    const Bytes data = Data(response);
    EXPECT_EQ(data.size(), 16u);
    if (data.size() != 16) return ~uint64_t{0};
    EXPECT_EQ(data[0], 0xDC);
    EXPECT_EQ(data[1], 0x0E);
    const Ak ak_star = milenage_.F5Star(rand);
    gbabridge::Sqn sqn_ms{};
    for (size_t i = 0; i < 6; ++i) sqn_ms[i] = data[2 + i] ^ ak_star[i];
    const Mac mac_s = milenage_.F1Star(rand, sqn_ms, Amf{0x00, 0x00});
    EXPECT_EQ(Bytes(data.begin() + 8, data.end()), Bytes(mac_s.begin(), mac_s.end()));
    return FromSqn(sqn_ms);
  }

  TempDir dir_;
  Milenage milenage_ = TestMilenage();
  std::unique_ptr<SoftUsim> card_;
};

TEST_F(SoftUsimAuthTest, FreshVectorGivesResCkIkKc) {
  const Rand rand = MakeRand(1);
  const Bytes r = Auth3g(rand, Sqn(1, 0));
  ASSERT_EQ(Sw(r), 0x9000);
  const MilenageF2345 expected = milenage_.F2345(rand);
  Bytes kc(8);
  for (size_t i = 0; i < 8; ++i) {  // c3 (TS 33.102 §6.8.1.2)
    kc[i] = expected.ck.data()[i] ^ expected.ck.data()[i + 8] ^ expected.ik.data()[i] ^
            expected.ik.data()[i + 8];
  }
  EXPECT_EQ(Data(r), Cat({Bytes{0xDB, 0x08}, expected.res.view(), Bytes{0x10}, expected.ck.view(),
                          Bytes{0x10}, expected.ik.view(), Bytes{0x08}, kc}));
}

TEST_F(SoftUsimAuthTest, Ts35208Set1VectorIsAccepted) {
  // The SQN of test set 1 (ff9bb4d0b607) is far above zero: beyond delta for a fresh card,
  // so the card asks for resynchronisation from SQN_MS = 0.
  const Rand rand = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
                     0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
  const Bytes autn = MakeAutn(milenage_, rand, 0xff9bb4d0b607, false, Amf{0xb9, 0xb9});
  EXPECT_EQ(Bytes(autn.begin() + 8, autn.end()), Hex("4a9ffac354dfafb3"));  // f1 of set 1
  const Bytes r = card_->Process(AuthenticateApdu(kContext3g, rand, autn));
  EXPECT_EQ(CheckAuts(r, rand), 0u);
}

TEST_F(SoftUsimAuthTest, ReplayGivesAutsWithHighestAcceptedSqn) {
  const Rand rand = MakeRand(2);
  ASSERT_EQ(Sw(Auth3g(rand, Sqn(3, 4))), 0x9000);
  EXPECT_EQ(CheckAuts(Auth3g(rand, Sqn(3, 4)), rand), Sqn(3, 4));
  // An older SEQ in the same slot: stale too. The AUTS carries the highest accepted SQN.
  const Rand rand2 = MakeRand(3);
  ASSERT_EQ(Sw(Auth3g(rand2, Sqn(5, 1))), 0x9000);
  EXPECT_EQ(CheckAuts(Auth3g(MakeRand(4), Sqn(2, 4)), MakeRand(4)), Sqn(5, 1));
  // Another slot with an older SEQ is still fine (TS 33.102 Annex C.2.2).
  EXPECT_EQ(Sw(Auth3g(MakeRand(5), Sqn(2, 9))), 0x9000);
}

TEST_F(SoftUsimAuthTest, TooFarAheadGivesAuts) {
  const Rand rand = MakeRand(6);
  EXPECT_EQ(CheckAuts(Auth3g(rand, Sqn((uint64_t{1} << 28) + 1, 0)), rand), 0u);
  EXPECT_EQ(Sw(Auth3g(rand, Sqn(uint64_t{1} << 28, 0))), 0x9000);
}

TEST_F(SoftUsimAuthTest, BadMacGives9862AndDoesNotConsumeTheSqn) {
  const Rand rand = MakeRand(7);
  Bytes autn = MakeAutn(milenage_, rand, Sqn(1, 0));
  autn[15] ^= 0x01;
  EXPECT_EQ(card_->Process(AuthenticateApdu(kContext3g, rand, autn)), Hex("9862"));
  EXPECT_EQ(Sw(Auth3g(rand, Sqn(1, 0))), 0x9000);
}

TEST_F(SoftUsimAuthTest, MalformedAuthenticate) {
  const Rand rand = MakeRand(8);
  const Bytes autn = MakeAutn(milenage_, rand, Sqn(1, 0));
  Bytes apdu = AuthenticateApdu(kContext3g, rand, autn);
  apdu[5] = 0x0F;  // RAND length 15
  EXPECT_EQ(Sw(card_->Process(apdu)), 0x6700);
  apdu = AuthenticateApdu(0x80, rand, autn);  // GSM context: not offered
  EXPECT_EQ(Sw(card_->Process(apdu)), 0x6A86);
  apdu = AuthenticateApdu(kContext3g, rand, autn);
  apdu[2] = 0x01;
  EXPECT_EQ(Sw(card_->Process(apdu)), 0x6A86);
  EXPECT_EQ(Sw(card_->Process(Hex("0088008100"))), 0x6700);
  // Without an application selected there is no AUTHENTICATE.
  card_->Reset();
  EXPECT_EQ(Sw(Auth3g(rand, Sqn(1, 0))), 0x6985);
}

TEST_F(SoftUsimAuthTest, SqnSurvivesRestart) {
  const Rand rand = MakeRand(9);
  ASSERT_EQ(Sw(Auth3g(rand, Sqn(10, 2))), 0x9000);
  Restart();
  EXPECT_EQ(CheckAuts(Auth3g(rand, Sqn(10, 2)), rand), Sqn(10, 2));
  EXPECT_EQ(Sw(Auth3g(rand, Sqn(11, 2))), 0x9000);
}

TEST_F(SoftUsimAuthTest, UnsavableStateRefusesTheAnswer) {
  const Rand rand = MakeRand(10);
  std::filesystem::remove_all(dir_.path());  // the next save cannot happen
  EXPECT_EQ(
      card_->Process(AuthenticateApdu(kContext3g, rand, MakeAutn(milenage_, rand, Sqn(1, 0)))),
      Hex("6F00"));
  std::filesystem::create_directories(dir_.path());
  // Nothing was accepted: the same vector still works once the state can be saved.
  EXPECT_EQ(Sw(Auth3g(rand, Sqn(1, 0))), 0x9000);
}

TEST_F(SoftUsimAuthTest, GbaBootstrapThenNafDerivation) {
  const Rand rand = MakeRand(11);
  const Bytes r = Bootstrap(rand, Sqn(1, 0));
  ASSERT_EQ(Sw(r), 0x9000);
  const MilenageF2345 keys = milenage_.F2345(rand);
  EXPECT_EQ(Data(r),
            Cat({Bytes{0xDB, 0x08}, keys.res.view()}));  // RES only: CK and IK stay on the card

  // EF_GBABP now holds RAND; the terminal writes B-TID and lifetime.
  ASSERT_EQ(Sw(card_->Process(SelectFidApdu(0x6FD6))), 0x9000);
  Bytes gbabp = Data(card_->Process(Hex("00B0000013")));
  ASSERT_EQ(gbabp.size(), 19u);
  EXPECT_EQ(gbabp[0], 16);
  EXPECT_EQ(Bytes(gbabp.begin() + 1, gbabp.begin() + 17), Bytes(rand.begin(), rand.end()));
  EXPECT_EQ(gbabp[17], 0);
  EXPECT_EQ(gbabp[18], 0);
  const std::string btid = "QUJDREVGR0hJSktMTU5PUA==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
  const std::string lifetime = "2026-11-27T20:00:00Z";
  const Bytes contents =
      Cat({Bytes{16}, rand, Bytes{static_cast<uint8_t>(btid.size())}, AsBytes(btid),
           Bytes{static_cast<uint8_t>(lifetime.size())}, AsBytes(lifetime)});
  const Bytes update =
      Cat({Bytes{0x00, 0xD6, 0x00, 0x00, static_cast<uint8_t>(contents.size())}, contents});
  ASSERT_EQ(Sw(card_->Process(update)), 0x9000);

  const Bytes naf_id = NafId("naf.example.org");
  const Bytes nr = card_->Process(NafDerivationApdu(naf_id, kTestImpi));
  ASSERT_EQ(Sw(nr), 0x9000);
  SecretBytes ks(32);
  std::copy(keys.ck.view().begin(), keys.ck.view().end(), ks.data());
  std::copy(keys.ik.view().begin(), keys.ik.view().end(), ks.data() + 16);
  absl::StatusOr<SecretBytes> ks_ext =
      Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), rand, AsBytes(kTestImpi), naf_id});
  ASSERT_TRUE(ks_ext.ok());
  const Bytes want_naf = Cat({Bytes{0xDB, 0x20}, ks_ext->view()});
  EXPECT_EQ(Data(nr), want_naf);

  // The card kept Ks_int_NAF and listed NAF_ID + B-TID in EF_GBANL record 1.
  ASSERT_EQ(card_->state().naf_keys.size(), 1u);
  absl::StatusOr<SecretBytes> ks_int =
      Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaU), rand, AsBytes(kTestImpi), naf_id});
  EXPECT_EQ(card_->state().naf_keys[0].ks_int_naf.RevealHex(), ks_int->RevealHex());
  ASSERT_EQ(Sw(card_->Process(SelectFidApdu(0x6FDA))), 0x9000);
  const Bytes record = Data(card_->Process(Hex("00B20104FF")));
  ASSERT_EQ(record.size(), 255u);
  const Bytes want_record = Cat({Bytes{0x80, static_cast<uint8_t>(naf_id.size())}, naf_id,
                                 Bytes{0x81, static_cast<uint8_t>(btid.size())}, AsBytes(btid)});
  EXPECT_EQ(Bytes(record.begin(), record.begin() + want_record.size()), want_record);
  EXPECT_EQ(record.back(), 0xFF);
  EXPECT_EQ(Data(card_->Process(Hex("00B20204FF"))), Bytes(255, 0xFF));

  // Ks survives a restart.
  Restart();
  EXPECT_EQ(Data(card_->Process(NafDerivationApdu(naf_id, kTestImpi))), want_naf);
}

TEST_F(SoftUsimAuthTest, NonUtf8BtidIsKeptVerbatimAcrossRestart) {
  const Rand rand = MakeRand(17);
  ASSERT_EQ(Sw(Bootstrap(rand, Sqn(1, 0))), 0x9000);
  ASSERT_EQ(Sw(card_->Process(SelectFidApdu(0x6FD6))), 0x9000);
  const Bytes btid = {0xC3, 0x28, 0xFF, 0x00};  // not UTF-8
  const Bytes contents = Cat({Bytes{16}, rand, Bytes{4}, btid, Bytes{0}});
  ASSERT_EQ(Sw(card_->Process(Cat(
                {Bytes{0x00, 0xD6, 0x00, 0x00, static_cast<uint8_t>(contents.size())}, contents}))),
            0x9000);
  ASSERT_EQ(Sw(card_->Process(NafDerivationApdu(NafId("naf"), kTestImpi))), 0x9000);
  Restart();
  ASSERT_EQ(Sw(card_->Process(SelectFidApdu(0x6FDA))), 0x9000);
  const Bytes record = Data(card_->Process(Hex("00B20104FF")));
  const Bytes naf = NafId("naf");
  EXPECT_EQ(Bytes(record.begin(), record.begin() + 2 + naf.size() + 6),
            Cat({Bytes{0x80, static_cast<uint8_t>(naf.size())}, naf, Bytes{0x81, 0x04}, btid}));
}

TEST_F(SoftUsimAuthTest, GbaContextNeedsAutnStar) {
  const Rand rand = MakeRand(12);
  // A plain AUTN in the GBA context...
  EXPECT_EQ(Bootstrap(rand, Sqn(1, 0), /*mac_star=*/false), Hex("9862"));
  // ...and an AUTN* in the 3G context both fail the MAC check.
  EXPECT_EQ(card_->Process(
                AuthenticateApdu(kContext3g, rand, MakeAutn(milenage_, rand, Sqn(1, 0), true))),
            Hex("9862"));
  EXPECT_EQ(Sw(Bootstrap(rand, Sqn(1, 0))), 0x9000);
  // The SQN array is shared between the contexts.
  EXPECT_EQ(CheckAuts(Bootstrap(rand, Sqn(1, 0)), rand), Sqn(1, 0));
  EXPECT_EQ(CheckAuts(Auth3g(rand, Sqn(1, 0)), rand), Sqn(1, 0));
}

TEST_F(SoftUsimAuthTest, NafDerivationBeforeBootstrapIs6985) {
  EXPECT_EQ(card_->Process(NafDerivationApdu(NafId("naf.example.org"), kTestImpi)), Hex("6985"));
}

TEST_F(SoftUsimAuthTest, MalformedGbaCommands) {
  ASSERT_EQ(Sw(Bootstrap(MakeRand(13), Sqn(1, 0))), 0x9000);
  EXPECT_EQ(Sw(card_->Process(Hex("0088008402 DE00 00"))), 0x6700);
  EXPECT_EQ(Sw(card_->Process(Hex("0088008403 DE0100 00"))), 0x6700);
  EXPECT_EQ(Sw(card_->Process(Hex("0088008404 DE000100 00"))), 0x6A80);  // empty NAF_Id
  EXPECT_EQ(Sw(card_->Process(Hex("0088008403 DF0000 00"))), 0x6A80);    // unknown mode
}

TEST_F(SoftUsimAuthTest, NoGbaContextWithoutGbaU) {
  card_.reset();
  card_ = MakeCard(dir_.File("plain.json"), "", /*gba_u=*/false);
  ASSERT_EQ(Sw(card_->Process(SelectAidApdu(kSoftUsimAid))), 0x9000);
  EXPECT_EQ(Sw(Bootstrap(MakeRand(14), Sqn(1, 0))), 0x6A86);
  EXPECT_EQ(Sw(Auth3g(MakeRand(14), Sqn(1, 0))), 0x9000);
}

TEST_F(SoftUsimAuthTest, NafKeyStorageOverwritesLeastRecentlyUsed) {
  ASSERT_EQ(Sw(Bootstrap(MakeRand(15), Sqn(1, 0))), 0x9000);
  for (int i = 1; i <= 8; ++i) {
    ASSERT_EQ(Sw(card_->Process(NafDerivationApdu(NafId("naf" + std::to_string(i)), kTestImpi))),
              0x9000);
  }
  // Use naf1 again: naf2 becomes the least recently used.
  ASSERT_EQ(Sw(card_->Process(NafDerivationApdu(NafId("naf1"), kTestImpi))), 0x9000);
  ASSERT_EQ(Sw(card_->Process(NafDerivationApdu(NafId("naf9"), kTestImpi))), 0x9000);
  ASSERT_EQ(card_->state().naf_keys.size(), 8u);
  ASSERT_EQ(Sw(card_->Process(SelectFidApdu(0x6FDA))), 0x9000);
  const Bytes record1 = Data(card_->Process(Hex("00B20104FF")));
  const Bytes record2 = Data(card_->Process(Hex("00B20204FF")));
  const Bytes naf1 = NafId("naf1");
  const Bytes naf9 = NafId("naf9");
  EXPECT_EQ(Bytes(record1.begin() + 2, record1.begin() + 2 + naf1.size()), naf1);
  EXPECT_EQ(Bytes(record2.begin() + 2, record2.begin() + 2 + naf9.size()), naf9);
}

TEST(SoftUsimIsimAuthTest, IsimAnswersWithoutKc) {
  TempDir dir;
  std::unique_ptr<SoftUsim> card =
      MakeCard(dir.File("state.json"), "impi = \"alice@ims.example.org\"\n");
  ASSERT_EQ(Sw(card->Process(SelectAidApdu(kSoftIsimAid))), 0x9000);
  const Milenage milenage = TestMilenage();
  const Rand rand = MakeRand(16);
  const Bytes r = card->Process(AuthenticateApdu(0x81, rand, MakeAutn(milenage, rand, Sqn(1, 0))));
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(Data(r).size(), 1u + 9 + 17 + 17);
  // The GBA context is a USIM one.
  EXPECT_EQ(Sw(card->Process(
                AuthenticateApdu(0x84, rand, MakeAutn(milenage, rand, Sqn(2, 0), true), 0xDD))),
            0x6985);
}

}  // namespace
}  // namespace gbabridge
