// DiameterNode: this process's freeDiameter core, configured from options instead of a
// hand-written freeDiameter.conf, with the Zn dictionary loaded.
//
// freeDiameter keeps one core per process (fd_core_initialize cannot run twice), so there
// is at most one DiameterNode per process; Create refuses a second one. CER/CEA, the
// watchdog (DWR/DWA, RFC 6733 §5.5) and reconnection are freeDiameter's.
//
// Transport: plain TCP on `port` (SCTP off), and TLS from the first byte (RFC 6733 §13) on
// `tls_port` when a certificate is given. freeDiameter itself insists that the local
// certificate chains to `tls_ca_file` and names `identity`; a TLS peer must present a
// certificate from that CA. Without a certificate TLS is off altogether.
//
// Peers: `connect_peers` are dialled (ConnectPeer); `accept_peers` are identities that may
// connect in without being dialled. Anyone else is refused in CER/CEA
// (DIAMETER_UNKNOWN_PEER), as freeDiameter refuses unknown peers by default. A peer that
// connects in over plain TCP is accepted only when `accept_plain_peers` is set.
#ifndef GBABRIDGE_PROTO_ZN_DIAMETER_DIAMETER_NODE_H_
#define GBABRIDGE_PROTO_ZN_DIAMETER_DIAMETER_NODE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/zn_diameter/zn_dictionary.h"

namespace gbabridge::zn_diameter {

struct DiameterConnectPeer {
  std::string identity;  // its Diameter Identity (FQDN), checked in CEA
  std::string host;      // numeric address to connect to
  int port = 3868;
  bool tls = false;  // TLS from the first byte (then `port` is the peer's secure port)
};

enum class DiameterLogLevel { kDebug, kInfo, kWarning, kError };
using DiameterLogSink = std::function<void(DiameterLogLevel, std::string_view)>;

struct DiameterNodeOptions {
  std::string identity;  // Origin-Host, an FQDN
  std::string realm;     // Origin-Realm; empty: the identity without its first label
  std::string listen_host = "127.0.0.1";  // numeric
  int port = 0;      // plain TCP listener; 0: none (a client that only dials out)
  int tls_port = 0;  // TLS listener; needs the three files below
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  std::vector<DiameterConnectPeer> connect_peers;
  std::vector<std::string> accept_peers;
  bool accept_plain_peers = false;
  int tc_timer_seconds = 5;   // reconnect interval (RFC 6733 Tc; freeDiameter's default 30)
  int tw_timer_seconds = 30;  // watchdog interval (RFC 3539 Tw)
  int app_threads = 4;        // freeDiameter AppServThreads: requests handled at once
  DiameterLogSink log;        // freeDiameter's messages; null: dropped below errors
};

class DiameterNode {
 public:
  // Initialises the core, loads the Zn dictionary and parses the configuration; the caller
  // then registers its handlers and calls Start. Fails with a message naming the option.
  static absl::StatusOr<std::unique_ptr<DiameterNode>> Create(DiameterNodeOptions options);
  ~DiameterNode();  // shuts the core down (waits for it)
  DiameterNode(const DiameterNode&) = delete;
  DiameterNode& operator=(const DiameterNode&) = delete;

  absl::Status Start();
  // Waits until the peer's connection is open (CER/CEA done); DeadlineExceeded otherwise,
  // naming the peer's state.
  absl::Status WaitForPeer(std::string_view identity, absl::Duration timeout) const;
  // "STATE_OPEN", "STATE_WAITCNXACK", ... or "unknown peer".
  std::string PeerState(std::string_view identity) const;

  const ZnDictionary& zn() const { return zn_; }
  const DiameterNodeOptions& options() const { return options_; }
  const std::string& realm() const { return realm_; }

 private:
  DiameterNode(DiameterNodeOptions options, std::string realm, ZnDictionary zn);

  DiameterNodeOptions options_;
  std::string realm_;
  ZnDictionary zn_;
  bool started_ = false;
};

// The realm a Diameter identity implies when none is given: the identity without its
// first label ("bsf.example.org" -> "example.org"), as freeDiameter itself defaults it.
std::string DefaultDiameterRealm(std::string_view identity);

// The freeDiameter configuration text for `options` (exposed for tests; bsf-sim writes it
// to a private file that freeDiameter reads at start).
absl::StatusOr<std::string> RenderFreeDiameterConfig(const DiameterNodeOptions& options);

}  // namespace gbabridge::zn_diameter

#endif  // GBABRIDGE_PROTO_ZN_DIAMETER_DIAMETER_NODE_H_
