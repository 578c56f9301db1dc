// DiameterZnServer: Zn over Diameter (TS 29.109 §6), the interface real NAFs speak, beside
// the gRPC Zn and over the same session and subscriber stores (ZnLookup).
//
// A NAF is a Diameter peer listed with --diameter-naf IDENTITY[=FQDN,...]: it may connect
// in (CER/CEA by freeDiameter; anyone else gets DIAMETER_UNKNOWN_PEER) and ask for the keys
// of the FQDNs given (default: its identity). The NAF is the peer the request came from
// (freeDiameter's message source), not the Origin-Host it claims: bsf-sim serves directly
// connected NAFs, no relays (NoRelay).
//
// Plain TCP only on a loopback address, as for the gRPC Zn: keys would cross the network
// in clear. TLS (RFC 6733 §13, from the first byte) on the TLS port with a certificate,
// key and CA; NAFs then present a certificate from that CA.
//
// Answers (TS 29.109 §6.2; the Zn codes in Experimental-Result, vendor 10415):
//   keys                                        2001 DIAMETER_SUCCESS + key AVPs
//   malformed B-TID, unknown or expired B-TID   5403 DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID
//   another NAF's FQDN, NAF not in the USS      5402 DIAMETER_ERROR_NOT_AUTHORIZED
//   malformed NAF-Id or awareness value         5004 DIAMETER_INVALID_AVP_VALUE
//   subscriber database unreadable              3004 DIAMETER_TOO_BUSY
//   anything else                               5012 DIAMETER_UNABLE_TO_COMPLY
// A request breaking the command's ABNF (missing AVP, bad AVP length, unknown mandatory
// AVP) is answered by freeDiameter before it reaches us (5005, 5014, 5001).
#ifndef GBABRIDGE_BSF_SIM_DIAMETER_ZN_SERVER_H_
#define GBABRIDGE_BSF_SIM_DIAMETER_ZN_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf_sim/naf_services.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/subscriber_store.h"
#include "bsf_sim/zn_lookup.h"

struct disp_hdl;
struct msg;

namespace gbabridge::zn_diameter {
class DiameterNode;
}

namespace gbabridge::bsf {

struct DiameterNaf {
  std::string identity;            // its Diameter Identity
  std::vector<std::string> fqdns;  // the NAF FQDNs whose keys it may have
};

// "naf.example.com" or "naf.example.com=mef.example.com,other.example.com".
absl::StatusOr<DiameterNaf> ParseDiameterNaf(std::string_view spec);

struct DiameterZnOptions {
  std::string identity = "bsf.gba.test";
  std::string realm;  // empty: the identity without its first label
  std::string listen_host = "127.0.0.1";
  int port = 0;      // plain TCP (loopback only)
  int tls_port = 0;  // TLS, with the files below
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  std::vector<DiameterNaf> nafs;
  NafServices naf_services;  // the GAA services each NAF FQDN may name
  int app_threads = 4;
};

class DiameterZnServer {
 public:
  // Validates the options; starts freeDiameter's core in this process (one per process).
  static absl::StatusOr<std::unique_ptr<DiameterZnServer>> Start(DiameterZnOptions options,
                                                                 const SessionStore& sessions,
                                                                 SubscriberStore* subscribers);
  ~DiameterZnServer();
  DiameterZnServer(const DiameterZnServer&) = delete;
  DiameterZnServer& operator=(const DiameterZnServer&) = delete;

  const DiameterZnOptions& options() const { return options_; }
  uint64_t requests() const { return requests_.load(); }

  // freeDiameter's dispatch callback lands here with the request; returns with the answer
  // in *message, to be sent.
  int Handle(::msg** message);

 private:
  DiameterZnServer(DiameterZnOptions options, const SessionStore& sessions,
                   SubscriberStore* subscribers);
  std::vector<std::string> NamesOf(std::string_view peer) const;

  DiameterZnOptions options_;
  ZnLookup lookup_;
  std::unique_ptr<zn_diameter::DiameterNode> node_;
  disp_hdl* handler_ = nullptr;
  std::atomic<uint64_t> requests_{0};
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_DIAMETER_ZN_SERVER_H_
