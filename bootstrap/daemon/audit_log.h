// AuditLog: one line per NAF key handed out, and one per refused or failed request, on the
// spdlog logger named "audit" (oneM2M SER-008/022: who obtained which key, and who was
// refused). The daemon decides where that logger writes (a file, journald); if nobody
// registered it, it is created on first use with the default logger's sinks.
//
// A line names the caller (its transport identity and the policy entry that matched), the NAF
// FQDN, the Ua id, the B-TID, the key expiry (UTC, RFC 3339), the GBA mode and whether the
// key came from the cache. It never holds the key, Ks, RES or the IMPI (oneM2M SER-011: the
// B-TID is the pseudonym to correlate with the BSF's records).
//
// Format: `event=... key="value" ...` (logfmt), values quoted when they hold spaces, quotes
// or '=', so that a log collector can split the fields without knowing each event.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_AUDIT_LOG_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_AUDIT_LOG_H_

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "bootstrap/daemon/policy.h"
#include "bootstrap/daemon/session_manager.h"

namespace gbabridge::daemon {

inline constexpr char kAuditLoggerName[] = "audit";

// The "audit" logger from spdlog's registry, created (with the default logger's sinks) and
// registered if absent. Thread-safe.
std::shared_ptr<spdlog::logger> AuditLogger();

// Renders `value` for a logfmt line: as is when it is a plain token, else in double quotes
// with '"', '\\' and control characters escaped (a certificate subject is caller-chosen text).
std::string LogfmtValue(std::string_view value);

class AuditLog {
 public:
  // Null: AuditLogger().
  explicit AuditLog(std::shared_ptr<spdlog::logger> logger = nullptr);

  // Info: a key was served to `client_name` (the policy entry) for `peer`.
  void KeyIssued(const PeerIdentity& peer, std::string_view client_name, const NafKey& key);

  // Info: a Bootstrap RPC returned `session` (no key is issued by it).
  void Bootstrapped(const PeerIdentity& peer, std::string_view client_name,
                    const SessionSummary& session);

  // Warn: `rpc` was refused (policy, rate limit, invalid request) or failed (card, BSF).
  // `client_name` is empty when no policy entry matched; `naf_fqdn`/`ua_hex` are empty when
  // the RPC names no NAF or the request did not get that far. Logs the reason and code,
  // not the message.
  void Refused(std::string_view rpc, const std::optional<PeerIdentity>& peer,
               std::string_view client_name, std::string_view naf_fqdn, std::string_view ua_hex,
               const absl::Status& status);

  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_AUDIT_LOG_H_
