// The USIM client against the in-process software USIM, and against cards that answer
// with truncated or garbage responses.
#include "uicc/usim.h"

#include <openssl/evp.h>

#include <filesystem>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "uicc/base/kdf.h"
#include "uicc/base/milenage.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kK[] = "465b5ce8b199b49faa5f0a2ee238a6bc";    // TS 35.208 set 1 (TEST KEY)
constexpr char kOpc[] = "cd63cb71954a9f4e48a5994e37a02baf";  // TS 35.208 set 1 (TEST KEY)

struct ProfileOptions {
  bool gba_u = true;
  bool pin_enabled = false;
  bool isim = false;
  int mnc_length = 2;
  std::string impi = "alice@ims.example.org";  // EF_IMPI's NAI, with isim
};

CardProfile MakeProfile(const ProfileOptions& o) {
  std::string toml = std::string("imsi = \"001010123456789\"\n") +
                     "iccid = \"8900101012345678901\"\n" + "k = \"" + kK + "\"\n" + "opc = \"" +
                     kOpc + "\"\n" + "pin = \"1234\"\n" +
                     "pin_enabled = " + (o.pin_enabled ? "true" : "false") + "\n" +
                     "mnc_length = " + std::to_string(o.mnc_length) + "\n" +
                     "gba_u = " + (o.gba_u ? "true" : "false") + "\n";
  if (o.isim) toml += "impi = \"" + o.impi + "\"\n";
  absl::StatusOr<CardProfile> profile = CardProfile::Parse(toml, "test profile");
  EXPECT_TRUE(profile.ok()) << profile.status();
  return std::move(*profile);
}

// Builds AUTN (or AUTN* for GBA_U, TS 33.220 §5.3.2 / gba-facts §6) as the HSS/BSF would.
struct Vector {
  Rand rand{};
  Bytes autn;
  SecretBytes res, ck, ik;
};

Vector MakeVector(uint64_t sqn_value, uint8_t seed, bool gba_u_mac_star = false) {
  absl::StatusOr<Milenage> m =
      Milenage::Create(*SecretBytes::FromHex(kK), *SecretBytes::FromHex(kOpc));
  Vector v;
  for (size_t i = 0; i < v.rand.size(); ++i) v.rand[i] = static_cast<uint8_t>(seed * 7 + i);
  Sqn sqn;
  for (int i = 0; i < 6; ++i) sqn[5 - i] = static_cast<uint8_t>(sqn_value >> (8 * i));
  const Amf amf = {0x80, 0x00};
  MilenageF2345 out = m->F2345(v.rand);
  Mac mac = m->F1(v.rand, sqn, amf);
  if (gba_u_mac_star) {
    // MAC* = MAC xor Trunc64(SHA-1(IK)), computed here with OpenSSL's one-shot SHA1.
    uint8_t digest[20];
    EVP_Digest(out.ik.data(), out.ik.size(), digest, nullptr, EVP_sha1(), nullptr);
    for (size_t i = 0; i < mac.size(); ++i) mac[i] ^= digest[i];
  }
  for (int i = 0; i < 6; ++i) v.autn.push_back(sqn[i] ^ out.ak[i]);
  v.autn.insert(v.autn.end(), amf.begin(), amf.end());
  v.autn.insert(v.autn.end(), mac.begin(), mac.end());
  v.res = std::move(out.res);
  v.ck = std::move(out.ck);
  v.ik = std::move(out.ik);
  return v;
}

class UsimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gbabridge-usim-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void MakeCard(const ProfileOptions& o, bool t0 = false) {
    absl::StatusOr<std::unique_ptr<SoftUsim>> card =
        SoftUsim::Create(MakeProfile(o), (dir_ / "state.json").string(), {.t0 = t0, .log = {}});
    ASSERT_TRUE(card.ok()) << card.status();
    card_ = std::move(*card);
    channel_ = std::make_unique<InProcessTransport>(*card_);
    usim_ = std::make_unique<Usim>(*channel_);
  }

  fs::path dir_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
};

