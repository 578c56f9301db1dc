#include "bench/load_runner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

namespace gbabridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Raw results of one or more rounds, merged before the percentiles are taken.
struct Samples {
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  double seconds = 0;
  std::string first_error;
};

void RunRound(int workers, std::chrono::milliseconds duration, const LoadCall& call, Samples& out) {
  std::vector<std::vector<double>> per_worker(static_cast<size_t>(workers));
  std::vector<uint64_t> errors(static_cast<size_t>(workers), 0);
  std::mutex error_mu;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers));
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      std::vector<double>& latencies = per_worker[static_cast<size_t>(w)];
      latencies.reserve(1 << 16);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        const Clock::time_point start = Clock::now();
        const absl::Status status = call(w);
        const Clock::time_point end = Clock::now();
        if (status.ok()) {
          latencies.push_back(std::chrono::duration<double, std::milli>(end - start).count());
        } else {
          ++errors[static_cast<size_t>(w)];
          std::lock_guard<std::mutex> lock(error_mu);
          if (out.first_error.empty()) out.first_error = status.ToString();
        }
      }
    });
  }
  const Clock::time_point start = Clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(duration);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  out.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  for (int w = 0; w < workers; ++w) {
    const std::vector<double>& l = per_worker[static_cast<size_t>(w)];
    out.latencies_ms.insert(out.latencies_ms.end(), l.begin(), l.end());
    out.errors += errors[static_cast<size_t>(w)];
  }
}

LoadStats Summarise(Samples samples) {
  std::sort(samples.latencies_ms.begin(), samples.latencies_ms.end());
  LoadStats stats;
  stats.calls = samples.latencies_ms.size();
  stats.errors = samples.errors;
  stats.seconds = samples.seconds;
  stats.per_second = samples.seconds > 0 ? static_cast<double>(stats.calls) / samples.seconds : 0;
  stats.p50_ms = PercentileMs(samples.latencies_ms, 50);
  stats.p99_ms = PercentileMs(samples.latencies_ms, 99);
  stats.first_error = std::move(samples.first_error);
  return stats;
}

}  // namespace

double PercentileMs(const std::vector<double>& sorted_ms, double percentile) {
  if (sorted_ms.empty()) return 0;
  const double rank = std::ceil(percentile / 100.0 * static_cast<double>(sorted_ms.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted_ms[std::min(index, sorted_ms.size() - 1)];
}

LoadStats RunClosedLoop(int workers, std::chrono::milliseconds duration, const LoadCall& call) {
  Samples samples;
  RunRound(workers, duration, call, samples);
  return Summarise(std::move(samples));
}

std::pair<LoadStats, LoadStats> RunInterleaved(int workers, int rounds,
                                               std::chrono::milliseconds round_duration,
                                               const LoadCall& a, const LoadCall& b) {
  Samples sa, sb;
  for (int r = 0; r < rounds; ++r) {
    RunRound(workers, round_duration, a, sa);
    RunRound(workers, round_duration, b, sb);
  }
  return {Summarise(std::move(sa)), Summarise(std::move(sb))};
}

nlohmann::json LoadStatsJson(const LoadStats& s) {
  return {{"calls", s.calls},
          {"errors", s.errors},
          {"seconds", s.seconds},
          {"per_second", s.per_second},
          {"p50_ms", s.p50_ms},
          {"p99_ms", s.p99_ms},
          {"first_error", s.first_error}};
}

}  // namespace gbabridge::bench
