// EventBus: fan-out, bounded queues with one EVENTS_DROPPED notice, Close() and Cancel().
#include "bootstrap/daemon/event_bus.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

DaemonEvent Bootstrapped(std::string btid) {
  DaemonEvent event;
  event.type = DaemonEventType::kBootstrapped;
  event.btid = std::move(btid);
  return event;
}

TEST(EventBusTest, EveryReaderGetsEveryEventInOrder) {
  EventBus bus;
  auto a = bus.Subscribe();
  auto b = bus.Subscribe();
  bus.Publish(Bootstrapped("one"));
  bus.Publish(Bootstrapped("two"));
  for (auto* sub : {a.get(), b.get()}) {
    std::optional<DaemonEvent> first = sub->Next(absl::Seconds(1));
    std::optional<DaemonEvent> second = sub->Next(absl::Seconds(1));
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(first->btid, "one");
    EXPECT_EQ(second->btid, "two");
    EXPECT_FALSE(sub->Next(absl::Milliseconds(10)).has_value()) << "nothing more: timeout";
  }
}

TEST(EventBusTest, PublishFillsInTheTimeOnlyWhenUnset) {
  EventBus bus;
  auto sub = bus.Subscribe();
  const absl::Time before = absl::Now();
  bus.Publish(Bootstrapped("now"));
  DaemonEvent dated = Bootstrapped("dated");
  dated.time = absl::FromUnixSeconds(1'000'000'000);
  bus.Publish(dated);
  std::optional<DaemonEvent> now = sub->Next(absl::Seconds(1));
  std::optional<DaemonEvent> kept = sub->Next(absl::Seconds(1));
  ASSERT_TRUE(now.has_value() && kept.has_value());
  EXPECT_GE(now->time, before);
  EXPECT_LE(now->time, absl::Now());
  EXPECT_EQ(kept->time, absl::FromUnixSeconds(1'000'000'000));
}

TEST(EventBusTest, LaterSubscribersSeeOnlyLaterEvents) {
  EventBus bus;
  bus.Publish(Bootstrapped("before"));
  auto sub = bus.Subscribe();
  EXPECT_FALSE(sub->Next(absl::Milliseconds(10)).has_value());
  bus.Publish(Bootstrapped("after"));
  std::optional<DaemonEvent> event = sub->Next(absl::Seconds(1));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->btid, "after");
}

TEST(EventBusTest, ASlowReaderGetsOneDroppedNoticeThenNewerEvents) {
  EventBus bus(/*queue_limit=*/3);
  auto slow = bus.Subscribe();
  auto fast = bus.Subscribe();
  for (int i = 0; i < 10; ++i) {
    bus.Publish(Bootstrapped(std::to_string(i)));
    // The fast reader keeps up and loses nothing.
    std::optional<DaemonEvent> event = fast->Next(absl::Seconds(1));
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->btid, std::to_string(i));
  }
  std::optional<DaemonEvent> notice = slow->Next(absl::Seconds(1));
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->type, DaemonEventType::kEventsDropped);
  EXPECT_NE(notice->time, absl::InfinitePast());
  // Then only events published after the last overflow, in order, and no second notice.
  std::vector<std::string> rest;
  while (std::optional<DaemonEvent> e = slow->Next(absl::Milliseconds(10))) {
    EXPECT_EQ(e->type, DaemonEventType::kBootstrapped);
    rest.push_back(e->btid);
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"9"}));
  bus.Publish(Bootstrapped("10"));
  std::optional<DaemonEvent> next = slow->Next(absl::Seconds(1));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->btid, "10");
}

TEST(EventBusTest, NextWakesUpForAnEventPublishedWhileWaiting) {
  EventBus bus;
  auto sub = bus.Subscribe();
  std::thread publisher([&] {
    absl::SleepFor(absl::Milliseconds(30));
    bus.Publish(Bootstrapped("late"));
  });
  std::optional<DaemonEvent> event = sub->Next(absl::Seconds(10));
  publisher.join();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->btid, "late");
}

TEST(EventBusTest, CloseWakesWaitersAndLaterSubscribers) {
  EventBus bus;
  auto sub = bus.Subscribe();
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_FALSE(sub->Next(absl::InfiniteDuration()).has_value());
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(returned);
  bus.Close();
  waiter.join();
  EXPECT_TRUE(sub->closed());
  bus.Publish(Bootstrapped("ignored"));
  EXPECT_FALSE(sub->Next(absl::Milliseconds(10)).has_value());
  auto late = bus.Subscribe();
  EXPECT_TRUE(late->closed());
  EXPECT_FALSE(late->Next(absl::InfiniteDuration()).has_value());
}

TEST(EventBusTest, CancelEndsOneSubscriptionOnly) {
  EventBus bus;
  auto cancelled = bus.Subscribe();
  auto other = bus.Subscribe();
  cancelled->Cancel();
  bus.Publish(Bootstrapped("x"));
  EXPECT_TRUE(cancelled->closed());
  EXPECT_FALSE(cancelled->Next(absl::Seconds(1)).has_value());
  EXPECT_FALSE(other->closed());
  EXPECT_TRUE(other->Next(absl::Seconds(1)).has_value());
}

TEST(EventBusTest, DroppedSubscriptionsAreForgotten) {
  EventBus bus;
  auto kept = bus.Subscribe();
  bus.Subscribe().reset();
  bus.Publish(Bootstrapped("x"));
  EXPECT_EQ(bus.subscriber_count(), 1u);
}

TEST(EventBusTest, ConcurrentPublishersNeverBlockOnAReaderThatDoesNotRead) {
  EventBus bus(4);
  auto idle = bus.Subscribe();
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t) {
    publishers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) bus.Publish(Bootstrapped("p"));
    });
  }
  for (std::thread& t : publishers) t.join();
  std::optional<DaemonEvent> notice = idle->Next(absl::Seconds(1));
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->type, DaemonEventType::kEventsDropped);
  int queued = 0;
  while (idle->Next(absl::Milliseconds(1)).has_value()) ++queued;
  EXPECT_LE(queued, 4);
}

}  // namespace
}  // namespace gbabridge::daemon
