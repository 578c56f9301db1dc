// service_bench: the service rows of `make bench`. Real processes on this machine, each
// figure beside the limit of the same server setup, transport and client, measured in the
// same run (interleaved rounds, so that both see the same machine):
//
//   device  soft-usim through pcscd + vpcd and bsf-sim on loopback: full bootstraps by the
//           GBA client, split into card time and Ub time.
//   modem   soft-usim --modem (a modem on a pty, paced as a 115200-baud line) and bsf-sim:
//           full GBA_U bootstraps over the AT transport vs the time their bytes take on
//           the wire at that baud (counted by the link, both directions, 10 bits a byte).
//   daemon  gbabridged-bench (gbabridged + bench.v1.Echo on the same server) on its Unix
//           socket: cached GetNafKey from 16 clients vs Echo; APDUs (soft-usim --apdu-log)
//           and HMACs (the daemon's KDF counter) per cached call; idle RSS.
//   bsf     bsf-sim-bench with generated subscribers: complete Ub bootstraps by simulated
//           UEs (401 + 200, SQN committed) vs GET /healthz on the same HTTP server; Zn
//           GetNafKey vs Echo on the same Zn server; RSS with the session table filled.
//
//   service_bench --out services.json [--smoke] [--dir DIR]
//
// --smoke runs every phase with a few calls and no timing meaning, for ctest. Needs the
// pcscd lock (one pcscd per machine; see tests/integration/pcsc_sandbox.h).
#include <grpcpp/grpcpp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/load_runner.h"
#include "bench/proc_status.h"
#include "bench/v1/echo.grpc.pb.h"
#include "bootstrap/client/gba_client.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/gbabridged_process.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/pcsc_sandbox.h"
#include "tests/integration/simulated_ue.h"
#include "uicc/modem/modem_link.h"
#include "uicc/modem/modem_transport.h"
#include "uicc/pcsc_transport.h"
#include "uicc/usim.h"

namespace gbabridge::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

constexpr char kNafFqdn[] = "mef.example.com";
constexpr char kZnNaf[] = "naf.bench.example";
constexpr char kZnToken[] = "bench-token";
const std::string kUaTls = std::string("\x01\x00\x01\x00\xAE", 5);  // TS 33.220 H.3

struct Options {
  bool smoke = false;
  std::string out;
  std::string dir;
  int rounds = 3;
  int round_ms = 2000;
  int device_bootstraps = 100;
  int modem_bootstraps = 20;
  int daemon_clients = 16;
  int ue_workers = 32;
  int subscribers_per_worker = 0;  // 0: enough for 4 x workers x this >= 1,000,000 sessions
  int zn_clients = 16;
};

// One row of the table. The text fields are what bench_report prints; `numbers` keeps the
// raw figures for scripts.
struct Row {
  std::string figure;
  std::string value;
  std::string limit;
  std::string ratio;
  std::string target;
  std::string verdict;  // "met", "missed", "report" (no target), "failed" (not measured)
  json numbers = json::object();
};

json ToJson(const Row& r) {
  return {{"figure", r.figure}, {"value", r.value},     {"limit", r.limit},    {"ratio", r.ratio},
          {"target", r.target}, {"verdict", r.verdict}, {"numbers", r.numbers}};
}

Row Failed(std::string figure, std::string target, const absl::Status& why) {
  return {std::move(figure),          "-", "-", "-", std::move(target), "failed",
          {{"error", why.ToString()}}};
}

std::string Verdict(bool met) { return met ? "met" : "missed"; }

std::string Rate(const LoadStats& s, const char* unit) {
  return absl::StrFormat("%.0f %s, p50 %.3f ms, p99 %.3f ms", s.per_second, unit, s.p50_ms,
                         s.p99_ms);
}

// A figure measured beside the limit of the same setup: the rates, their ratio, and the raw
// statistics. The caller adds the verdict (and any further ratio).
struct VersusLimit {
  Row row;
  double ratio = 0;
};
VersusLimit MeasuredAgainst(std::string figure, const LoadStats& value, const char* unit,
                            const std::string& limit_name, const LoadStats& limit,
                            const char* limit_unit, std::string target) {
  VersusLimit out;
  out.ratio = limit.per_second > 0 ? value.per_second / limit.per_second : 0;
  out.row.figure = std::move(figure);
  out.row.value = Rate(value, unit);
  out.row.limit = absl::StrCat(limit_name, " ", Rate(limit, limit_unit));
  out.row.ratio = absl::StrFormat("%.2f", out.ratio);
  out.row.target = std::move(target);
  out.row.numbers = {
      {"figure", LoadStatsJson(value)}, {"limit", LoadStatsJson(limit)}, {"ratio", out.ratio}};
  return out;
}

