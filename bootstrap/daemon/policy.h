// Client authorisation for gbabridged: which local application may obtain which NAF key
// (oneM2M SER-008 countermeasures against unauthorised access, SER-014/022 per-application
// authorisation, SER-015 identity only to authorised applications, SER-024 segregation).
// Default deny: a caller that no [[client]] entry names gets nothing.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_POLICY_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_POLICY_H_

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bootstrap/daemon/rate_limiter.h"
#include "bootstrap/protocol/naf_id.h"

namespace gbabridge::daemon {

// Who is calling, as the transport established it (never as the caller claims it).
struct PeerIdentity {
  // Unix socket: SO_PEERCRED uid and primary gid. Supplementary groups are not considered:
  // SO_PEERCRED does not carry them, and reading /proc for them would be racy.
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  // mTLS: the verified client certificate's subject in RFC 4514 form, e.g.
  // "CN=meter,O=Acme". Compared exactly.
  std::optional<std::string> cert_subject;

  static PeerIdentity Unix(uint32_t uid, uint32_t gid);
  static PeerIdentity Certificate(std::string subject);
  // For logs and error messages: "uid=1001 gid=1001" or "cert subject 'CN=meter,O=Acme'".
  std::string ToString() const;
};

// A NAF FQDN pattern: an exact FQDN, or "*." + FQDN matching one or more extra leading
// labels ("*.m2m.example.com" matches "a.m2m.example.com" and "a.b.m2m.example.com", but
// neither "m2m.example.com" nor "evil-m2m.example.com"). Case-insensitive (RFC 4343).
class NafPattern {
 public:
  static absl::StatusOr<NafPattern> Parse(std::string_view pattern);
  bool Matches(std::string_view fqdn) const;
  std::string ToString() const;

 private:
  NafPattern(std::string suffix, bool wildcard) : fqdn_(std::move(suffix)), wildcard_(wildcard) {}
  std::string fqdn_;  // lower case; for a wildcard, the part after "*."
  bool wildcard_;
};

// One [[client]] entry.
struct ClientPolicy {
  std::string name;
  // The caller matches when its uid is in `uids`, or its gid in `gids`, or its certificate
  // subject in `cert_subjects`.
  std::vector<uint32_t> uids;
  std::vector<uint32_t> gids;
  std::vector<std::string> cert_subjects;
  std::vector<NafPattern> naf_patterns;
  bool any_ua = false;  // ua_ids = ["*"]
  std::vector<UaSecurityProtocolId> ua_ids;
  bool may_read_impi = false;  // oneM2M SER-011/015: off unless stated
  // force_bootstrap replaces the session every client shares (an AUTHENTICATE and an SQN
  // each, and the cached keys go). On by default: TS 33.220 §4.5.3 lets a NAF ask the UE to
  // bootstrap again, and the application is the one that hears it.
  bool may_force_bootstrap = true;
  // gba_mode_preference = GBA_MODE_ME on a GBA_U card moves Ks out of the UICC into host
  // memory for every client (TS 33.220 §5.3 vs §4.5.2; oneM2M SER-023). Off unless stated.
  bool may_request_gba_me = false;
  std::optional<RateLimit> rate_limit;  // absent: not limited

  bool MatchesPeer(const PeerIdentity& peer) const;
  bool AllowsNaf(std::string_view fqdn) const;
  bool AllowsUa(const UaSecurityProtocolId& ua) const;
};

class Policy {
 public:
  Policy() = default;  // no entries: denies everyone

  // Reads the [[client]] array of `table` (other keys of `table` are left to the caller,
  // so the policy can live in the daemon's main config). Unknown keys inside a [[client]]
  // entry are errors: a misspelt security setting must not silently fall back to a default.
  static absl::StatusOr<Policy> FromToml(const toml::table& table,
                                         std::string_view source = "policy");
  static absl::StatusOr<Policy> Parse(std::string_view toml_text,
                                      std::string_view source = "policy");

  // The first entry, in file order, that names the caller; PERMISSION_DENIED with reason
  // CALLER_NOT_ALLOWED otherwise. For RPCs that need a known caller but no NAF (Bootstrap,
  // GetStatus, WatchEvents).
  absl::StatusOr<const ClientPolicy*> FindClient(const PeerIdentity& peer) const;

  // FindClient, then checks the NAF FQDN and the Ua id against that entry only (first
  // match decides, like a firewall: predictable, and one entry's rate limit applies).
  // PERMISSION_DENIED with reason CALLER_NOT_ALLOWED, NAF_NOT_ALLOWED or UA_NOT_ALLOWED.
  absl::StatusOr<const ClientPolicy*> Authorize(const PeerIdentity& peer,
                                                const NafId& naf_id) const;

  // True only when the caller's entry says may_read_impi = true.
  bool MayReadImpi(const PeerIdentity& peer) const;

  const std::vector<ClientPolicy>& clients() const { return clients_; }

 private:
  std::vector<ClientPolicy> clients_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_POLICY_H_