TEST_F(UsimTest, FindsApplicationsInEfDir) {
  MakeCard({.isim = true});
  absl::StatusOr<CardApplications> apps = usim_->ListApplications();
  ASSERT_TRUE(apps.ok()) << apps.status();
  EXPECT_EQ(HexEncode(apps->usim_aid).substr(0, 14), "a0000000871002");
  ASSERT_TRUE(apps->isim_aid.has_value());
  EXPECT_EQ(HexEncode(*apps->isim_aid).substr(0, 14), "a0000000871004");
}

TEST_F(UsimTest, ReadsImsiMncLengthAndGbaService) {
  MakeCard({.gba_u = true, .mnc_length = 3});
  absl::StatusOr<Imsi> imsi = usim_->ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, "001010123456789");
  EXPECT_EQ(imsi->mnc_length, 3);
  EXPECT_EQ(imsi->mnc(), "010");
  EXPECT_EQ(*usim_->IsGbaCapable(), true);
  EXPECT_EQ(*usim_->ResolveImpi(), "001010123456789@ims.mnc010.mcc001.3gppnetwork.org");
}

TEST_F(UsimTest, GbaMeCardDoesNotAdvertiseService68) {
  MakeCard({.gba_u = false});
  EXPECT_EQ(*usim_->IsGbaCapable(), false);
  Vector v = MakeVector(0x20, 1, /*gba_u_mac_star=*/true);
  absl::StatusOr<GbaBootstrapResult> r = usim_->AuthenticateGbaBootstrap(v.rand, v.autn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kGbaNotSupported) << r.status();
}

TEST_F(UsimTest, ImpiComesFromTheIsimWhenPresent) {
  MakeCard({.isim = true});
  EXPECT_EQ(**usim_->ReadIsimImpi(), "alice@ims.example.org");
  EXPECT_EQ(*usim_->ResolveImpi(), "alice@ims.example.org");
}

TEST_F(UsimTest, AnIsimImpiThatIsNoAsciiNaiIsRefused) {
  // It would become the Digest username: a space, a quote or a missing realm is refused.
  for (const std::string impi : {"alice bob@ims.example.org", "alice\\\"@ims.example.org", "alice",
                                 "@ims.example.org", "alice@",
                                 "al\xc3\xaf"
                                 "ce@ims.example.org"}) {
    MakeCard({.isim = true, .impi = impi});
    absl::StatusOr<std::optional<std::string>> read = usim_->ReadIsimImpi();
    ASSERT_FALSE(read.ok()) << impi;
    EXPECT_EQ(GetCardErrorReason(read.status()), CardErrorReason::kMalformedResponse) << impi;
    EXPECT_THAT(std::string(read.status().message()), HasSubstr("printable ASCII")) << impi;
  }
}

TEST_F(UsimTest, Authenticate3gReturnsResCkIk) {
  MakeCard({});
  Vector v = MakeVector(0x20, 1);
  absl::StatusOr<Auth3gResult> r = usim_->Authenticate3g(v.rand, v.autn);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->sync_failure);
  EXPECT_EQ(r->res.RevealHex(), v.res.RevealHex());
  EXPECT_EQ(r->ck.RevealHex(), v.ck.RevealHex());
  EXPECT_EQ(r->ik.RevealHex(), v.ik.RevealHex());
  EXPECT_EQ(r->kc.size(), 8u);
}