// A channel of its own (its own connection): gRPC would otherwise share one subchannel
// between channels with the same target and arguments.
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

absl::Status Echo(v1::Echo::Stub& stub) {
  v1::EchoRequest request;
  request.set_payload(std::string(24, 'e'));  // about a GetNafKey request's size
  v1::EchoResponse response;
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  return FromGrpc(stub.Echo(&context, request, &response));
}

absl::StatusOr<uint64_t> KdfInvocations(v1::Echo::Stub& stub) {
  v1::CountersResponse response;
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  grpc::Status s = stub.Counters(&context, v1::CountersRequest(), &response);
  if (!s.ok()) return FromGrpc(s);
  return response.kdf_invocations();
}

// ---- device: full bootstraps through pcscd + vpcd -------------------------------------

std::vector<Row> DevicePhase(const Options& o) {
  const std::string figure =
      "Full bootstrap, device side (soft-usim via pcscd + vpcd, bsf-sim on loopback): "
      "median and p99, card / Ub";
  const std::string target = "median <= 15 ms";
  const fs::path dir = fs::path(o.dir) / "device";
  fs::create_directories(dir);
  absl::StatusOr<std::unique_ptr<testing::PcscSandbox>> sandbox = testing::PcscSandbox::Start();
  if (!sandbox.ok()) return {Failed(figure, target, sandbox.status())};
  testing::BsfSimOptions bsf_options;
  bsf_options.binary = GBABRIDGE_BSF_SIM_BENCH_BIN;
  bsf_options.gba_u_subscriber = false;
  bsf_options.extra_serve_args = {"--log-level", "warn"};
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir, bsf_options);
  if (!bsf.ok()) return {Failed(figure, target, bsf.status())};
  absl::StatusOr<testing::ChildProcess> card = (*sandbox)->StartSoftUsim(
      testing::WriteTestProfile(dir, /*gba_u=*/false), dir / "card-state.json");
  if (!card.ok()) return {Failed(figure, target, card.status())};
  if (absl::Status s = (*sandbox)->WaitForCard(true); !s.ok()) return {Failed(figure, target, s)};
  absl::StatusOr<std::unique_ptr<PcscTransport>> channel =
      PcscTransport::Connect({.reader = testing::PcscSandbox::kReaderName});
  if (!channel.ok()) return {Failed(figure, target, channel.status())};

  Usim usim(**channel);
  GbaClient client(usim, {.bsf_url = (*bsf)->ub_url(),
                          .ca_file = "",
                          .connect_timeout = absl::Seconds(2),
                          .total_timeout = absl::Seconds(10)});
  if (absl::StatusOr<BootstrapSession> warm = client.Bootstrap(); !warm.ok()) {
    return {Failed(figure, target, warm.status())};
  }
  std::vector<double> total, card_ms, ub_ms;
  int card_commands = 0;
  const int n = o.smoke ? 2 : o.device_bootstraps;
  for (int i = 0; i < n; ++i) {
    BootstrapStats stats;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<BootstrapSession> session = client.Bootstrap(&stats);
    const auto end = std::chrono::steady_clock::now();
    if (!session.ok()) return {Failed(figure, target, session.status())};
    total.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    card_ms.push_back(absl::ToDoubleMilliseconds(stats.card_time));
    ub_ms.push_back(absl::ToDoubleMilliseconds(stats.ub_time));
    card_commands += stats.card_authentications;
  }
  channel->reset();
  for (auto* v : {&total, &card_ms, &ub_ms}) std::sort(v->begin(), v->end());
  const double median = PercentileMs(total, 50);
  Row row;
  row.figure = figure;
  row.value =
      absl::StrFormat("median %.2f ms (card %.2f, Ub %.2f); p99 %.2f ms (card %.2f, Ub %.2f)",
                      median, PercentileMs(card_ms, 50), PercentileMs(ub_ms, 50),
                      PercentileMs(total, 99), PercentileMs(card_ms, 99), PercentileMs(ub_ms, 99));
  row.limit = "(report)";
  row.ratio = "-";
  row.target = target;
  row.verdict = Verdict(median <= 15.0);
  row.numbers = {{"bootstraps", n},
                 {"authenticate_per_bootstrap", n > 0 ? double(card_commands) / n : 0},
                 {"median_ms", median},
                 {"p99_ms", PercentileMs(total, 99)},
                 {"card_median_ms", PercentileMs(card_ms, 50)},
                 {"card_p99_ms", PercentileMs(card_ms, 99)},
                 {"ub_median_ms", PercentileMs(ub_ms, 50)},
                 {"ub_p99_ms", PercentileMs(ub_ms, 99)}};
  return {row};
}

// ---- modem: the bootstrap over the AT transport at 115200 baud ------------------------

