// zn-diameter-load: one NAF peer of service_bench's Diameter phase, in its own process
// (freeDiameter: one core, hence one peer connection, per process). It connects to the
// BSF, waits for the common start time, then runs interleaved rounds of
//   lookup:    Bootstrapping-Info-Request for a live B-TID (answer 2001 with keys), and
//   no lookup: the same request with a malformed B-TID (answer 5403 before any store
//              access or key derivation): the Diameter path alone, same peer and sizes,
// one request in flight at a time, and prints both LoadStats as one JSON line on stdout.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load_runner.h"
#include "bootstrap/protocol/naf_id.h"
#include "nlohmann/json.hpp"
#include "proto/zn_diameter/diameter_node.h"
#include "proto/zn_diameter/zn_diameter_client.h"

int main(int argc, char** argv) {
  using namespace gbabridge;  // NOLINT(build/namespaces)
  CLI::App app{"zn-diameter-load: one Diameter NAF peer of service_bench"};
  std::string identity, bsf_identity, bsf_host, naf_fqdn, btids_file;
  int bsf_port = 0, rounds = 3, round_ms = 2000;
  int64_t start_at_ms = 0;
  app.add_option("--identity", identity)->required();
  app.add_option("--bsf-identity", bsf_identity)->required();
  app.add_option("--bsf-host", bsf_host)->required();
  app.add_option("--bsf-port", bsf_port)->required();
  app.add_option("--naf-fqdn", naf_fqdn)->required();
  app.add_option("--btids", btids_file, "one live B-TID per line")->required();
  app.add_option("--rounds", rounds);
  app.add_option("--round-ms", round_ms);
  app.add_option("--start-at-ms", start_at_ms, "Unix time (ms) at which to start")->required();
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> btids;
  std::ifstream in(btids_file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) btids.push_back(line);
  }
  if (btids.empty()) {
    std::cerr << "zn-diameter-load: no B-TID in " << btids_file << "\n";
    return 1;
  }
  zn_diameter::DiameterNodeOptions options;
  options.identity = identity;
  options.connect_peers.push_back({.identity = bsf_identity, .host = bsf_host, .port = bsf_port});
  options.tc_timer_seconds = 1;
  absl::StatusOr<std::unique_ptr<zn_diameter::DiameterNode>> node =
      zn_diameter::DiameterNode::Create(options);
  if (!node.ok() || !(*node)->Start().ok()) {
    std::cerr << "zn-diameter-load: cannot start the Diameter node\n";
    return 1;
  }
  if (absl::Status s = (*node)->WaitForPeer(bsf_identity, absl::Seconds(20)); !s.ok()) {
    std::cerr << "zn-diameter-load: " << s.message() << "\n";
    return 1;
  }
  const zn_diameter::ZnDiameterClient client(**node, bsf_identity, "");
  const Bytes naf_id = NafId::Create(naf_fqdn, UaSecurityProtocolId::Tls(0x00AE)).value().Encode();
  size_t next = 0;
  auto lookup = [&](int) -> absl::Status {
    zn_diameter::ZnQuery query{
        .btid = btids[next++ % btids.size()], .naf_id = naf_id, .gsids = {}, .gba_u_aware = false};
    absl::StatusOr<zn_diameter::ZnResult> r = client.Exchange(query, absl::Seconds(5));
    if (!r.ok()) return r.status();
    if (!r->success()) return zn_diameter::StatusFromZnResult(*r, bsf_identity);
    return absl::OkStatus();
  };
  auto no_lookup = [&](int) -> absl::Status {
    zn_diameter::ZnQuery query{
        .btid = "not-a-b-tid", .naf_id = naf_id, .gsids = {}, .gba_u_aware = false};
    absl::StatusOr<zn_diameter::ZnResult> r = client.Exchange(query, absl::Seconds(5));
    if (!r.ok()) return r.status();
    if (r->code != zn_diameter::kErrorTransactionIdentifierInvalid) {
      return absl::InternalError(absl::StrCat("expected 5403, got ", r->code));
    }
    return absl::OkStatus();
  };
  const absl::Time start = absl::FromUnixMillis(start_at_ms);
  if (absl::Now() < start) absl::SleepFor(start - absl::Now());
  const auto [with, without] =
      bench::RunInterleaved(1, rounds, std::chrono::milliseconds(round_ms), lookup, no_lookup);
  std::cout << nlohmann::json{{"lookup", bench::LoadStatsJson(with)},
                              {"no_lookup", bench::LoadStatsJson(without)}}
                   .dump()
            << std::endl;
  return 0;
}
