#include "uicc/soft_usim/sqn_array.h"

#include "gtest/gtest.h"

namespace gbabridge {
namespace {

constexpr int kIndBits = 5;
constexpr uint64_t kDelta = uint64_t{1} << 28;

uint64_t MakeSqn(uint64_t seq, uint64_t ind) { return (seq << kIndBits) | ind; }

SqnArray Fresh() { return *SqnArray::Create(kIndBits, kDelta); }

TEST(SqnArrayTest, IntConversionRoundTrips) {
  const Sqn sqn = {0xFF, 0x9B, 0xB4, 0xD0, 0xB6, 0x07};
  EXPECT_EQ(SqnToInt(sqn), 0xFF9BB4D0B607u);
  EXPECT_EQ(SqnFromInt(0xFF9BB4D0B607u), sqn);
}

TEST(SqnArrayTest, AcceptsFreshAndRejectsReplay) {
  SqnArray array = Fresh();
  EXPECT_EQ(array.HighestAcceptedSqn(), 0u);  // before anything: SQN_MS = 0
  const uint64_t sqn = MakeSqn(1, 3);
  ASSERT_EQ(array.Check(sqn), SqnArray::Verdict::kFresh);
  array.Accept(sqn);
  EXPECT_EQ(array.Check(sqn), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(array.HighestAcceptedSqn(), sqn);
  EXPECT_EQ(array.Check(MakeSqn(2, 3)), SqnArray::Verdict::kFresh);
}

TEST(SqnArrayTest, SeqZeroIsNeverFresh) {
  // Annex C.2.2: slots start at zero and SEQ must be strictly greater.
  EXPECT_EQ(Fresh().Check(MakeSqn(0, 7)), SqnArray::Verdict::kReplayed);
}

TEST(SqnArrayTest, OutOfOrderAcrossIndSlotsIsAccepted) {
  SqnArray array = Fresh();
  array.Accept(MakeSqn(10, 1));
  // An older vector from another slot (e.g. another VLR's batch) is still fresh...
  ASSERT_EQ(array.Check(MakeSqn(7, 2)), SqnArray::Verdict::kFresh);
  array.Accept(MakeSqn(7, 2));
  // ...but not one at or below its own slot's SEQ.
  EXPECT_EQ(array.Check(MakeSqn(7, 2)), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(array.Check(MakeSqn(9, 1)), SqnArray::Verdict::kReplayed);
  // The highest accepted number stays the one with the highest SEQ.
  EXPECT_EQ(array.HighestAcceptedSqn(), MakeSqn(10, 1));
  EXPECT_EQ(array.seq_ms()[1], 10u);
  EXPECT_EQ(array.seq_ms()[2], 7u);
}

TEST(SqnArrayTest, DeltaLimitsJumpsAhead) {
  SqnArray array = Fresh();
  array.Accept(MakeSqn(100, 0));
  EXPECT_EQ(array.Check(MakeSqn(100 + kDelta, 4)), SqnArray::Verdict::kFresh);  // = delta
  EXPECT_EQ(array.Check(MakeSqn(100 + kDelta + 1, 4)), SqnArray::Verdict::kTooFarAhead);
}

TEST(SqnArrayTest, CannotJumpToTheTopOrWrapAround) {
  SqnArray array = Fresh();
  const uint64_t max_seq = kSqnMask >> kIndBits;
  // From a fresh card, the top of the 48-bit range is far beyond delta.
  EXPECT_EQ(array.Check(MakeSqn(max_seq, 0)), SqnArray::Verdict::kTooFarAhead);
  // A card that has reached the top keeps rejecting wrapped-around values in used slots.
  std::vector<uint64_t> slots(32, 0);
  slots[0] = max_seq;
  absl::StatusOr<SqnArray> high = SqnArray::Restore(kIndBits, kDelta, slots, MakeSqn(max_seq, 0));
  ASSERT_TRUE(high.ok()) << high.status();
  EXPECT_EQ(high->Check(MakeSqn(max_seq, 0)), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(high->Check(MakeSqn(0, 0)), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(high->Check(MakeSqn(1, 0)), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(high->HighestAcceptedSqn(), kSqnMask & ~uint64_t{31});
  // Values above 48 bits are reduced to 48 bits, never accepted as larger ones.
  EXPECT_EQ(high->Check((uint64_t{1} << 48) | MakeSqn(max_seq, 0)), SqnArray::Verdict::kReplayed);
}

TEST(SqnArrayTest, RestoreValidatesState) {
  EXPECT_FALSE(SqnArray::Restore(kIndBits, kDelta, std::vector<uint64_t>(31, 0), 0).ok());
  std::vector<uint64_t> slots(32, 0);
  slots[4] = 9;
  EXPECT_FALSE(SqnArray::Restore(kIndBits, kDelta, slots, MakeSqn(8, 4)).ok());
  EXPECT_TRUE(SqnArray::Restore(kIndBits, kDelta, slots, MakeSqn(9, 4)).ok());
  slots[5] = uint64_t{1} << 44;  // above 43 bits of SEQ
  EXPECT_FALSE(SqnArray::Restore(kIndBits, kDelta, slots, MakeSqn(9, 4)).ok());
  EXPECT_FALSE(SqnArray::Create(17, kDelta).ok());
  EXPECT_FALSE(SqnArray::Create(5, 0).ok());
}

TEST(SqnArrayTest, ZeroIndBitsIsOneSlot) {
  SqnArray array = *SqnArray::Create(0, 10);
  array.Accept(5);
  EXPECT_EQ(array.Check(5), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(array.Check(4), SqnArray::Verdict::kReplayed);
  EXPECT_EQ(array.Check(15), SqnArray::Verdict::kFresh);
  EXPECT_EQ(array.Check(16), SqnArray::Verdict::kTooFarAhead);
}

}  // namespace
}  // namespace gbabridge