std::vector<Row> ModemPhase(const Options& o) {
  constexpr int kBaud = 115200;
  const std::string figure =
      "Full GBA_U bootstrap over the modem transport (soft-usim --modem paced at 115200 baud, "
      "bsf-sim on loopback): median";
  const std::string target = "<= 1.3 x wire time";
  const fs::path dir = fs::path(o.dir) / "modem";
  fs::create_directories(dir);
  testing::BsfSimOptions bsf_options;
  bsf_options.binary = GBABRIDGE_BSF_SIM_BENCH_BIN;
  bsf_options.gba_u_subscriber = true;
  bsf_options.extra_serve_args = {"--log-level", "warn"};
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir, bsf_options);
  if (!bsf.ok()) return {Failed(figure, target, bsf.status())};
  const std::string port = (dir / "ttyGBA0").string();
  absl::StatusOr<testing::ChildProcess> modem = testing::ChildProcess::Start(
      {GBABRIDGE_SOFT_USIM_BIN, "--profile",
       testing::WriteTestProfile(dir, /*gba_u=*/true).string(), "--state",
       (dir / "card-state.json").string(), "--modem", port, "--modem-baud", std::to_string(kBaud)},
      dir / "soft-usim.log");
  if (!modem.ok()) return {Failed(figure, target, modem.status())};
  for (int i = 0; i < 300 && !fs::exists(port); ++i) std::this_thread::sleep_for(milliseconds(10));
  auto link = std::make_shared<modem::ModemLink>(
      modem::ModemOptions{.port = port, .baud = kBaud, .lock_dir = dir.string()});
  absl::StatusOr<std::unique_ptr<modem::ModemTransport>> transport =
      modem::ModemTransport::Connect(link);
  if (!transport.ok()) return {Failed(figure, target, transport.status())};
  Usim usim(**transport);
  GbaClient client(usim, {.bsf_url = (*bsf)->ub_url(),
                          .ca_file = "",
                          .connect_timeout = absl::Seconds(2),
                          .total_timeout = absl::Seconds(20)});
  if (absl::StatusOr<BootstrapSession> warm = client.Bootstrap(); !warm.ok()) {
    return {Failed(figure, target, warm.status())};
  }
  std::vector<double> total, wire;
  uint64_t bytes = 0;
  const int n = o.smoke ? 2 : o.modem_bootstraps;
  for (int i = 0; i < n; ++i) {
    const uint64_t before = link->bytes_written() + link->bytes_read();
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<BootstrapSession> session = client.Bootstrap();
    const auto end = std::chrono::steady_clock::now();
    if (!session.ok()) return {Failed(figure, target, session.status())};
    const uint64_t moved = link->bytes_written() + link->bytes_read() - before;
    bytes += moved;
    total.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    // 8N1: a start bit, eight data bits and a stop bit per byte.
    wire.push_back(double(moved) * 10.0 * 1000.0 / kBaud);
  }
  transport->reset();
  std::sort(total.begin(), total.end());
  std::sort(wire.begin(), wire.end());
  const double median = PercentileMs(total, 50);
  const double wire_median = PercentileMs(wire, 50);
  const double ratio = wire_median > 0 ? median / wire_median : 0;
  Row row;
  row.figure = figure;
  row.value = absl::StrFormat("median %.1f ms; p99 %.1f ms", median, PercentileMs(total, 99));
  row.limit = absl::StrFormat("wire time %.1f ms (%.0f bytes at %d baud)", wire_median,
                              n > 0 ? double(bytes) / n : 0.0, kBaud);
  row.ratio = absl::StrFormat("%.2f", ratio);
  row.target = target;
  row.verdict = Verdict(ratio > 0 && ratio <= 1.3);
  row.numbers = {{"bootstraps", n},
                 {"median_ms", median},
                 {"p99_ms", PercentileMs(total, 99)},
                 {"wire_median_ms", wire_median},
                 {"bytes_per_bootstrap", n > 0 ? double(bytes) / n : 0.0},
                 {"baud", kBaud},
                 {"ratio", ratio}};
  return {row};
}

// ---- daemon: cached GetNafKey over the Unix socket ------------------------------------

