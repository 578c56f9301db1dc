#include "bsf_sim/pending_challenges.h"

#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

PendingChallenge Challenge(const std::string& id, const std::string& impi) {
  PendingChallenge c;
  c.id = id;
  c.av.impi = impi;
  c.issued = std::chrono::steady_clock::now();
  return c;
}

ByteView Id(const std::string& id) { return AsBytes(id); }

TEST(PendingChallengesTest, AnsweredChallengesDoNotCountAgainstTheSubscriber) {
  PendingChallenges pending(/*max_total=*/100, /*max_per_impi=*/4);
  ASSERT_TRUE(pending.Add(Challenge("live", "alice")).ok());
  for (const std::string id : {"a1", "a2", "a3"}) {
    ASSERT_TRUE(pending.Add(Challenge(id, "alice")).ok());
    std::optional<PendingChallenge> taken = pending.Take(Id(id));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->av.impi, "alice");
  }
  // Three answered challenges must not leave stale ids that count against alice's limit.
  ASSERT_TRUE(pending.Add(Challenge("next", "alice")).ok());
  EXPECT_TRUE(pending.Take(Id("live")).has_value());
  EXPECT_TRUE(pending.Take(Id("next")).has_value());
  EXPECT_EQ(pending.Size(), 0u);
}

TEST(PendingChallengesTest, PastThePerSubscriberLimitNewOnesAreRefusedNotTheOldEvicted) {
  PendingChallenges pending(100, 2);
  ASSERT_TRUE(pending.Add(Challenge("c1", "bob")).ok());
  ASSERT_TRUE(pending.Add(Challenge("c2", "bob")).ok());
  EXPECT_FALSE(pending.HasRoomFor("bob"));
  EXPECT_TRUE(pending.HasRoomFor("carol"));
  const absl::Status refused = pending.Add(Challenge("c3", "bob"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  // The device's own challenges in flight are still answerable.
  EXPECT_TRUE(pending.Take(Id("c1")).has_value());
  EXPECT_FALSE(pending.Take(Id("c3")).has_value());
  EXPECT_TRUE(pending.HasRoomFor("bob"));
  EXPECT_TRUE(pending.Take(Id("c2")).has_value());
  EXPECT_FALSE(pending.Take(Id("c2")).has_value()) << "a challenge is answered once";
}

}  // namespace
}  // namespace gbabridge::bsf