TEST_F(UsimTest, ReplayedSqnGivesAutsThatDecodesToTheCardSqn) {
  MakeCard({});
  Vector v = MakeVector(0x20, 1);
  ASSERT_FALSE(usim_->Authenticate3g(v.rand, v.autn)->sync_failure);
  absl::StatusOr<Auth3gResult> again = usim_->Authenticate3g(v.rand, v.autn);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->sync_failure);
  ASSERT_EQ(again->auts.size(), kAutsSize);
  // AUTS = SQN_MS xor AK* || MAC-S, with MAC-S = f1*(SQN_MS, RAND, AMF 0000) (TS 33.102 §6.3.3).
  absl::StatusOr<Milenage> m =
      Milenage::Create(*SecretBytes::FromHex(kK), *SecretBytes::FromHex(kOpc));
  const Ak ak_star = m->F5Star(v.rand);
  Sqn sqn_ms;
  for (int i = 0; i < 6; ++i) sqn_ms[i] = again->auts[i] ^ ak_star[i];
  const Mac mac_s = m->F1Star(v.rand, sqn_ms, Amf{0, 0});
  EXPECT_EQ(HexEncode(Bytes(again->auts.begin() + 6, again->auts.end())), HexEncode(mac_s));
  EXPECT_EQ(HexEncode(sqn_ms), "000000000020");
}

TEST_F(UsimTest, BadMacIsADistinctError) {
  MakeCard({});
  Vector v = MakeVector(0x20, 1);
  v.autn[15] ^= 0x01;
  absl::StatusOr<Auth3gResult> r = usim_->Authenticate3g(v.rand, v.autn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kAuthMacFailure);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("network authentication failed: AUTN MAC invalid"));
}

TEST_F(UsimTest, GbaBootstrapAndNafDerivationMatchTheKdf) {
  MakeCard({.gba_u = true});
  Vector v = MakeVector(0x40, 3, /*gba_u_mac_star=*/true);
  absl::StatusOr<GbaBootstrapResult> boot = usim_->AuthenticateGbaBootstrap(v.rand, v.autn);
  ASSERT_TRUE(boot.ok()) << boot.status();
  ASSERT_FALSE(boot->sync_failure);
  EXPECT_EQ(boot->res.RevealHex(), v.res.RevealHex());

  const std::string btid = "AAECAwQFBgcICQoLDA0ODw==@bsf.example.org";
  ASSERT_TRUE(usim_
                  ->WriteGbaBootstrapParameters(
                      {Bytes(v.rand.begin(), v.rand.end()), btid, "2026-11-28T18:00:00Z"})
                  .ok());
  absl::StatusOr<GbaBootstrapParameters> bp = usim_->ReadGbaBootstrapParameters();
  ASSERT_TRUE(bp.ok()) << bp.status();
  EXPECT_EQ(bp->btid, btid);
  EXPECT_EQ(bp->key_lifetime, "2026-11-28T18:00:00Z");
  EXPECT_EQ(HexEncode(bp->rand), HexEncode(v.rand));

  // NAF_Id = FQDN || Ua security protocol id (TS 33.220 Annex H): TLS, suite 0x00AE.
  Bytes naf_id(AsBytes("mef.example.com").begin(), AsBytes("mef.example.com").end());
  naf_id.insert(naf_id.end(), {0x01, 0x00, 0x01, 0x00, 0xAE});
  const std::string impi = *usim_->ResolveImpi();
  absl::StatusOr<SecretBytes> ks_ext_naf = usim_->DeriveKsExtNaf(naf_id, impi);
  ASSERT_TRUE(ks_ext_naf.ok()) << ks_ext_naf.status();
  SecretBytes ks(32);
  std::copy(v.ck.view().begin(), v.ck.view().end(), ks.data());
  std::copy(v.ik.view().begin(), v.ik.view().end(), ks.data() + 16);
  absl::StatusOr<SecretBytes> expected =
      Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), v.rand, AsBytes(impi), naf_id});
  EXPECT_EQ(ks_ext_naf->RevealHex(), expected->RevealHex());

  absl::StatusOr<std::vector<GbaNafEntry>> nl = usim_->ReadGbaNafList();
  ASSERT_TRUE(nl.ok()) << nl.status();
  ASSERT_EQ(nl->size(), 1u);
  EXPECT_EQ(HexEncode((*nl)[0].naf_id), HexEncode(naf_id));
  EXPECT_EQ((*nl)[0].btid, btid);
}

