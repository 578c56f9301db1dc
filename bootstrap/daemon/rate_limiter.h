// Per-client token buckets for gbabridged (oneM2M SER-001: protect availability against
// denial of service). One misbehaving application must not be able to drive the card or
// the BSF into a loop, nor starve the other applications.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_RATE_LIMITER_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace gbabridge::daemon {

// `requests` requests per `per`, with bursts of up to `requests`.
struct RateLimit {
  // Bounds keep the bucket arithmetic (requests * per in nanoseconds) inside int64.
  static constexpr int64_t kMaxRequests = 1'000'000;
  static constexpr std::chrono::seconds kMaxPer{3600};

  int64_t requests = 0;
  std::chrono::nanoseconds per{0};

  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

class RateLimiter {
 public:
  // Monotonic on purpose: a wall-clock step (NTP, manual) must neither refill nor freeze
  // the buckets (docs/architecture.md, "Time").
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  RateLimiter();  // std::chrono::steady_clock
  explicit RateLimiter(Clock clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `client`'s bucket. Buckets start full. A changed `limit` for a
  // client (policy reload) starts a fresh, full bucket. Returns RESOURCE_EXHAUSTED with
  // reason RATE_LIMITED, and how long to wait, when the bucket is empty. A `limit` outside
  // the RateLimit bounds is a programming error reported as INVALID_ARGUMENT. Thread-safe.
  absl::Status Acquire(std::string_view client, const RateLimit& limit);

  // Forgets every bucket (e.g. after a policy reload removed clients).
  void Reset();

 private:
  // Integer token bucket: `credit` counts in units of 1/`requests` ns-tokens so that
  // refill is exact (one token = `per` ns of credit; refill = `requests` units per ns).
  // Floating point would make "N requests per second" occasionally allow N-1.
  struct Bucket {
    RateLimit limit;
    int64_t credit = 0;
    std::chrono::steady_clock::time_point last;
  };

  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;  // guarded by mutex_
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_RATE_LIMITER_H_
