// The in-memory session store: lookups copy, expiry is monotonic, sweeping removes, and
// concurrent use from the Ub and Zn threads is safe.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bsf_sim/in_memory_session_store.h"
#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

using Clock = std::chrono::steady_clock;

BsfSession MakeSession(std::string btid, Clock::duration remaining,
                       std::string impi = "alice@ims.example.org") {
  BsfSession s;
  s.btid = std::move(btid);
  s.impi = std::move(impi);
  s.rand = Bytes(16, 0x11);
  s.ks = SecretBytes(32);
  s.ks.data()[0] = 0x42;
  s.gba_type = GbaMode::kGbaMe;
  s.created = absl::FromUnixSeconds(1700000000);
  s.expiry = s.created + absl::Hours(1);
  s.deadline = Clock::now() + remaining;
  return s;
}

TEST(SessionStoreTest, InsertLookupAndUniqueBtid) {
  InMemorySessionStore store;
  ASSERT_TRUE(store.Insert(MakeSession("a@bsf.example.org", std::chrono::hours(1))).ok());
  absl::StatusOr<BsfSession> found = store.Lookup("a@bsf.example.org");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->impi, "alice@ims.example.org");
  EXPECT_EQ(found->ks.size(), 32u);
  EXPECT_EQ(found->ks.data()[0], 0x42);
  EXPECT_EQ(store.Insert(MakeSession("a@bsf.example.org", std::chrono::hours(1))).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.Lookup("b@bsf.example.org").status().code(), absl::StatusCode::kNotFound);
}

TEST(SessionStoreTest, ExpiredSessionsAreInvisibleAndSwept) {
  InMemorySessionStore store;
  ASSERT_TRUE(store.Insert(MakeSession("old@bsf", -std::chrono::seconds(1))).ok());
  ASSERT_TRUE(store.Insert(MakeSession("soon@bsf", std::chrono::minutes(10))).ok());
  ASSERT_TRUE(store.Insert(MakeSession("live@bsf", std::chrono::hours(1))).ok());
  // Past its deadline: gone for lookups even before the sweep.
  EXPECT_EQ(store.Lookup("old@bsf").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Size(), 3u);
  EXPECT_EQ(store.SweepExpired(), 1u);
  EXPECT_EQ(store.Size(), 2u);
  // Twenty minutes later (monotonic clock), the second one goes too.
  EXPECT_EQ(store.SweepExpired(Clock::now() + std::chrono::minutes(20)), 1u);
  EXPECT_TRUE(store.Lookup("live@bsf").ok());
  EXPECT_EQ(store.Lookup("soon@bsf").status().code(), absl::StatusCode::kNotFound);
}

TEST(SessionStoreTest, FullStoreRefusesButReclaimsExpired) {
  InMemorySessionStore store(/*max_sessions=*/2);
  ASSERT_TRUE(store.Insert(MakeSession("1@bsf", std::chrono::hours(1), "a")).ok());
  ASSERT_TRUE(store.Insert(MakeSession("2@bsf", -std::chrono::seconds(1), "b")).ok());
  ASSERT_TRUE(store.Insert(MakeSession("3@bsf", std::chrono::hours(1), "c")).ok());  // reclaims 2
  EXPECT_EQ(store.Insert(MakeSession("4@bsf", std::chrono::hours(1), "d")).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(SessionStoreTest, OneSubscriberCannotFillTheStore) {
  InMemorySessionStore store(/*max_sessions=*/10, /*max_sessions_per_impi=*/2);
  ASSERT_TRUE(store.Insert(MakeSession("bob@bsf", std::chrono::hours(1), "bob")).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        store.Insert(MakeSession(absl::StrCat(i, "@bsf"), std::chrono::hours(1), "mallory")).ok());
  }
  // Mallory keeps her two newest sessions; older ones were replaced (and their Ks wiped).
  EXPECT_EQ(store.Size(), 3u);
  EXPECT_TRUE(store.Lookup("49@bsf").ok());
  EXPECT_TRUE(store.Lookup("48@bsf").ok());
  EXPECT_EQ(store.Lookup("47@bsf").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Lookup("bob@bsf").ok());
  // Sweeping keeps the per-subscriber index right.
  EXPECT_EQ(store.SweepExpired(Clock::now() + std::chrono::hours(2)), 3u);
  ASSERT_TRUE(store.Insert(MakeSession("new@bsf", std::chrono::hours(1), "mallory")).ok());
  EXPECT_EQ(store.Size(), 1u);
}

TEST(SessionStoreTest, ConcurrentInsertLookupSweep) {
  InMemorySessionStore store;
  std::atomic<bool> stop{false};
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&store, w] {
      for (int i = 0; i < 2000; ++i) {
        // Half of them already expired, for the sweeper.
        const auto remaining = i % 2 == 0 ? std::chrono::hours(1) : -std::chrono::hours(1);
        const std::string btid = absl::StrCat(w, "-", i, "@bsf");
        ASSERT_TRUE(store.Insert(MakeSession(btid, remaining, btid)).ok());
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop.load()) {
      for (int i = 0; i < 2000; i += 2) {
        if (store.Lookup(absl::StrCat("0-", i, "@bsf")).ok()) found.fetch_add(1);
      }
    }
  });
  threads.emplace_back([&] {
    while (!stop.load()) store.SweepExpired();
  });
  threads[0].join();
  threads[1].join();
  stop.store(true);
  threads[2].join();
  threads[3].join();
  store.SweepExpired();
  EXPECT_EQ(store.Size(), 2000u);
  for (int i = 0; i < 2000; i += 2) {
    EXPECT_TRUE(store.Lookup(absl::StrCat("1-", i, "@bsf")).ok());
  }
}

}  // namespace
}  // namespace gbabridge::bsf