// A NAF derivation bound to a bootstrap checks EF_GBABP first, in the same transaction, and
// sends no AUTHENTICATE when the card holds another bootstrap: a new RAND with no B-TID yet
// (a bootstrap cut short), or another B-TID.
TEST_F(UsimTest, BoundNafDerivationRefusesAnotherBootstrap) {
  MakeCard({.gba_u = true});
  Vector v = MakeVector(0x40, 3, /*gba_u_mac_star=*/true);
  ASSERT_TRUE(usim_->AuthenticateGbaBootstrap(v.rand, v.autn).ok());
  const Bytes rand(v.rand.begin(), v.rand.end());
  const std::string btid = "AAECAwQFBgcICQoLDA0ODw==@bsf.example.org";
  Bytes naf_id(AsBytes("mef.example.com").begin(), AsBytes("mef.example.com").end());
  naf_id.insert(naf_id.end(), {0x01, 0x00, 0x01, 0x00, 0xAE});
  const std::string impi = *usim_->ResolveImpi();

  // As the card leaves EF_GBABP after AUTHENTICATE: the RAND, no B-TID.
  absl::StatusOr<SecretBytes> half = usim_->DeriveKsExtNafForBootstrap(naf_id, impi, rand, btid);
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(GetCardErrorReason(half.status()), CardErrorReason::kGbaBootstrapChanged);
  EXPECT_EQ(half.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(half.status().message()), HasSubstr(btid));
  absl::StatusOr<std::vector<GbaNafEntry>> nl = usim_->ReadGbaNafList();
  ASSERT_TRUE(nl.ok()) << nl.status();
  EXPECT_TRUE(nl->empty()) << "no NAF derivation may have run";

  ASSERT_TRUE(usim_->WriteGbaBootstrapParameters({rand, btid, "2026-11-28T18:00:00Z"}).ok());
  Bytes other_rand = rand;
  other_rand[3] ^= 0x01;
  absl::StatusOr<SecretBytes> other =
      usim_->DeriveKsExtNafForBootstrap(naf_id, impi, other_rand, btid);
  EXPECT_EQ(GetCardErrorReason(other.status()), CardErrorReason::kGbaBootstrapChanged);
  absl::StatusOr<SecretBytes> other_btid =
      usim_->DeriveKsExtNafForBootstrap(naf_id, impi, rand, "BBBB@bsf.example.org");
  EXPECT_EQ(GetCardErrorReason(other_btid.status()), CardErrorReason::kGbaBootstrapChanged);

  absl::StatusOr<SecretBytes> bound = usim_->DeriveKsExtNafForBootstrap(naf_id, impi, rand, btid);
  ASSERT_TRUE(bound.ok()) << bound.status();
  SecretBytes ks(32);
  std::copy(v.ck.view().begin(), v.ck.view().end(), ks.data());
  std::copy(v.ik.view().begin(), v.ik.view().end(), ks.data() + 16);
  EXPECT_EQ(bound->RevealHex(),
            Kdf(ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), v.rand, AsBytes(impi), naf_id})->RevealHex());

  // An EF_GBABP that does not parse (a RAND length past the end of the file) names no
  // bootstrap: the same refusal, not a card error that would stick until the session ends.
  const Bytes selected =
      card_->Process(*HexDecode("00A4000402"
                                "6FD6"
                                "00"));
  ASSERT_GE(selected.size(), 2u);
  ASSERT_EQ(HexEncode(ByteView(selected).last(2)), "9000");
  ASSERT_EQ(card_->Process(*HexDecode("00D6000003FFFFFF")), *HexDecode("9000"));
  absl::StatusOr<SecretBytes> garbled = usim_->DeriveKsExtNafForBootstrap(naf_id, impi, rand, btid);
  EXPECT_EQ(GetCardErrorReason(garbled.status()), CardErrorReason::kGbaBootstrapChanged);
  EXPECT_THAT(std::string(garbled.status().message()), HasSubstr("does not parse"));
}