std::vector<Row> DaemonPhase(const Options& o) {
  const std::string key_figure =
      "GetNafKey, key cached, Unix socket, 16 concurrent clients: calls/s, p50, p99";
  const std::string key_target = ">= 0.8 of echo calls/s; p99 <= 2x echo p99";
  const std::string zero_figure = "APDUs and HMACs per cached GetNafKey";
  const std::string rss_figure = "gbabridged idle RSS (after start and one bootstrap)";
  auto fail_all = [&](const absl::Status& s) {
    return std::vector<Row>{Failed(key_figure, key_target, s), Failed(zero_figure, "exactly 0", s),
                            Failed(rss_figure, "<= 20 MB", s)};
  };
  const fs::path dir = fs::path(o.dir) / "daemon";
  fs::create_directories(dir);
  absl::StatusOr<std::unique_ptr<testing::PcscSandbox>> sandbox = testing::PcscSandbox::Start();
  if (!sandbox.ok()) return fail_all(sandbox.status());
  testing::BsfSimOptions bsf_options;
  bsf_options.binary = GBABRIDGE_BSF_SIM_BENCH_BIN;
  bsf_options.gba_u_subscriber = false;
  bsf_options.extra_serve_args = {"--log-level", "warn"};
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir, bsf_options);
  if (!bsf.ok()) return fail_all(bsf.status());
  const fs::path apdu_log = dir / "apdu.log";
  absl::StatusOr<testing::ChildProcess> card =
      (*sandbox)->StartSoftUsim(testing::WriteTestProfile(dir, /*gba_u=*/false),
                                dir / "card-state.json", {"--apdu-log", apdu_log.string()});
  if (!card.ok()) return fail_all(card.status());
  if (absl::Status s = (*sandbox)->WaitForCard(true); !s.ok()) return fail_all(s);
  testing::GbabridgedOptions daemon_options;
  daemon_options.binary = GBABRIDGE_DAEMON_BENCH_BIN;
  daemon_options.bsf_url = (*bsf)->ub_url();
  daemon_options.log_level = "info";  // the shipped default: one audit line per call
  absl::StatusOr<std::unique_ptr<testing::GbabridgedProcess>> daemon =
      testing::GbabridgedProcess::Start(dir, daemon_options);
  if (!daemon.ok()) return fail_all(daemon.status());

  std::vector<std::unique_ptr<gbabridge::v1::GbaBridge::Stub>> key_stubs;
  std::vector<std::unique_ptr<v1::Echo::Stub>> echo_stubs;
  for (int w = 0; w < o.daemon_clients; ++w) {
    std::shared_ptr<grpc::Channel> channel = OwnChannel((*daemon)->target());
    key_stubs.push_back(gbabridge::v1::GbaBridge::NewStub(channel));
    echo_stubs.push_back(v1::Echo::NewStub(channel));
  }
  auto get_key = [&](int w) -> absl::Status {
    gbabridge::v1::GetNafKeyRequest request;
    request.set_naf_fqdn(kNafFqdn);
    request.set_ua_security_protocol_id(kUaTls);
    gbabridge::v1::GetNafKeyResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    return FromGrpc(key_stubs[static_cast<size_t>(w)]->GetNafKey(&context, request, &response));
  };
  auto echo = [&](int w) { return Echo(*echo_stubs[static_cast<size_t>(w)]); };

  // The first call bootstraps and derives; the card is read right after insertion, so the
  // daemon may still answer UNAVAILABLE for a moment.
  absl::Status warm = get_key(0);
  for (int i = 0; i < 100 && !warm.ok(); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    warm = get_key(0);
  }
  if (!warm.ok()) return fail_all(warm);
  std::this_thread::sleep_for(milliseconds(o.smoke ? 50 : 1000));  // idle
  const absl::StatusOr<ProcStatus> idle = ReadProcStatus((*daemon)->pid());

  const absl::StatusOr<uint64_t> kdf_before = KdfInvocations(*echo_stubs[0]);
  const int apdus_before = testing::CountApdus(apdu_log);
  const auto [key, limit] = RunInterleaved(o.daemon_clients, o.smoke ? 1 : o.rounds,
                                           milliseconds(o.smoke ? 200 : o.round_ms), get_key, echo);
  const absl::StatusOr<uint64_t> kdf_after = KdfInvocations(*echo_stubs[0]);
  const int apdus_after = testing::CountApdus(apdu_log);
  const absl::StatusOr<ProcStatus> after = ReadProcStatus((*daemon)->pid());

  std::vector<Row> rows;
  {
    VersusLimit m =
        MeasuredAgainst(key_figure, key, "calls/s", "echo", limit, "calls/s", key_target);
    const double p99_ratio = limit.p99_ms > 0 ? key.p99_ms / limit.p99_ms : 0;
    m.row.ratio = absl::StrFormat("%.2f; p99 %.2fx", m.ratio, p99_ratio);
    m.row.verdict = Verdict(key.errors == 0 && m.ratio >= 0.8 && p99_ratio <= 2.0);
    m.row.numbers["p99_ratio"] = p99_ratio;
    rows.push_back(m.row);
  }
  {
    Row row;
    row.figure = zero_figure;
    if (!kdf_before.ok() || !kdf_after.ok()) {
      rows.push_back(Failed(zero_figure, "exactly 0",
                            kdf_before.ok() ? kdf_after.status() : kdf_before.status()));
    } else {
      const uint64_t hmacs = *kdf_after - *kdf_before;
      const int apdus = apdus_after - apdus_before;
      row.value = absl::StrCat(apdus, " APDUs and ", hmacs, " HMACs in ", key.calls, " calls");
      row.limit = "0";
      row.ratio = "-";
      row.target = "exactly 0";
      row.verdict = Verdict(apdus == 0 && hmacs == 0 && key.calls > 0);
      row.numbers = {{"apdus", apdus}, {"hmacs", hmacs}, {"calls", key.calls}};
      rows.push_back(row);
    }
  }
  if (!idle.ok()) {
    rows.push_back(Failed(rss_figure, "<= 20 MB", idle.status()));
  } else {
    Row row;
    row.figure = rss_figure;
    const double mb = static_cast<double>(idle->vm_rss_kb) / 1024.0;
    row.value = absl::StrFormat(
        "%.1f MB: %.1f MB own (RssAnon) + %.1f MB mapped files, mostly shared libraries "
        "(after the load: %.1f MB)",
        mb, static_cast<double>(idle->rss_anon_kb) / 1024.0,
        static_cast<double>(idle->rss_file_kb) / 1024.0,
        after.ok() ? static_cast<double>(after->vm_rss_kb) / 1024.0 : 0);
    row.limit = "(report)";
    row.ratio = "-";
    row.target = "<= 20 MB";
    row.verdict = Verdict(mb <= 20.0);
    row.numbers = {{"idle_rss_kb", idle->vm_rss_kb},
                   {"idle_rss_anon_kb", idle->rss_anon_kb},
                   {"idle_rss_file_kb", idle->rss_file_kb},
                   {"after_load_rss_kb", after.ok() ? after->vm_rss_kb : 0},
                   {"threads", idle->threads}};
    rows.push_back(row);
  }
  return rows;
}

