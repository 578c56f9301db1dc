// Authentication vectors checked from the UE's side: Milenage computed in the test, MAC*
// with OpenSSL's one-shot SHA1(), the card's own AUTN check and SQN array (uicc/soft_usim)
// for interoperability, and resynchronisation with AUTS built here.
#include "bsf_sim/av_generator.h"

#include <openssl/sha.h>

#include <algorithm>
#include <vector>

#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim_test_util.h"
#include "gtest/gtest.h"
#include "uicc/soft_usim/aka_check.h"
#include "uicc/soft_usim/sqn_array.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::kGbaUImpi;
using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::MakeAuts;
using ::gbabridge::bsf::testing::MakeTestStore;
using ::gbabridge::bsf::testing::SqnValue;
using ::gbabridge::bsf::testing::TempDir;
using ::gbabridge::bsf::testing::TestMilenage;

class AvGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeTestStore(dir_.File("hss.db"));
    ASSERT_NE(store_, nullptr);
    generator_ = std::make_unique<AvGenerator>(*store_);
  }

  // The UE side: SQN = (AUTN[0..5] xor AK), MAC field as received.
  struct Opened {
    uint64_t sqn;
    Amf amf;
    Mac mac;
    MilenageF2345 keys;
  };
  Opened Open(const AuthVector& av) {
    Opened out;
    out.keys = milenage_.F2345(av.rand);
    Sqn sqn{};
    for (size_t i = 0; i < 6; ++i) sqn[i] = av.autn[i] ^ out.keys.ak[i];
    out.sqn = SqnValue(sqn);
    out.amf = {av.autn[6], av.autn[7]};
    std::copy_n(av.autn.begin() + 8, 8, out.mac.begin());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<SubscriberStore> store_;
  std::unique_ptr<AvGenerator> generator_;
  Milenage milenage_ = TestMilenage();
};

TEST_F(AvGeneratorTest, AutnVerifiesWithMilenage) {
  absl::StatusOr<AuthVector> av = generator_->Generate(kTestImpi, /*ue_requests_gba_u=*/false);
  ASSERT_TRUE(av.ok()) << av.status();
  EXPECT_FALSE(av->gba_u);
  const Opened ue = Open(*av);
  EXPECT_EQ(ue.sqn, av->sqn);
  EXPECT_EQ(SeqOf(ue.sqn, kDefaultIndBits), 1u);
  EXPECT_EQ(ue.amf, (Amf{0x80, 0x00}));
  EXPECT_EQ(ue.mac, milenage_.F1(av->rand, testing::SqnBytes(ue.sqn), ue.amf));
  EXPECT_TRUE(ConstantTimeEquals(av->xres.view(), ue.keys.res.view()));
  EXPECT_TRUE(ConstantTimeEquals(av->ck.view(), ue.keys.ck.view()));
  EXPECT_TRUE(ConstantTimeEquals(av->ik.view(), ue.keys.ik.view()));
  EXPECT_EQ(av->xres.size(), 8u);
  // The SQN was committed before the vector existed.
  EXPECT_EQ(store_->Lookup(kTestImpi)->sqn, av->sqn);
}

TEST_F(AvGeneratorTest, GbaUMacStarIsMacXorSha1OfIk) {
  absl::StatusOr<AuthVector> av = generator_->Generate(kGbaUImpi, /*ue_requests_gba_u=*/true);
  ASSERT_TRUE(av.ok()) << av.status();
  EXPECT_TRUE(av->gba_u);
  const Opened ue = Open(*av);
  Mac expected = milenage_.F1(av->rand, testing::SqnBytes(ue.sqn), ue.amf);
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(ue.keys.ik.data(), ue.keys.ik.size(), digest);
  for (size_t i = 0; i < 8; ++i) expected[i] ^= digest[i];
  EXPECT_EQ(ue.mac, expected);
}

TEST_F(AvGeneratorTest, GbaUOnlyWhenBothUiccAndUeAreGbaUAware) {
  // GBA-aware UICC, but the UE runs GBA_ME (3G context): plain MAC.
  absl::StatusOr<AuthVector> av = generator_->Generate(kGbaUImpi, /*ue_requests_gba_u=*/false);
  ASSERT_TRUE(av.ok());
  EXPECT_FALSE(av->gba_u);
  Opened ue = Open(*av);
  EXPECT_EQ(ue.mac, milenage_.F1(av->rand, testing::SqnBytes(ue.sqn), ue.amf));
  // The UE asks for GBA_U but the UICC is not GBA-aware: plain MAC.
  av = generator_->Generate(kTestImpi, /*ue_requests_gba_u=*/true);
  ASSERT_TRUE(av.ok());
  EXPECT_FALSE(av->gba_u);
  ue = Open(*av);
  EXPECT_EQ(ue.mac, milenage_.F1(av->rand, testing::SqnBytes(ue.sqn), ue.amf));
}

TEST_F(AvGeneratorTest, TheCardAcceptsVectorsEvenOutOfOrder) {
  // The card's own check (uicc/soft_usim): every vector is fresh, in any order, thanks to
  // SEQ stepping by one and IND cycling (TS 33.102 C.3.2).
  absl::StatusOr<SqnArray> card = SqnArray::Create(kDefaultIndBits, uint64_t{1} << 28);
  ASSERT_TRUE(card.ok());
  std::vector<AuthVector> vectors;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<AuthVector> av = generator_->Generate(kGbaUImpi, i % 2 == 0);
    ASSERT_TRUE(av.ok()) << av.status();
    if (!vectors.empty()) {
      EXPECT_GT(av->sqn, vectors.back().sqn);
      EXPECT_NE(av->rand, vectors.back().rand);
    }
    vectors.push_back(*std::move(av));
  }
  std::reverse(vectors.begin(), vectors.end());
  for (const AuthVector& av : vectors) {
    AkaCheckResult result = CheckAutn(milenage_, *card, av.rand, av.autn, av.gba_u);
    ASSERT_EQ(result.outcome, AkaOutcome::kAccepted) << "SQN " << av.sqn;
    EXPECT_TRUE(ConstantTimeEquals(result.keys.res.view(), av.xres.view()));
    card->Accept(result.sqn);
  }
  // Each one is a replay now: the card answers with AUTS.
  EXPECT_EQ(CheckAutn(milenage_, *card, vectors[0].rand, vectors[0].autn, vectors[0].gba_u).outcome,
            AkaOutcome::kSyncFailure);
}

