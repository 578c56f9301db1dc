// DiameterZnFetcher: the TLS-PSK NAF's key over Diameter Zn (TS 29.109 §6.1), for BSFs that
// speak Diameter (bsf-sim with --diameter-listen, or an operator's BSF).
//
// Request: Transaction-Identifier = the B-TID, NAF-Id = this NAF's FQDN || Ua id
// 01 00 01 00 AE (TS 33.222 §5.4 with the cipher suite), GBA_U-Awareness-Indicator = YES
// for a "3GPP-bootstrapping-uicc." identity. Answer: ME-Key-Material is Ks_NAF (GBA_ME) or
// Ks_ext_NAF (GBA_U), the PSK either way; UICC-Key-Material (Ks_int_NAF), sent to a
// GBA_U-aware NAF for a GBA_U session, tells this NAF the session is GBA_U and is wiped.
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_DIAMETER_ZN_FETCHER_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_DIAMETER_ZN_FETCHER_H_

#include <memory>
#include <string>

#include "examples/tls_psk/zn_key_source.h"
#include "proto/zn_diameter/diameter_node.h"
#include "proto/zn_diameter/zn_diameter_client.h"

namespace gbabridge::examples {

struct DiameterZnSettings {
  std::string identity;      // this NAF's Diameter Identity (default: its FQDN)
  std::string realm;         // default: the identity without its first label
  std::string bsf_identity;  // the BSF peer
  std::string bsf_realm;     // default: the BSF identity without its first label
  std::string bsf_host;      // numeric
  int bsf_port = 3868;
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
};

// "bsf.example.org@127.0.0.1:3868" -> bsf_identity, bsf_host, bsf_port.
absl::Status ParseDiameterPeer(std::string_view spec, DiameterZnSettings& settings);

class DiameterZnFetcher : public ZnKeyFetcher {
 public:
  // Starts this process's Diameter node and waits (up to `connect_timeout`) for the BSF
  // peer's connection to open.
  static absl::StatusOr<std::unique_ptr<DiameterZnFetcher>> Connect(
      const DiameterZnSettings& settings, absl::Duration connect_timeout,
      std::chrono::milliseconds request_timeout);

  absl::StatusOr<ZnFetchedKey> Fetch(const std::string& naf_fqdn,
                                     const PskIdentity& identity) override;

 private:
  DiameterZnFetcher(std::unique_ptr<zn_diameter::DiameterNode> node, std::string bsf_identity,
                    std::string bsf_realm, std::chrono::milliseconds timeout);

  std::unique_ptr<zn_diameter::DiameterNode> node_;
  zn_diameter::ZnDiameterClient client_;
  std::chrono::milliseconds timeout_;
};

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_DIAMETER_ZN_FETCHER_H_