// ---- bsf: bootstraps/s, Zn, and RSS with the session table filled ---------------------

std::vector<Row> BsfPhase(const Options& o) {
  const std::string boot_figure =
      absl::StrCat("bsf-sim complete bootstraps/s (401 + 200 + SQN committed), ", o.ue_workers,
                   " concurrent simulated UEs");
  const std::string boot_target = ">= 5,000/s and >= 0.35 of the limit";
  const std::string zn_figure = "bsf-sim Zn GetNafKey calls/s, 16 concurrent NAF clients";
  const std::string zn_target = ">= 0.7 of echo";
  const std::string rss_figure = "bsf-sim RSS with 1,000,000 live sessions";
  const std::string rss_target = "<= 400 MB";
  auto fail_all = [&](const absl::Status& s) {
    return std::vector<Row>{Failed(boot_figure, boot_target, s), Failed(zn_figure, zn_target, s),
                            Failed(rss_figure, rss_target, s)};
  };
  const fs::path dir = fs::path(o.dir) / "bsf";
  fs::create_directories(dir);
  const int workers = o.ue_workers;
  const int per_worker = o.smoke                        ? 4
                         : o.subscribers_per_worker > 0 ? o.subscribers_per_worker
                                                        : (250000 + workers - 1) / workers;
  const std::vector<testing::UeCredentials> ues =
      testing::MakeTestSubscribers(workers * per_worker);
  const size_t sessions_target = ues.size() * 4;  // bsf-sim keeps 4 sessions per IMPI
  {
    std::ofstream config(dir / "bsf-sim.toml");
    config << "max_sessions = " << sessions_target + 1000 << "\n";
  }
  testing::BsfSimOptions bsf_options;
  bsf_options.binary = GBABRIDGE_BSF_SIM_BENCH_BIN;
  bsf_options.subscribers_json = testing::SubscriberImportJson(ues);
  bsf_options.extra_serve_args = {"--config", (dir / "bsf-sim.toml").string(), "--log-level",
                                  "warn"};
  bsf_options.naf_tokens = {{kZnNaf, kZnToken}};
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir, bsf_options);
  if (!bsf.ok()) return fail_all(bsf.status());
  const std::string ub = (*bsf)->ub_url();  // http://127.0.0.1:PORT/
  const size_t colon = ub.rfind(':');
  int port = 0;
  if (!absl::SimpleAtoi(ub.substr(colon + 1, ub.size() - colon - 2), &port)) {
    return fail_all(absl::InternalError("cannot read the Ub port from " + ub));
  }

  std::vector<std::unique_ptr<testing::SimulatedUe>> clients;
  for (int w = 0; w < workers; ++w)
    clients.push_back(std::make_unique<testing::SimulatedUe>("127.0.0.1", port));
  // Worker w owns subscribers w, w + workers, ...; done[w] counts its successful bootstraps,
  // so that after 4 x per_worker of them every subscriber of w holds 4 live sessions.
  std::vector<int64_t> done(static_cast<size_t>(workers), 0);
  std::mutex btid_mu;
  std::vector<std::string> recent_btids(std::min<size_t>(1000, ues.size() * 2));
  size_t btid_count = 0;
  auto bootstrap = [&](int w) -> absl::Status {
    int64_t& d = done[static_cast<size_t>(w)];
    const size_t index = static_cast<size_t>(w) + static_cast<size_t>(d % per_worker) * workers;
    absl::StatusOr<std::string> btid = clients[static_cast<size_t>(w)]->Bootstrap(ues[index]);
    if (!btid.ok()) return btid.status();
    ++d;
    std::lock_guard<std::mutex> lock(btid_mu);
    recent_btids[btid_count++ % recent_btids.size()] = *std::move(btid);
    return absl::OkStatus();
  };
  auto healthz = [&](int w) { return clients[static_cast<size_t>(w)]->Healthz(); };
  const int rounds = o.smoke ? 1 : o.rounds;
  const milliseconds round(o.smoke ? 200 : o.round_ms);
  const auto [boots, http_limit] = RunInterleaved(workers, rounds, round, bootstrap, healthz);

  std::vector<Row> rows;
  {
    VersusLimit m = MeasuredAgainst(boot_figure, boots, "bootstraps/s", "GET /healthz", http_limit,
                                    "requests/s", boot_target);
    m.row.verdict = Verdict(boots.errors == 0 && boots.per_second >= 5000 && m.ratio >= 0.35);
    m.row.numbers["subscribers"] = ues.size();
    rows.push_back(m.row);
  }

  // Zn: NAF clients asking for keys of live B-TIDs, vs Echo on the same Zn server.
  std::vector<std::string> btids;
  for (size_t i = 0; i < std::min(btid_count, recent_btids.size()); ++i) {
    btids.push_back(recent_btids[i]);
  }
  if (btids.empty()) {
    rows.push_back(Failed(zn_figure, zn_target, absl::InternalError("no bootstrap succeeded")));
  } else {
    std::vector<std::unique_ptr<bsf::v1::Zn::Stub>> zn_stubs;
    std::vector<std::unique_ptr<v1::Echo::Stub>> echo_stubs;
    for (int w = 0; w < o.zn_clients; ++w) {
      std::shared_ptr<grpc::Channel> channel = OwnChannel((*bsf)->zn_address());
      zn_stubs.push_back(bsf::v1::Zn::NewStub(channel));
      echo_stubs.push_back(v1::Echo::NewStub(channel));
    }
    std::vector<size_t> next(static_cast<size_t>(o.zn_clients), 0);
    auto zn_call = [&](int w) -> absl::Status {
      size_t& i = next[static_cast<size_t>(w)];
      bsf::v1::GetNafKeyRequest request;
      request.set_btid(btids[(static_cast<size_t>(w) + i++ * o.zn_clients) % btids.size()]);
      request.set_naf_fqdn(kZnNaf);
      request.set_ua_security_protocol_id(kUaTls);
      bsf::v1::GetNafKeyResponse response;
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kZnToken));
      context.set_deadline(Deadline());
      return FromGrpc(zn_stubs[static_cast<size_t>(w)]->GetNafKey(&context, request, &response));
    };
    auto echo = [&](int w) { return Echo(*echo_stubs[static_cast<size_t>(w)]); };
    const auto [zn, zn_limit] = RunInterleaved(o.zn_clients, rounds, round, zn_call, echo);
    VersusLimit m =
        MeasuredAgainst(zn_figure, zn, "calls/s", "echo", zn_limit, "calls/s", zn_target);
    m.row.verdict = Verdict(zn.errors == 0 && m.ratio >= 0.7);
    m.row.numbers["btids"] = btids.size();
    rows.push_back(m.row);
  }

  // Fill: every subscriber to 4 live sessions, then read bsf-sim's RSS.
  const auto fill_start = std::chrono::steady_clock::now();
  std::atomic<uint64_t> fill_errors{0};
  std::string fill_error;
  std::mutex fill_mu;
  std::vector<std::thread> fillers;
  for (int w = 0; w < workers; ++w) {
    fillers.emplace_back([&, w] {
      int failures_in_a_row = 0;
      while (done[static_cast<size_t>(w)] < int64_t{4} * per_worker && failures_in_a_row < 20) {
        absl::Status s = bootstrap(w);
        if (s.ok()) {
          failures_in_a_row = 0;
        } else {
          ++failures_in_a_row;
          ++fill_errors;
          std::lock_guard<std::mutex> lock(fill_mu);
          if (fill_error.empty()) fill_error = s.ToString();
        }
      }
    });
  }
  for (std::thread& t : fillers) t.join();
  const double fill_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  bool filled = true;
  for (int64_t d : done) filled = filled && d >= int64_t{4} * per_worker;
  const absl::StatusOr<ProcStatus> rss = ReadProcStatus((*bsf)->pid());
  if (!filled || !rss.ok()) {
    rows.push_back(Failed(rss_figure, rss_target,
                          !rss.ok()
                              ? rss.status()
                              : absl::InternalError("filling the sessions failed: " + fill_error)));
  } else {
    Row row;
    row.figure = sessions_target >= 1000000
                     ? rss_figure
                     : absl::StrCat("bsf-sim RSS with ", sessions_target, " live sessions");
    const double mb = static_cast<double>(rss->vm_rss_kb) / 1024.0;
    row.value = absl::StrFormat("%.0f MB (%.0f MB own) with %d sessions, %d subscribers", mb,
                                static_cast<double>(rss->rss_anon_kb) / 1024.0, sessions_target,
                                ues.size());
    row.limit = "(report)";
    row.ratio = "-";
    row.target = rss_target;
    row.verdict = sessions_target >= 1000000 ? Verdict(mb <= 400.0) : "report";
    row.numbers = {{"rss_kb", rss->vm_rss_kb},
                   {"sessions", sessions_target},
                   {"fill_seconds", fill_seconds},
                   {"fill_errors", fill_errors.load()}};
    rows.push_back(row);
  }
  return rows;
}

