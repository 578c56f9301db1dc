// bench_report: the `make bench` table. Each row puts a figure next to the limit measured by
// the same binary in the same run (absolute times on shared machines mean little), with the
// ratio and the target. The crypto rows come from Google Benchmark JSON (crypto_bench), the
// service rows from service_bench's JSON. Rows whose inputs are missing are printed as "not
// measured", never left out. The table is Markdown, so that it can go into the README.
//
//   bench_report --out build/bench/results.json [--services services.json] crypto.json
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace {

using nlohmann::json;

// One row: `figure` and `limit` are benchmark names; rates are operations per second.
struct Row {
  const char* title;
  const char* figure;
  const char* limit;
  double target;  // minimum figure/limit rate ratio
};

constexpr Row kRows[] = {
    {"Ks_NAF derivations/s, one core (vs bare HMAC-SHA-256, reused EVP_MAC)", "BM_KsNafDerivation",
     "BM_HmacSha256Bare", 0.8},
    {"Milenage f1..f5/s, one vector per call, one core (vs the same 5 AES-128 blocks, reused "
     "key schedule)",
     "BM_MilenageF1F2345", "BM_Aes128Bare", 0.7},
    {"Digest AKA responses/s (vs the same MD5 computations)", "BM_DigestResponse", "BM_Md5Bare",
     0.7},
};

// Operations per second of benchmark `name`: items_per_second when the benchmark sets it,
// else one operation per iteration.
std::optional<double> RateOf(const std::map<std::string, json>& runs, const std::string& name) {
  auto it = runs.find(name);
  if (it == runs.end()) return std::nullopt;
  const json& run = it->second;
  if (run.contains("items_per_second")) return run["items_per_second"].get<double>();
  double time = run.value("real_time", 0.0);
  const std::string unit = run.value("time_unit", "ns");
  const double scale = unit == "ns" ? 1e-9 : unit == "us" ? 1e-6 : unit == "ms" ? 1e-3 : 1.0;
  if (time <= 0) return std::nullopt;
  return 1.0 / (time * scale);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_report: the `make bench` table from Google Benchmark JSON files"};
  std::vector<std::string> inputs;
  std::string out_path;
  app.add_option("inputs", inputs, "benchmark JSON files (--benchmark_out)")->required();
  app.add_option("--out", out_path, "write the rows as JSON here");
  std::string services_path;
  app.add_option("--services", services_path, "service_bench's JSON output");
  CLI11_PARSE(app, argc, argv);

  std::map<std::string, json> runs;  // by benchmark name, iteration runs only
  for (const std::string& path : inputs) {
    std::ifstream in(path);
    json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains("benchmarks")) {
      std::cerr << "bench_report: " << path << " is not Google Benchmark JSON output\n";
      return 1;
    }
    // With --benchmark_repetitions the median of the repetitions stands for the benchmark
    // (robust against a noisy neighbour on a shared machine); otherwise the one run.
    for (const json& run : doc["benchmarks"]) {
      const std::string type = run.value("run_type", "iteration");
      if (type == "aggregate" && run.value("aggregate_name", "") == "median") {
        runs[run.value("run_name", "")] = run;
      } else if (type == "iteration") {
        runs.emplace(run.value("run_name", run.value("name", "")), run);
      }
    }
  }

  json rows = json::array();
  for (const Row& row : kRows) {
    const std::optional<double> figure = RateOf(runs, row.figure);
    const std::optional<double> limit = RateOf(runs, row.limit);
    json entry = {{"figure", row.title}, {"target", absl::StrFormat(">= %.1f", row.target)},
                  {"value", "-"},        {"limit", "-"},
                  {"ratio", "-"},        {"verdict", "not measured"}};
    if (figure && limit) {
      const double ratio = *figure / *limit;
      entry["value"] = absl::StrFormat("%.0f/s", *figure);
      entry["limit"] = absl::StrFormat("%.0f/s", *limit);
      entry["ratio"] = absl::StrFormat("%.2f", ratio);
      entry["verdict"] = ratio >= row.target ? "met" : "missed";
      entry["numbers"] = {{"value_per_second", *figure},
                          {"limit_per_second", *limit},
                          {"ratio", ratio},
                          {"target_ratio", row.target}};
    }
    rows.push_back(entry);
  }
  // What the KDF spends on purpose: one EVP_MAC_init per derivation to wipe its context.
  if (const std::optional<double> wipe = RateOf(runs, "BM_HmacContextWipe")) {
    const std::optional<double> kdf = RateOf(runs, "BM_KsNafDerivation");
    const std::optional<double> bare = RateOf(runs, "BM_HmacSha256Bare");
    if (kdf && bare) {
      const double without_wipe = 1.0 / (1.0 / *kdf - 1.0 / *wipe);
      rows[0]["numbers"]["context_wipe_per_second"] = *wipe;
      rows[0]["numbers"]["ratio_without_wipe"] = without_wipe / *bare;
      rows[0]["value"] = absl::StrFormat("%.0f/s (%.2f of the limit without the context wipe)",
                                         *kdf, without_wipe / *bare);
    }
  }
  if (!services_path.empty()) {
    std::ifstream in(services_path);
    json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains("rows")) {
      std::cerr << "bench_report: " << services_path << " is not service_bench output\n";
      return 1;
    }
    for (const json& row : doc["rows"]) rows.push_back(row);
  }

  std::printf("| figure | value | limit (same run) | ratio | target | verdict |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const json& row : rows) {
    std::printf("| %s | %s | %s | %s | %s | %s |\n", row.value("figure", "").c_str(),
                row.value("value", "-").c_str(), row.value("limit", "-").c_str(),
                row.value("ratio", "-").c_str(), row.value("target", "-").c_str(),
                row.value("verdict", "-").c_str());
  }
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    out << json{{"rows", rows}}.dump(2) << "\n";
    if (!out) {
      std::cerr << "bench_report: cannot write " << out_path << "\n";
      return 1;
    }
  }
  return 0;
}