TEST_F(AvGeneratorTest, ResyncFromValidAutsContinuesFromSeqMs) {
  absl::StatusOr<AuthVector> av = generator_->Generate(kTestImpi, false);
  ASSERT_TRUE(av.ok());
  const uint64_t sqn_ms = (uint64_t{500} << kDefaultIndBits) | 3;
  absl::StatusOr<uint64_t> resynced =
      generator_->Resync(kTestImpi, av->rand, MakeAuts(milenage_, av->rand, sqn_ms));
  ASSERT_TRUE(resynced.ok()) << resynced.status();
  EXPECT_EQ(*resynced, sqn_ms);
  absl::StatusOr<AuthVector> next = generator_->Generate(kTestImpi, false);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(SeqOf(next->sqn, kDefaultIndBits), 501u);
  // A card that accepted SQN_MS (and nothing above) accepts the new vector.
  absl::StatusOr<SqnArray> card = SqnArray::Create(kDefaultIndBits, uint64_t{1} << 28);
  ASSERT_TRUE(card.ok());
  card->Accept(sqn_ms);
  EXPECT_EQ(CheckAutn(milenage_, *card, next->rand, next->autn, false).outcome,
            AkaOutcome::kAccepted);
}

TEST_F(AvGeneratorTest, ResyncWithTheCardsOwnAuts) {
  // The card has accepted SEQ 40 in slot IND 1 (from another HSS); our first vector, SEQ 1
  // in the same slot, is stale there: the card sends AUTS (card code). (SEQ 40 in another
  // slot would not do: SEQ 1 would still be fresh in slot 1, Annex C.2.2.)
  absl::StatusOr<SqnArray> card = SqnArray::Create(kDefaultIndBits, uint64_t{1} << 28);
  ASSERT_TRUE(card.ok());
  card->Accept((uint64_t{40} << kDefaultIndBits) | 1);
  absl::StatusOr<AuthVector> av = generator_->Generate(kTestImpi, false);
  ASSERT_TRUE(av.ok());
  AkaCheckResult result = CheckAutn(milenage_, *card, av->rand, av->autn, false);
  ASSERT_EQ(result.outcome, AkaOutcome::kSyncFailure);
  ASSERT_TRUE(generator_->Resync(kTestImpi, av->rand, result.auts).ok());
  absl::StatusOr<AuthVector> next = generator_->Generate(kTestImpi, false);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(CheckAutn(milenage_, *card, next->rand, next->autn, false).outcome,
            AkaOutcome::kAccepted);
}

TEST_F(AvGeneratorTest, BadMacSIsRejectedAndTheStoreUntouched) {
  absl::StatusOr<AuthVector> av = generator_->Generate(kTestImpi, false);
  ASSERT_TRUE(av.ok());
  const uint64_t before = store_->Lookup(kTestImpi)->sqn;
  absl::StatusOr<uint64_t> resynced = generator_->Resync(
      kTestImpi, av->rand, MakeAuts(milenage_, av->rand, 999 << 5, /*corrupt_mac=*/true));
  EXPECT_EQ(resynced.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->Lookup(kTestImpi)->sqn, before);
  // AUTS for another RAND does not verify either.
  Rand other = av->rand;
  other[0] ^= 1;
  EXPECT_EQ(
      generator_->Resync(kTestImpi, av->rand, MakeAuts(milenage_, other, 999 << 5)).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(generator_->Resync(kTestImpi, av->rand, Bytes(13)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AvGeneratorTest, UnknownSubscriber) {
  EXPECT_EQ(generator_->Generate("nobody@ims.example.org", false).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AvGeneratorTest, NoVectorWhenTheSqnCannotBeCommitted) {
  absl::StatusOr<std::unique_ptr<SubscriberStore>> ro =
      SubscriberStore::Open(dir_.File("hss.db"), SubscriberStore::OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  AvGenerator generator(**ro);
  EXPECT_EQ(generator.Generate(kTestImpi, false).status().code(), absl::StatusCode::kUnavailable);
}

TEST(BsfSqnSchemeTest, NextSqnStepsSeqAndCyclesInd) {
  EXPECT_EQ(*NextSqn(0, 5), (uint64_t{1} << 5) | 1);
  EXPECT_EQ(*NextSqn((uint64_t{31} << 5) | 31, 5), uint64_t{32} << 5);  // IND wraps to 0
  EXPECT_EQ(*NextSqn(7, 0), 8u);
  // After SQN_MS with any IND, SEQ_MS + 1.
  EXPECT_EQ(SeqOf(*NextSqn((uint64_t{9} << 5) | 30, 5), 5), 10u);
  EXPECT_EQ(NextSqn(kMaxSqn, 5).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(NextSqn(0, 17).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqnFromBytes(SqnToBytes(0x123456789abc)), 0x123456789abcu);
  // Changing ind_bits between runs still moves forward.
  EXPECT_GT(*NextSqn(0x41, 5), 0x41u);
  EXPECT_GT(*NextSqn(0x63, 0), 0x63u);
}

}  // namespace
}  // namespace gbabridge::bsf
