// The bsf-sim command line; see bsf_sim_main.cc for the commands and bsf_sim_run.h.
#include "bsf_sim/bsf_sim_run.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bsf_sim/bsf_config.h"
#include "bsf_sim/bsf_server.h"
#include "bsf_sim/subscriber_import.h"
#include "bsf_sim/subscriber_store.h"
#include "uicc/base/command_line.h"
#include "uicc/base/secret_bytes.h"

namespace {

using gbabridge::bsf::BsfConfig;
using gbabridge::bsf::BsfServer;
using gbabridge::bsf::SubscriberStore;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Fail(absl::string_view message) {
  spdlog::error("{}", std::string(message.data(), message.size()));
  return kExitFailure;
}

int Usage(absl::string_view message) {
  return gbabridge::ReportFailure(kExitUsage, std::string_view(message.data(), message.size()));
}

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("bsf-sim");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ bsf-sim %l: %v", spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

struct ServeFlags {
  std::string config;
  std::string ub_listen;
  std::string zn_listen;
  std::string db;
  std::string bsf_name;
  std::string realm;
  int64_t lifetime = 0;
  int64_t nonce_timeout = 0;
  int ind_bits = 0;
  std::vector<std::string> naf_tokens;
  std::vector<std::string> naf_services;
  std::string ub_tls_cert;
  std::string ub_tls_key;
  std::string zn_tls_cert;
  std::string zn_tls_key;
  std::string zn_client_ca;
  std::string log_level = "info";
  bool no_tmpi = false;
  bool forget_tmpis = false;
  std::string diameter_listen;
  std::string diameter_identity;
  std::string diameter_realm;
  std::vector<std::string> diameter_nafs;
  int diameter_tls_port = 0;
  std::string diameter_tls_listen;
  std::string diameter_tls_cert;
  std::string diameter_tls_key;
  std::string diameter_tls_ca;
};

int RunServe(const ServeFlags& flags, const CLI::App& cmd, gbabridge::bsf::BsfServerHooks hooks) {
  // Block the stop signals in every thread (threads inherit the mask) and wait for them
  // in main with sigwait: no async-signal-safety concerns, and a clean Stop().
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGHUP (a closed terminal, or `systemctl reload`) must not kill the BSF and its
  // sessions: it is taken here and ignored, with a log line saying so.
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  BsfConfig config;
  if (!flags.config.empty()) {
    if (absl::Status s = gbabridge::bsf::LoadBsfConfigFile(flags.config, config); !s.ok()) {
      return Fail(s.message());
    }
  }
  // Flags win over the file.
  auto given = [&](const char* name) { return cmd.get_option(name)->count() > 0; };
  if (given("--ub-listen")) config.ub_listen = flags.ub_listen;
  if (given("--zn-listen")) config.zn_listen = flags.zn_listen;
  if (given("--db")) config.db = flags.db;
  if (given("--bsf-name")) config.bsf_name = flags.bsf_name;
  if (given("--realm")) config.realm = flags.realm;
  if (given("--lifetime")) config.lifetime = absl::Seconds(flags.lifetime);
  if (given("--nonce-timeout")) config.nonce_timeout = absl::Seconds(flags.nonce_timeout);
  if (given("--ind-bits")) config.ind_bits = flags.ind_bits;
  if (given("--ub-tls-cert")) config.ub_tls_cert = flags.ub_tls_cert;
  if (given("--ub-tls-key")) config.ub_tls_key = flags.ub_tls_key;
  if (given("--zn-tls-cert")) config.zn_tls_cert = flags.zn_tls_cert;
  if (given("--zn-tls-key")) config.zn_tls_key = flags.zn_tls_key;
  if (given("--zn-client-ca")) config.zn_client_ca = flags.zn_client_ca;
  if (given("--diameter-listen")) config.diameter_listen = flags.diameter_listen;
  if (given("--diameter-identity")) config.diameter_identity = flags.diameter_identity;
  if (given("--diameter-realm")) config.diameter_realm = flags.diameter_realm;
  if (given("--diameter-naf")) config.diameter_nafs = flags.diameter_nafs;
  if (given("--diameter-tls-port")) config.diameter_tls_port = flags.diameter_tls_port;
  if (given("--diameter-tls-listen")) config.diameter_tls_listen = flags.diameter_tls_listen;
  if (given("--diameter-tls-cert")) config.diameter_tls_cert = flags.diameter_tls_cert;
  if (given("--diameter-tls-key")) config.diameter_tls_key = flags.diameter_tls_key;
  if (given("--diameter-tls-ca")) config.diameter_tls_ca = flags.diameter_tls_ca;
  if (flags.no_tmpi) config.tmpi = false;
  if (flags.forget_tmpis) config.forget_tmpis = true;
  for (const std::string& spec : flags.naf_tokens) {
    absl::StatusOr<gbabridge::bsf::NafToken> token = gbabridge::bsf::ParseNafToken(spec);
    if (!token.ok()) return Fail(token.status().message());
    gbabridge::bsf::SetNafToken(config, *std::move(token));
  }
  for (const std::string& spec : flags.naf_services) {
    if (absl::Status s = gbabridge::bsf::AddNafServices(spec, config.naf_services); !s.ok()) {
      return Usage(s.message());
    }
  }

  if (config.db.empty()) {
    return Usage(
        "serve needs the subscriber database: --db FILE (or db in --config), made "
        "with `bsf-sim subscribers import FILE --db FILE`");
  }
  if (config.bsf_name.empty()) {
    return Usage("serve needs the BSF's name: --bsf-name FQDN (or bsf_name in --config)");
  }
  absl::StatusOr<std::unique_ptr<BsfServer>> server = BsfServer::Create(config, std::move(hooks));
  if (!server.ok()) return Fail(server.status().message());
  if (absl::Status s = (*server)->Start(); !s.ok()) return Fail(s.message());
  spdlog::info("BSF {} ready: realm \"{}\", key lifetime {} s, database {}", config.bsf_name,
               config.realm.empty() ? config.bsf_name : config.realm,
               absl::ToInt64Seconds(config.lifetime), config.db);
  const std::string diameter = (*server)->diameter_endpoint();
  if (!diameter.empty()) {
    spdlog::info("Diameter Zn (TS 29.109) on {} as {}, NAF peers: {}", diameter,
                 config.diameter_identity.empty() ? config.bsf_name : config.diameter_identity,
                 absl::StrJoin(config.diameter_nafs, " "));
  }
  std::printf("READY ub=%s zn=%s%s\n", (*server)->ub_endpoint().c_str(),
              (*server)->zn_endpoint().c_str(),
              diameter.empty() ? "" : absl::StrCat(" diameter=", diameter).c_str());
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    spdlog::info(
        "SIGHUP ignored: bsf-sim reads its settings and NAF tokens only at start; restart it "
        "to change them (sessions live in memory and would be lost)");
  }
  spdlog::info("signal {} received: stopping", signal_number);
  (*server)->Stop();
  server->reset();
  spdlog::info("stopped");
  return kExitOk;
}