TEST_F(UsimTest, GbaContextRejectsAPlainAutn) {
  MakeCard({.gba_u = true});
  Vector v = MakeVector(0x40, 3, /*gba_u_mac_star=*/false);
  absl::StatusOr<GbaBootstrapResult> r = usim_->AuthenticateGbaBootstrap(v.rand, v.autn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kAuthMacFailure);
}

TEST_F(UsimTest, NafDerivationBeforeBootstrapIsRefused) {
  MakeCard({.gba_u = true});
  absl::StatusOr<SecretBytes> r = usim_->DeriveKsExtNaf(AsBytes("naf.example.org\x01"), "x@y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kConditionsNotSatisfied);
}

TEST_F(UsimTest, PinIsReportedAndNeverRetried) {
  MakeCard({.pin_enabled = true});
  absl::StatusOr<Imsi> locked = usim_->ReadImsi();
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(GetCardErrorReason(locked.status()), CardErrorReason::kPinRequired);
  EXPECT_THAT(std::string(locked.status().message()), HasSubstr("PIN required"));

  absl::StatusOr<PinState> pin = usim_->GetPinState();
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_TRUE(pin->enabled);
  EXPECT_FALSE(pin->verified);
  EXPECT_EQ(pin->tries_left, 3);

  const size_t before = channel_->apdu_count();
  absl::Status wrong = usim_->VerifyPin("9999");
  EXPECT_EQ(GetCardErrorReason(wrong), CardErrorReason::kPinWrong);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("2 tries left"));
  EXPECT_EQ(channel_->apdu_count() - before, 2u) << "one SELECT and exactly one VERIFY";

  EXPECT_FALSE(usim_->VerifyPin("12a4").ok());  // not digits: never sent
  ASSERT_TRUE(usim_->VerifyPin("1234").ok());
  EXPECT_TRUE(usim_->GetPinState()->verified);
  EXPECT_TRUE(usim_->ReadImsi().ok());
}

// A card (the independent onomondo-uicc one, for instance) that answers the 4-byte VERIFY
// retry query (no Lc) with `refusal` instead of 9000/63Cx.
class RefusesEmptyVerify : public ApduHandler {
 public:
  RefusesEmptyVerify(ApduHandler& card, uint16_t refusal) : card_(card), refusal_(refusal) {}
  Bytes Reset() override { return card_.Reset(); }
  Bytes Process(ByteView command) override {
    if (command.size() == 4 && command[1] == 0x20) {
      return {static_cast<uint8_t>(refusal_ >> 8), static_cast<uint8_t>(refusal_ & 0xFF)};
    }
    return card_.Process(command);
  }

 private:
  ApduHandler& card_;
  uint16_t refusal_;
};

TEST_F(UsimTest, ARefusedRetryQueryIsFineWhenPin1IsDisabled) {
  for (const uint16_t refusal : {uint16_t{0x6700}, uint16_t{0x6D00}}) {
    MakeCard({});
    RefusesEmptyVerify quirky(*card_, refusal);
    InProcessTransport channel(quirky);
    Usim usim(channel);
    absl::StatusOr<PinState> pin = usim.GetPinState();
    ASSERT_TRUE(pin.ok()) << std::hex << refusal << ": " << pin.status();
    EXPECT_FALSE(pin->enabled);
    EXPECT_TRUE(pin->verified);
    EXPECT_EQ(pin->tries_left, -1) << "the card did not say";
    EXPECT_TRUE(usim.ReadImsi().ok());
  }
}

TEST_F(UsimTest, ARefusedRetryQueryIsAnErrorWhenPin1IsEnabled) {
  MakeCard({.pin_enabled = true});
  RefusesEmptyVerify quirky(*card_, 0x6700);
  InProcessTransport channel(quirky);
  Usim usim(channel);
  EXPECT_FALSE(usim.GetPinState().ok()) << "an enabled PIN with an unknown state is not fine";
}

