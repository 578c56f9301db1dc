// EventBus: fan-out of daemon events (card inserted/removed, bootstrapped, session
// expired, errors) to WatchEvents streams. Each subscriber has a small bounded queue; a
// subscriber that falls behind loses events and is told so once (EVENT_TYPE_EVENTS_DROPPED)
// instead of making the daemon buffer without bound or block the publisher.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_EVENT_BUS_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_EVENT_BUS_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/bootstrap_session.h"

namespace gbabridge::daemon {

enum class DaemonEventType {
  kCardInserted,
  kCardRemoved,
  kBootstrapped,
  kSessionExpired,
  kError,
  kEventsDropped,  // synthesised per subscriber, never published
};

struct DaemonEvent {
  DaemonEventType type = DaemonEventType::kError;
  absl::Time time = absl::InfinitePast();  // UTC; Publish() fills in "now" when left unset
  std::string reader;
  // kBootstrapped only.
  std::string btid;
  absl::Time expiry;
  GbaMode mode = GbaMode::kGbaMe;
  // kError only: no secrets, no IMPI.
  absl::Status error;
};

class EventBus {
 public:
  class Subscription;

  explicit EventBus(size_t queue_limit = 64);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Never blocks. Sets `time` to now when it is absl::InfinitePast() (the default).
  void Publish(DaemonEvent event);

  std::shared_ptr<Subscription> Subscribe();

  // Wakes every Next() with nullopt, now and for later subscribers (daemon shutdown).
  void Close();

  // Live subscriptions (for tests and diagnostics).
  size_t subscriber_count();

  class Subscription {
   public:
    // The next event; waits up to `timeout`. nullopt on timeout or after Close()/Cancel().
    // After an overflow the next event is one kEventsDropped, then newer events: the
    // events queued when the queue overflowed are discarded (they are stale; the reader
    // resynchronises with GetStatus), the one that overflowed it is kept.
    std::optional<DaemonEvent> Next(absl::Duration timeout);
    // Makes Next() return nullopt (e.g. the gRPC client went away).
    void Cancel();
    bool closed() const;

   private:
    friend class EventBus;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<DaemonEvent> queue_;
    size_t limit_ = 0;
    bool dropped_ = false;
    bool closed_ = false;
  };

 private:
  const size_t queue_limit_;
  std::mutex mu_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  bool closed_ = false;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_EVENT_BUS_H_
