#include "bootstrap/daemon/event_bus.h"

#include <algorithm>
#include <utility>

namespace gbabridge::daemon {

EventBus::EventBus(size_t queue_limit) : queue_limit_(std::max<size_t>(queue_limit, 1)) {}

EventBus::~EventBus() { Close(); }

void EventBus::Publish(DaemonEvent event) {
  if (event.time == absl::InfinitePast()) event.time = absl::Now();
  std::vector<std::shared_ptr<Subscription>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    // Prune subscriptions whose stream has ended (the weak_ptr is all that is left).
    std::erase_if(subscribers_, [&live](const std::weak_ptr<Subscription>& weak) {
      std::shared_ptr<Subscription> sub = weak.lock();
      if (sub == nullptr) return true;
      live.push_back(std::move(sub));
      return false;
    });
  }
  // Each subscriber's own lock only: a slow reader never holds up the publisher or the
  // other readers.
  for (const std::shared_ptr<Subscription>& sub : live) {
    {
      std::lock_guard<std::mutex> lock(sub->mu_);
      if (sub->closed_) continue;
      if (sub->queue_.size() >= sub->limit_) {
        // Overflow: the queued events are stale by now; the reader is told once that it
        // lost events (EVENT_TYPE_EVENTS_DROPPED) and should call GetStatus.
        sub->queue_.clear();
        sub->dropped_ = true;
      }
      sub->queue_.push_back(event);
    }
    sub->cv_.notify_all();
  }
}

std::shared_ptr<EventBus::Subscription> EventBus::Subscribe() {
  auto sub = std::make_shared<Subscription>();
  sub->limit_ = queue_limit_;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    sub->closed_ = true;
    return sub;
  }
  subscribers_.push_back(sub);
  return sub;
}

void EventBus::Close() {
  std::vector<std::weak_ptr<Subscription>> subscribers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    subscribers.swap(subscribers_);
  }
  for (const std::weak_ptr<Subscription>& weak : subscribers) {
    if (std::shared_ptr<Subscription> sub = weak.lock()) sub->Cancel();
  }
}

size_t EventBus::subscriber_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(subscribers_.begin(), subscribers_.end(),
                    [](const std::weak_ptr<Subscription>& weak) { return !weak.expired(); }));
}

std::optional<DaemonEvent> EventBus::Subscription::Next(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  // Clamped so that an infinite timeout cannot overflow the steady clock's arithmetic.
  const absl::Duration wait = std::clamp(timeout, absl::ZeroDuration(), absl::Hours(24));
  cv_.wait_for(lock, absl::ToChronoNanoseconds(wait),
               [this] { return closed_ || dropped_ || !queue_.empty(); });
  if (closed_) return std::nullopt;
  if (dropped_) {
    dropped_ = false;
    DaemonEvent dropped;
    dropped.type = DaemonEventType::kEventsDropped;
    dropped.time = absl::Now();
    return dropped;
  }
  if (queue_.empty()) return std::nullopt;
  DaemonEvent event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void EventBus::Subscription::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  cv_.notify_all();
}

bool EventBus::Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace gbabridge::daemon
