#include "bootstrap/daemon/rate_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

#include "bootstrap/wire/wire_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

// A manually advanced monotonic clock, safe to read from many threads.
class FakeClock {
 public:
  RateLimiter::Clock AsClock() {
    return [this] {
      return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns_.load()));
    };
  }
  void Advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  std::atomic<int64_t> ns_{std::chrono::nanoseconds(std::chrono::hours(1)).count()};
};

RateLimit Limit(int64_t requests, std::chrono::nanoseconds per) {
  RateLimit limit;
  limit.requests = requests;
  limit.per = per;
  return limit;
}

int CountAllowed(RateLimiter& limiter, std::string_view client, const RateLimit& limit,
                 int attempts) {
  int allowed = 0;
  for (int i = 0; i < attempts; ++i) {
    if (limiter.Acquire(client, limit).ok()) ++allowed;
  }
  return allowed;
}

TEST(RateLimiterTest, FloodAllowsExactlyTheBurstThenRefills) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(10, seconds(1));
  EXPECT_EQ(CountAllowed(limiter, "meter-app", limit, 1000), 10);

  const absl::Status denied = limiter.Acquire("meter-app", limit);
  EXPECT_EQ(denied.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(wire::ErrorReasonOf(denied), v1::RATE_LIMITED);
  EXPECT_THAT(denied.message(), HasSubstr("meter-app"));
  EXPECT_THAT(denied.message(), HasSubstr("retry in 100ms"));

  clock.Advance(milliseconds(99));
  EXPECT_EQ(CountAllowed(limiter, "meter-app", limit, 1000), 0);
  clock.Advance(milliseconds(1));  // one token = 100 ms
  EXPECT_EQ(CountAllowed(limiter, "meter-app", limit, 1000), 1);
  clock.Advance(milliseconds(350));
  EXPECT_EQ(CountAllowed(limiter, "meter-app", limit, 1000), 3);
  // A long idle period refills to the burst size, not beyond.
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(CountAllowed(limiter, "meter-app", limit, 1000), 10);
}

TEST(RateLimiterTest, RefillIsExactOverManyPeriods) {
  // Integer arithmetic: 3 per 1 s must be exactly 3 per second forever (no float drift).
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(3, seconds(1));
  EXPECT_EQ(CountAllowed(limiter, "c", limit, 100), 3);
  int total = 0;
  for (int i = 0; i < 3000; ++i) {
    clock.Advance(milliseconds(1));
    total += CountAllowed(limiter, "c", limit, 5);
  }
  EXPECT_EQ(total, 9);
}

TEST(RateLimiterTest, ClientsHaveSeparateBuckets) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(2, seconds(1));
  EXPECT_EQ(CountAllowed(limiter, "a", limit, 10), 2);
  EXPECT_EQ(CountAllowed(limiter, "b", limit, 10), 2);
}

TEST(RateLimiterTest, ChangedLimitStartsAFreshBucket) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  EXPECT_EQ(CountAllowed(limiter, "a", Limit(2, seconds(1)), 10), 2);
  EXPECT_EQ(CountAllowed(limiter, "a", Limit(5, seconds(1)), 10), 5);
  limiter.Reset();
  EXPECT_EQ(CountAllowed(limiter, "a", Limit(5, seconds(1)), 10), 5);
}

TEST(RateLimiterTest, ClockGoingBackwardsAddsNothing) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(1, seconds(1));
  EXPECT_TRUE(limiter.Acquire("a", limit).ok());
  clock.Advance(-seconds(10));
  EXPECT_FALSE(limiter.Acquire("a", limit).ok());
}

TEST(RateLimiterTest, LargestLimitsDoNotOverflow) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(RateLimit::kMaxRequests, RateLimit::kMaxPer);
  EXPECT_EQ(CountAllowed(limiter, "a", limit, 1000), 1000);
  clock.Advance(std::chrono::hours(1000));
  EXPECT_TRUE(limiter.Acquire("a", limit).ok());
}

TEST(RateLimiterTest, RejectsOutOfBoundsLimits) {
  RateLimiter limiter;
  EXPECT_EQ(limiter.Acquire("a", Limit(0, seconds(1))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(limiter.Acquire("a", Limit(1, seconds(0))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(limiter.Acquire("a", Limit(RateLimit::kMaxRequests + 1, seconds(1))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(limiter.Acquire("a", Limit(1, seconds(3601))).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RateLimiterTest, ThreadSafetySmoke) {
  FakeClock clock;
  RateLimiter limiter(clock.AsClock());
  const RateLimit limit = Limit(100, seconds(1));
  std::atomic<int> allowed_shared{0};
  std::atomic<int> allowed_own{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "client-" + std::to_string(t);
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Acquire("shared", limit).ok()) ++allowed_shared;
        if (limiter.Acquire(own, limit).ok()) ++allowed_own;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // The clock does not move: exactly one burst per bucket, however the threads interleave.
  EXPECT_EQ(allowed_shared.load(), 100);
  EXPECT_EQ(allowed_own.load(), 8 * 100);
}

TEST(RateLimiterTest, RealClockAllowsTheBurst) {
  RateLimiter limiter;
  EXPECT_EQ(CountAllowed(limiter, "a", Limit(5, std::chrono::hours(1)), 50), 5);
}

}  // namespace
}  // namespace gbabridge::daemon