// Diameter Zn (TS 29.109 §6): 16 NAF peers, each its own process and connection
// (zn-diameter-load), asking for the keys of live B-TIDs, beside the same peers sending
// a request bsf-sim answers without a lookup (5403 on a malformed B-TID).
std::vector<Row> DiameterPhase(const Options& o) {
  const int peers = o.zn_clients;
  const std::string figure =
      absl::StrCat("bsf-sim Diameter Zn lookups/s, ", peers, " NAF peer connections");
  const std::string target = ">= 0.7 of a request without lookup";
  const fs::path dir = fs::path(o.dir) / "diameter";
  fs::create_directories(dir);
  const std::vector<testing::UeCredentials> ues = testing::MakeTestSubscribers(o.smoke ? 4 : 64);
  const int port = testing::FreeLoopbackTcpPort();
  testing::BsfSimOptions bsf_options;
  bsf_options.subscribers_json = testing::SubscriberImportJson(ues);
  bsf_options.extra_serve_args = {"--log-level", "warn", "--diameter-listen",
                                  absl::StrCat("127.0.0.1:", port)};
  for (int i = 0; i < peers; ++i) {
    bsf_options.extra_serve_args.push_back("--diameter-naf");
    bsf_options.extra_serve_args.push_back(absl::StrCat("naf", i, ".bench.example=", kZnNaf));
  }
  absl::StatusOr<std::unique_ptr<testing::BsfSimProcess>> bsf =
      testing::BsfSimProcess::Start(dir, bsf_options);
  if (!bsf.ok()) return {Failed(figure, target, bsf.status())};
  const std::string ub = (*bsf)->ub_address();
  int ub_port = 0;
  if (!absl::SimpleAtoi(ub.substr(ub.rfind(':') + 1), &ub_port)) {
    return {Failed(figure, target, absl::InternalError("cannot read the Ub port from " + ub))};
  }
  {
    testing::SimulatedUe ue("127.0.0.1", ub_port);
    std::ofstream btids(dir / "btids.txt");
    for (const testing::UeCredentials& credentials : ues) {
      absl::StatusOr<std::string> btid = ue.Bootstrap(credentials);
      if (!btid.ok()) return {Failed(figure, target, btid.status())};
      btids << *btid << "\n";
    }
  }
  const int rounds = o.smoke ? 1 : o.rounds;
  const int round_ms = o.smoke ? 200 : o.round_ms;
  // Every peer starts its rounds at the same moment, after all have connected.
  const int64_t start_at = absl::ToUnixMillis(absl::Now()) + 4000;
  std::vector<testing::ChildProcess> children;
  for (int i = 0; i < peers; ++i) {
    absl::StatusOr<testing::ChildProcess> child = testing::ChildProcess::Start(
        {GBABRIDGE_ZN_DIAMETER_LOAD_BIN, "--identity", absl::StrCat("naf", i, ".bench.example"),
         "--bsf-identity", "bsf.test.example", "--bsf-host", "127.0.0.1", "--bsf-port",
         absl::StrCat(port), "--naf-fqdn", kZnNaf, "--btids", (dir / "btids.txt").string(),
         "--rounds", absl::StrCat(rounds), "--round-ms", absl::StrCat(round_ms), "--start-at-ms",
         absl::StrCat(start_at)},
        dir / absl::StrCat("peer-", i, ".log"));
    if (!child.ok()) return {Failed(figure, target, child.status())};
    children.push_back(*std::move(child));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30) +
                        milliseconds(2 * rounds * round_ms);
  for (testing::ChildProcess& child : children) {
    while (child.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  LoadStats with, without;
  for (int i = 0; i < peers; ++i) {
    const fs::path log_path = dir / absl::StrCat("peer-", i, ".log");
    std::ifstream log(log_path);
    std::string line, last_json;
    while (std::getline(log, line)) {
      if (!line.empty() && line.front() == '{') last_json = line;
    }
    if (last_json.empty()) {
      return {Failed(figure, target,
                     absl::UnavailableError(absl::StrCat("NAF peer ", i, " reported nothing (see ",
                                                         log_path.string(), ")")))};
    }
    const json j = json::parse(last_json);
    for (auto [key, stats] : {std::pair{"lookup", &with}, std::pair{"no_lookup", &without}}) {
      const json& s = j.at(key);
      stats->calls += s.at("calls").get<uint64_t>();
      stats->errors += s.at("errors").get<uint64_t>();
      stats->per_second += s.at("per_second").get<double>();
      stats->seconds = std::max(stats->seconds, s.at("seconds").get<double>());
      // The slowest peer's percentiles: a conservative summary of the processes.
      stats->p50_ms = std::max(stats->p50_ms, s.at("p50_ms").get<double>());
      stats->p99_ms = std::max(stats->p99_ms, s.at("p99_ms").get<double>());
      if (stats->first_error.empty()) stats->first_error = s.at("first_error").get<std::string>();
    }
  }
  VersusLimit m = MeasuredAgainst(figure, with, "lookups/s", "request without lookup", without,
                                  "requests/s", target);
  m.row.verdict = Verdict(with.errors == 0 && without.errors == 0 && m.ratio >= 0.7);
  m.row.numbers["peers"] = peers;
  return {m.row};
}

}  // namespace
}  // namespace gbabridge::bench

