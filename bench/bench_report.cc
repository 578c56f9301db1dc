// bench_report: turns Google Benchmark JSON output into the `make bench` table. Each row puts
// a figure next to the limit measured by the same binary in the same run (issue 5: absolute
// times on shared machines mean little), with the ratio and the target. Rows whose
// benchmarks are not in the input are printed as "not measured", never left out.
//
//   bench_report --out build/bench/results.json crypto.json [more.json ...]
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
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
    {"Milenage f1..f5/s, one core (vs the same AES-128 blocks, reused key schedule)",
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
  CLI11_PARSE(app, argc, argv);

  std::map<std::string, json> runs;  // by benchmark name, iteration runs only
  for (const std::string& path : inputs) {
    std::ifstream in(path);
    json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains("benchmarks")) {
      std::cerr << "bench_report: " << path << " is not Google Benchmark JSON output\n";
      return 1;
    }
    for (const json& run : doc["benchmarks"]) {
      if (run.value("run_type", "iteration") != "iteration") continue;
      runs.emplace(run.value("name", ""), run);
    }
  }

  json rows = json::array();
  std::printf("%-80s %14s %14s %7s %7s  %s\n", "figure", "value/s", "limit/s", "ratio", "target",
              "verdict");
  for (const Row& row : kRows) {
    const std::optional<double> figure = RateOf(runs, row.figure);
    const std::optional<double> limit = RateOf(runs, row.limit);
    json entry = {{"figure", row.title}, {"target_ratio", row.target}};
    if (!figure || !limit) {
      std::printf("%-80s %14s %14s %7s %7.2f  not measured\n", row.title, "-", "-", "-",
                  row.target);
      entry["verdict"] = "not measured";
    } else {
      const double ratio = *figure / *limit;
      const bool met = ratio >= row.target;
      std::printf("%-80s %14.0f %14.0f %7.2f %7.2f  %s\n", row.title, *figure, *limit, ratio,
                  row.target, met ? "met" : "MISSED");
      entry["value_per_second"] = *figure;
      entry["limit_per_second"] = *limit;
      entry["ratio"] = ratio;
      entry["verdict"] = met ? "met" : "missed";
    }
    rows.push_back(entry);
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
