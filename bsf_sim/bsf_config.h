// BsfConfig: everything `bsf-sim serve` needs, from a TOML file (--config) overlaid by
// command-line flags (flags win). The file uses the flags' names with '_':
//
//   ub_listen     = "127.0.0.1:8080"     # HOST:PORT, port 0 = ephemeral
//   zn_listen     = "127.0.0.1:50051"
//   db            = "hss.db"             # subscriber database (SQLite)
//   bsf_name      = "bsf.mnc001.mcc001.pub.3gppnetwork.org"   # B-TID domain
//   realm         = "bsf.mnc001.mcc001.pub.3gppnetwork.org"   # digest realm; default bsf_name
//   lifetime      = 3600                 # key lifetime, seconds
//   nonce_timeout = 60                   # seconds a challenge may stay unanswered
//   ind_bits      = 5                    # SQN IND bits (TS 33.102 C.3.2); match the cards
//   max_sessions  = 100000
//   ub_threads    = 64                   # Ub worker threads: one per open HTTP connection
//   ub_tls_cert = "ub.pem"   ub_tls_key = "ub.key"
//   zn_tls_cert = "zn.pem"   zn_tls_key = "zn.key"   zn_client_ca = "nafs-ca.pem"
//   diameter_listen   = "127.0.0.1:3868" # Diameter Zn (TS 29.109), plain TCP, loopback only
//   diameter_identity = "bsf.example.org"   # Origin-Host; default bsf_name
//   diameter_realm    = "example.org"       # Origin-Realm; default: identity minus 1st label
//   diameter_nafs     = ["naf.example.org", "peer.example.org=mef.example.org"]
//   diameter_tls_port = 5868                # TLS from the first byte, with the three files:
//   diameter_tls_listen = "0.0.0.0:5868"    # or TLS on another host (instead of the port)
//   diameter_tls_cert = "bsf.pem"  diameter_tls_key = "bsf.key"  diameter_tls_ca = "ca.pem"
//   [naf_tokens]                         # plain loopback Zn only
//   "naf.example.org" = "s3cret"
//   [naf_services]                       # GAA services (GSIDs) a NAF may name on Zn
//   "naf.example.org" = ["42", "7"]
//
// Relative paths in the file are relative to the file's directory. Unknown keys are
// errors (a misspelt key would otherwise be silently ignored).
#ifndef GBABRIDGE_BSF_SIM_BSF_CONFIG_H_
#define GBABRIDGE_BSF_SIM_BSF_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bsf_sim/naf_services.h"
#include "bsf_sim/naf_token.h"
#include "bsf_sim/sqn_scheme.h"

namespace gbabridge::bsf {

struct BsfConfig {
  std::string ub_listen = "127.0.0.1:8080";
  std::string zn_listen = "127.0.0.1:50051";
  std::string db;
  std::string bsf_name;
  std::string realm;  // empty: bsf_name
  absl::Duration lifetime = absl::Hours(1);
  absl::Duration nonce_timeout = absl::Seconds(60);
  absl::Duration sweep_interval = absl::Seconds(1);
  int ind_bits = kDefaultIndBits;
  size_t max_sessions = 100000;
  // httplib serves each keep-alive connection on one worker thread until it closes, so this
  // bounds the UEs (connections) served at once; the rest wait in the accept queue.
  size_t ub_threads = 64;
  std::string ub_tls_cert;
  std::string ub_tls_key;
  std::string zn_tls_cert;
  std::string zn_tls_key;
  std::string zn_client_ca;
  std::vector<NafToken> naf_tokens;  // one per FQDN; a later one replaces an earlier one
  NafServices naf_services;          // GSIDs each NAF may name on Zn (gRPC and Diameter)
  // TMPI (TS 33.220 §4.5.2): advertised and kept (--no-tmpi turns it off); forget_tmpis
  // (--forget-tmpis) forgets each TMPI at once, to test a UE's fallback to its IMPI.
  bool tmpi = true;
  bool forget_tmpis = false;
  // Diameter Zn (TS 29.109 §6, diameter_zn_server.h): off unless diameter_listen or
  // diameter_tls_port is set.
  std::string diameter_listen;  // HOST:PORT, plain TCP (loopback only)
  std::string diameter_identity;
  std::string diameter_realm;
  int diameter_tls_port = 0;        // TLS on the plain port's host (default 127.0.0.1)
  std::string diameter_tls_listen;  // HOST:PORT for TLS, e.g. "0.0.0.0:5868"
  std::string diameter_tls_cert;
  std::string diameter_tls_key;
  std::string diameter_tls_ca;
  std::vector<std::string> diameter_nafs;  // IDENTITY[=FQDN,...]
};

// Reads the TOML file and overlays its values onto `config`.
absl::Status LoadBsfConfigFile(const std::string& path, BsfConfig& config);

// Adds or replaces the token of token.naf_fqdn.
void SetNafToken(BsfConfig& config, NafToken token);

// Checks what the file and flags together must give: db, bsf_name, listen addresses,
// positive durations, ind_bits in 0..16.
absl::Status ValidateBsfConfig(const BsfConfig& config);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_BSF_CONFIG_H_
