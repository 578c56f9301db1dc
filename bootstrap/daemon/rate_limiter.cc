#include "bootstrap/daemon/rate_limiter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::daemon {
namespace {

std::chrono::steady_clock::time_point SteadyNow() { return std::chrono::steady_clock::now(); }

bool InBounds(const RateLimit& limit) {
  return limit.requests >= 1 && limit.requests <= RateLimit::kMaxRequests &&
         limit.per > std::chrono::nanoseconds::zero() && limit.per <= RateLimit::kMaxPer;
}

}  // namespace

RateLimiter::RateLimiter() : RateLimiter(SteadyNow) {}

RateLimiter::RateLimiter(Clock clock) : clock_(std::move(clock)) {}

absl::Status RateLimiter::Acquire(std::string_view client, const RateLimit& limit) {
  if (!InBounds(limit)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rate limit for client '", std::string(client), "' is out of bounds (requests 1..",
        RateLimit::kMaxRequests, ", period up to ", RateLimit::kMaxPer.count(), " s)"));
  }
  const std::chrono::steady_clock::time_point now = clock_();
  const int64_t per_ns = limit.per.count();
  const int64_t capacity = limit.requests * per_ns;  // <= 1e6 * 3.6e12 < 2^63

  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end() || it->second.limit != limit) {
    Bucket fresh{limit, capacity, now};
    if (it == buckets_.end()) {
      it = buckets_.emplace(std::string(client), fresh).first;
    } else {
      it->second = fresh;
    }
  }
  Bucket& bucket = it->second;
  // Clamp before multiplying: a bucket idle for longer than one period is simply full, and
  // the clamp keeps elapsed * requests <= capacity (no overflow). A clock that goes
  // backwards (only possible with a faulty injected clock) adds nothing.
  const int64_t elapsed = std::clamp<int64_t>((now - bucket.last).count(), 0, per_ns);
  bucket.credit = std::min(capacity, bucket.credit + elapsed * limit.requests);
  bucket.last = now;
  if (bucket.credit >= per_ns) {
    bucket.credit -= per_ns;
    return absl::OkStatus();
  }
  // Time until one whole token has accumulated, rounded up.
  const int64_t wait_ns = (per_ns - bucket.credit + limit.requests - 1) / limit.requests;
  return wire::WireError(
      v1::RATE_LIMITED,
      absl::StrCat("client '", std::string(client), "' exceeded its rate limit of ", limit.requests,
                   " requests per ", absl::FormatDuration(absl::FromChrono(limit.per)),
                   "; retry in ", absl::FormatDuration(absl::Nanoseconds(wait_ns)),
                   " (oneM2M SER-001)"));
}

void RateLimiter::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  buckets_.clear();
}

}  // namespace gbabridge::daemon