int main(int argc, char** argv) {
  using namespace gbabridge::bench;
  CLI::App app{"service_bench: the service rows of `make bench` (real processes on loopback)"};
  Options o;
  app.add_option("--out", o.out, "write the rows as JSON here")->required();
  app.add_flag("--smoke", o.smoke, "a few calls per phase, for ctest; no timing meaning");
  app.add_option("--dir", o.dir, "working directory (default: a new one under /tmp)");
  app.add_option("--rounds", o.rounds, "interleaved rounds per figure and limit");
  app.add_option("--round-ms", o.round_ms, "length of one round");
  app.add_option("--subscribers-per-worker", o.subscribers_per_worker,
                 "bsf phase: subscribers per simulated UE (x UEs x 4 = sessions filled; "
                 "default: 1,000,000 sessions)");
  app.add_option("--ues", o.ue_workers, "bsf phase: concurrent simulated UEs");
  std::vector<std::string> phases = {"device", "modem", "daemon", "bsf", "diameter"};
  app.add_option("--phases", phases, "which phases to run (device, modem, daemon, bsf, diameter)")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  const bool own_dir = o.dir.empty();
  if (own_dir) {
    o.dir = (std::filesystem::temp_directory_path() /
             absl::StrCat("gbabridge-service-bench-", getpid()))
                .string();
  }
  std::filesystem::create_directories(o.dir);

  nlohmann::json rows = nlohmann::json::array();
  bool all_measured = true;
  const std::vector<std::pair<std::string, std::vector<Row> (*)(const Options&)>> all = {
      {"device", &DevicePhase},
      {"modem", &ModemPhase},
      {"daemon", &DaemonPhase},
      {"bsf", &BsfPhase},
      {"diameter", &DiameterPhase}};
  for (const auto& [name, phase] : all) {
    if (std::find(phases.begin(), phases.end(), name) == phases.end()) continue;
    for (const Row& row : phase(o)) {
      std::fprintf(stderr, "service_bench: %s: %s [%s]\n", row.figure.c_str(), row.value.c_str(),
                   row.verdict.c_str());
      if (row.verdict == "failed") {
        all_measured = false;
        std::fprintf(stderr, "  %s\n", row.numbers.value("error", "").c_str());
      }
      rows.push_back(ToJson(row));
    }
  }
  std::ofstream out(o.out);
  out << nlohmann::json{{"rows", rows}}.dump(2) << "\n";
  if (!out) {
    std::cerr << "service_bench: cannot write " << o.out << "\n";
    return 1;
  }
  if (own_dir && !getenv("GBABRIDGE_KEEP_TEST_DIRS")) std::filesystem::remove_all(o.dir);
  return all_measured ? 0 : 1;
}