TEST_F(UsimTest, BlockedPinIsReported) {
  MakeCard({.pin_enabled = true});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(usim_->VerifyPin("9999").ok());
  absl::Status blocked = usim_->VerifyPin("1234");
  EXPECT_EQ(GetCardErrorReason(blocked), CardErrorReason::kPinBlocked) << blocked;
  EXPECT_TRUE(usim_->GetPinState()->blocked);
}

TEST_F(UsimTest, WorksOverT0ResponseProcedures) {
  MakeCard({.isim = true}, /*t0=*/true);
  EXPECT_EQ(usim_->ReadImsi()->digits, "001010123456789");
  Vector v = MakeVector(0x20, 1);
  absl::StatusOr<Auth3gResult> r = usim_->Authenticate3g(v.rand, v.autn);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->res.RevealHex(), v.res.RevealHex());
  EXPECT_EQ(*usim_->ReadIsimImpi(), "alice@ims.example.org");
}

TEST_F(UsimTest, OneAuthenticateCostsTwoApdus) {
  MakeCard({});
  ASSERT_TRUE(usim_->ListApplications().ok());
  const size_t before = channel_->apdu_count();
  Vector v = MakeVector(0x20, 1);
  ASSERT_TRUE(usim_->Authenticate3g(v.rand, v.autn).ok());
  EXPECT_EQ(channel_->apdu_count() - before, 2u) << "SELECT USIM + AUTHENTICATE";
}

// Wraps a card and corrupts its answers to one instruction.
class CorruptingCard : public ApduHandler {
 public:
  CorruptingCard(ApduHandler& inner, uint8_t ins, std::function<Bytes(Bytes)> corrupt)
      : inner_(inner), ins_(ins), corrupt_(std::move(corrupt)) {}
  Bytes Reset() override { return inner_.Reset(); }
  Bytes Process(ByteView command) override {
    Bytes response = inner_.Process(command);
    if (command.size() > 1 && command[1] == ins_) return corrupt_(std::move(response));
    return response;
  }

 private:
  ApduHandler& inner_;
  uint8_t ins_;
  std::function<Bytes(Bytes)> corrupt_;
};

TEST_F(UsimTest, TruncatedAuthenticateResponsesAreCleanErrors) {
  MakeCard({});
  for (size_t keep = 0; keep < 45; ++keep) {
    // Keep `keep` data bytes, then 90 00.
    CorruptingCard bad(*card_, 0x88, [keep](Bytes r) {
      Bytes out(r.begin(), r.begin() + static_cast<ptrdiff_t>(std::min(keep, r.size() - 2)));
      out.push_back(0x90);
      out.push_back(0x00);
      return out;
    });
    InProcessTransport channel(bad);
    Usim usim(channel);
    Vector v = MakeVector(0x20 + 0x20 * keep, 1);
    absl::StatusOr<Auth3gResult> r = usim.Authenticate3g(v.rand, v.autn);
    if (keep < 44) {  // the full answer is DB 08 RES 10 CK 10 IK 08 Kc = 44 bytes
      ASSERT_FALSE(r.ok()) << "kept " << keep;
      EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kMalformedResponse);
    }
  }
}

TEST_F(UsimTest, GarbageResponsesNeverCrash) {
  MakeCard({.isim = true});
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    CorruptingCard bad(*card_,
                       static_cast<uint8_t>(std::vector<int>{0xA4, 0xB0, 0xB2, 0x88}[i % 4]),
                       [&rng](Bytes) {
                         Bytes junk(rng() % 40);
                         for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
                         if (rng() % 2) junk.insert(junk.end(), {0x90, 0x00});
                         return junk;
                       });
    InProcessTransport channel(bad);
    Usim usim(channel);
    Vector v = MakeVector(0x20 + 0x20 * static_cast<uint64_t>(i), 1);
    (void)usim.ListApplications();
    (void)usim.ReadImsi();
    (void)usim.ResolveImpi();
    (void)usim.Authenticate3g(v.rand, v.autn);
    (void)usim.ReadGbaNafList();
  }
}

}  // namespace
}  // namespace gbabridge