int RunImport(const std::string& file, const std::string& db, bool replace) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(absl::StrCat("cannot read subscriber file ", file));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  absl::StatusOr<std::vector<gbabridge::bsf::Subscriber>> subscribers =
      gbabridge::bsf::ParseSubscriberImport(text);
  // The file holds K and OPc in hex: wipe our copy as soon as it is parsed.
  gbabridge::Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  if (!subscribers.ok()) {
    return Fail(absl::StrCat(file, ": ", subscribers.status().message(), "; nothing imported"));
  }
  absl::StatusOr<std::unique_ptr<SubscriberStore>> store = SubscriberStore::Open(db);
  if (!store.ok()) return Fail(store.status().message());
  if (absl::Status s = (*store)->Import(*subscribers, replace); !s.ok()) {
    return Fail(absl::StrCat(s.message(), "; nothing imported"));
  }
  std::printf("imported %zu subscriber(s) into %s\n", subscribers->size(), db.c_str());
  return kExitOk;
}

int RunList(const std::string& db, bool json) {
  absl::StatusOr<std::unique_ptr<SubscriberStore>> store =
      SubscriberStore::Open(db, SubscriberStore::OpenMode::kReadOnly);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<std::vector<gbabridge::bsf::SubscriberSummary>> list = (*store)->List();
  if (!list.ok()) return Fail(list.status().message());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *list) {
      out.push_back({{"impi", s.impi},
                     {"imsi", s.imsi},
                     {"gba_type", s.gba_u ? "GBA_U" : "GBA_ME"},
                     {"sqn", absl::StrFormat("%012x", s.sqn)},
                     {"uss_nafs", s.uss_nafs}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%-52s %-15s %-6s %-12s %s\n", "IMPI", "IMSI", "GBA", "SQN", "USS");
  for (const auto& s : *list) {
    std::string uss;
    for (const std::string& naf : s.uss_nafs) uss += (uss.empty() ? "" : ",") + naf;
    std::printf("%-52s %-15s %-6s %012llx %s\n", s.impi.c_str(), s.imsi.c_str(),
                s.gba_u ? "GBA_U" : "GBA_ME", static_cast<unsigned long long>(s.sqn),
                uss.empty() ? "-" : uss.c_str());
  }
  return kExitOk;
}

}  // namespace

namespace gbabridge::bsf {

int RunBsfSim(int argc, char** argv, BsfServerHooks hooks) {
  SetUpLogging();
  CLI::App app{
      "bsf-sim: a simulated BSF and HSS for GBA (3GPP TS 33.220). It serves Ub (HTTP Digest "
      "AKA, TS 24.109 §4) to UEs and Zn (gRPC bsf.v1.Zn/GetNafKey) to NAFs, with Milenage "
      "vectors from an SQLite subscriber database."};
  app.require_subcommand(1);
  gbabridge::AddVersionFlag(app, "bsf-sim");
  int exit_code = kExitOk;

  ServeFlags flags;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "run the BSF. Prints \"READY ub=HOST:PORT zn=HOST:PORT\" (and \" diameter=...\" with "
      "Diameter Zn on) on stdout when the listeners are up; logs to stderr; SIGTERM/SIGINT stop "
      "it. Flags override the --config file.");
  serve
      ->add_option("--config", flags.config,
                   "TOML file with the same settings (keys: ub_listen, zn_listen, db, "
                   "bsf_name, realm, lifetime, nonce_timeout, ind_bits, max_sessions, ub_threads, "
                   "ub_tls_cert, ub_tls_key, zn_tls_cert, zn_tls_key, zn_client_ca, "
                   "[naf_tokens])")
      ->check(CLI::ExistingFile);
  serve->add_option("--ub-listen", flags.ub_listen,
                    "Ub HOST:PORT (default 127.0.0.1:8080; port 0 = ephemeral)");
  serve->add_option("--zn-listen", flags.zn_listen,
                    "Zn HOST:PORT (default 127.0.0.1:50051; plain text only on loopback)");
  serve
      ->add_option("--db", flags.db,
                   "subscriber database (SQLite), required here or in --config; it must exist: "
                   "`subscribers import` creates it")
      ->check(CLI::ExistingFile);
  serve->add_option("--bsf-name", flags.bsf_name,
                    "BSF FQDN, the domain of every B-TID (base64(RAND)@NAME); required here "
                    "or in --config");
  serve->add_option("--realm", flags.realm, "digest realm of the challenge (default: --bsf-name)");
  serve->add_option("--lifetime", flags.lifetime, "key lifetime in seconds (default 3600)")
      ->check(CLI::Range(int64_t{1}, int64_t{10} * 365 * 24 * 3600));
  serve
      ->add_option("--nonce-timeout", flags.nonce_timeout,
                   "seconds a challenge stays answerable (default 60)")
      ->check(CLI::Range(int64_t{1}, int64_t{24} * 3600));
  serve
      ->add_option("--ind-bits", flags.ind_bits,
                   "IND bits of SQN = SEQ || IND (TS 33.102 C.3.2; default 5, as the cards)")
      ->check(CLI::Range(0, 16));
  serve->add_flag("--no-tmpi", flags.no_tmpi,
                  "do not offer TMPI (no 3gpp-gba-tmpi in the Server header; a TMPI as username "
                  "gets 403)");
  serve->add_flag("--forget-tmpis", flags.forget_tmpis,
                  "offer TMPI but forget every TMPI at once, so that a UE using one must fall "
                  "back to its IMPI (for tests)");
  serve->add_option("--naf-token", flags.naf_tokens,
                    "NAF_FQDN=TOKEN: a NAF authenticated on the loopback Zn listener by "
                    "metadata \"authorization: Bearer TOKEN\" (repeatable)");
  serve->add_option("--naf-service", flags.naf_services,
                    "NAF_FQDN=GSID[,GSID...]: the GAA services that NAF may name on Zn (gRPC "
                    "gaa_service_id, Diameter GAA-Service-Identifier), for their user security "
                    "settings (TS 33.220 §4.4.6); a NAF naming another is refused (repeatable)");
  serve
      ->add_option("--log-level", flags.log_level,
                   "trace, debug, info (default: a line per challenge and bootstrap), warn "
                   "(for load tests: problems only), error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  serve->add_option("--ub-tls-cert", flags.ub_tls_cert, "Ub HTTPS certificate (PEM)");
  serve->add_option("--ub-tls-key", flags.ub_tls_key, "Ub HTTPS private key (PEM)");
  serve->add_option("--zn-tls-cert", flags.zn_tls_cert, "Zn TLS certificate (PEM)");
  serve->add_option("--zn-tls-key", flags.zn_tls_key, "Zn TLS private key (PEM)");
  serve->add_option("--zn-client-ca", flags.zn_client_ca,
                    "CA (PEM) that issues NAF client certificates; a NAF is the subject CN or "
                    "a DNS subjectAltName of its certificate");
  // Diameter Zn (TS 29.109 §6), for NAFs that speak Diameter (diameter_zn_server.h).
  serve->add_option("--diameter-listen", flags.diameter_listen,
                    "Diameter Zn over plain TCP on HOST:PORT (loopback only, e.g. "
                    "127.0.0.1:3868); off by default");
  serve->add_option("--diameter-identity", flags.diameter_identity,
                    "this BSF's Diameter Identity, Origin-Host (default: --bsf-name)");
  serve->add_option("--diameter-realm", flags.diameter_realm,
                    "Origin-Realm (default: the identity without its first label)");
  serve->add_option("--diameter-naf", flags.diameter_nafs,
                    "IDENTITY[=FQDN,...]: a NAF's Diameter Identity that may connect, and the "
                    "NAF FQDNs whose keys it may have (default: the identity); repeatable");
  serve
      ->add_option("--diameter-tls-port", flags.diameter_tls_port,
                   "Diameter Zn over TLS (from the first byte, RFC 6733 §13) on this port")
      ->check(CLI::Range(1, 65535));
  serve->add_option("--diameter-tls-listen", flags.diameter_tls_listen,
                    "Diameter Zn over TLS on HOST:PORT, any host (e.g. 0.0.0.0:5868 for NAFs on "
                    "other machines); instead of --diameter-tls-port");
  serve
      ->add_option("--diameter-tls-cert", flags.diameter_tls_cert,
                   "Diameter TLS certificate (PEM), naming the Diameter identity")
      ->check(CLI::ExistingFile);
  serve->add_option("--diameter-tls-key", flags.diameter_tls_key, "its private key (PEM)")
      ->check(CLI::ExistingFile);
  serve
      ->add_option("--diameter-tls-ca", flags.diameter_tls_ca,
                   "CA (PEM) of this BSF's certificate and of the NAFs' certificates")
      ->check(CLI::ExistingFile);
  serve->callback([&] { exit_code = RunServe(flags, *serve, std::move(hooks)); });

  CLI::App* subscribers = app.add_subcommand("subscribers", "manage the HSS subscriber database");
  subscribers->require_subcommand(1);
  std::string import_file;
  std::string import_db;
  bool replace = false;
  CLI::App* import_cmd = subscribers->add_subcommand(
      "import",
      "add subscribers from a JSON file, all or nothing: {\"subscribers\": [{\"impi\" "
      "(optional: derived from imsi and mnc_length), \"imsi\", \"k\", \"opc\" or \"op\", "
      "\"amf\" (default 8000), \"sqn\" (12 hex, default 0), \"gba_u\" (default false), "
      "\"uss\": {\"naf.fqdn\": \"base64\"}}]}");
  import_cmd->add_option("FILE", import_file, "subscriber JSON file")
      ->required()
      ->check(CLI::ExistingFile);
  import_cmd->add_option("--db", import_db, "subscriber database (created if missing)")->required();
  import_cmd->add_flag("--replace", replace,
                       "update subscribers already in the database (keys, flag, USS; the "
                       "higher SQN is kept)");
  import_cmd->callback([&] { exit_code = RunImport(import_file, import_db, replace); });

  std::string list_db;
  bool list_json = false;
  CLI::App* list_cmd = subscribers->add_subcommand(
      "list", "show IMPI, IMSI, GBA type, SQN and USS NAFs (never keys)");
  list_cmd->add_option("--db", list_db, "subscriber database")->required();
  list_cmd->add_flag("--json", list_json, "JSON output");
  list_cmd->callback([&] { exit_code = RunList(list_db, list_json); });

  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }
  return exit_code;
}

}  // namespace gbabridge::bsf
