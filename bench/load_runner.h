// A closed-loop load generator: `workers` threads each call a function back to back for a
// fixed time, and every call's latency is kept (no sampling), so p50 and p99 are exact.
//
// RunInterleaved runs two workloads in alternating rounds (A, B, A, B, ...), so that a
// figure and its limit see the same machine: a background burst on a shared 2-core box
// hits both rather than only one of them.
#ifndef GBABRIDGE_BENCH_LOAD_RUNNER_H_
#define GBABRIDGE_BENCH_LOAD_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace gbabridge::bench {

struct LoadStats {
  uint64_t calls = 0;   // successful calls
  uint64_t errors = 0;  // failed calls (not in the latencies)
  double seconds = 0;   // wall time of the measured rounds
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::string first_error;  // the first failure's message, for the report
};

// `call(worker)` is invoked from worker threads 0..workers-1; it must be thread-safe
// across workers (each worker may keep its own client, indexed by `worker`).
using LoadCall = std::function<absl::Status(int worker)>;

LoadStats RunClosedLoop(int workers, std::chrono::milliseconds duration, const LoadCall& call);

// `rounds` rounds of each, alternating, each round `round_duration` long.
std::pair<LoadStats, LoadStats> RunInterleaved(int workers, int rounds,
                                               std::chrono::milliseconds round_duration,
                                               const LoadCall& a, const LoadCall& b);

// The stats as JSON (calls, errors, seconds, per_second, p50_ms, p99_ms, first_error), for
// reports and for load generators that run in their own process.
nlohmann::json LoadStatsJson(const LoadStats& s);

// Percentile (0..100) of sorted latencies, nearest rank.
double PercentileMs(const std::vector<double>& sorted_ms, double percentile);

}  // namespace gbabridge::bench

#endif  // GBABRIDGE_BENCH_LOAD_RUNNER_H_
