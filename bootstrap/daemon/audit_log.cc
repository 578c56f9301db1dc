#include "bootstrap/daemon/audit_log.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::daemon {
namespace {

std::string Rfc3339Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string PeerText(const std::optional<PeerIdentity>& peer) {
  return peer.has_value() ? peer->ToString() : "unidentified peer";
}

// Refusals the caller caused (policy, rate limit, a bad request) versus failures of the card
// or the network: an operator reads the first as "who tried what", the second as "what broke".
bool IsDenial(absl::StatusCode code) {
  return code == absl::StatusCode::kPermissionDenied ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kInvalidArgument;
}

}  // namespace

std::shared_ptr<spdlog::logger> AuditLogger() {
  // get-or-create must be atomic: spdlog::register_logger throws on a duplicate name.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (std::shared_ptr<spdlog::logger> existing = spdlog::get(kAuditLoggerName)) return existing;
  const std::shared_ptr<spdlog::logger> fallback = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(kAuditLoggerName, fallback->sinks().begin(),
                                                 fallback->sinks().end());
  logger->set_level(spdlog::level::info);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    // Registered meanwhile by code that does not take our mutex (the daemon's setup).
    if (std::shared_ptr<spdlog::logger> existing = spdlog::get(kAuditLoggerName)) return existing;
  }
  return logger;
}

std::string LogfmtValue(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '"' || c == '\\' || c == '=') plain = false;
  }
  if (plain) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

AuditLog::AuditLog(std::shared_ptr<spdlog::logger> logger)
    : logger_(logger != nullptr ? std::move(logger) : AuditLogger()) {}

void AuditLog::KeyIssued(const PeerIdentity& peer, std::string_view client_name,
                         const NafKey& key) {
  // Deliberately field by field: the key and the IMPI in `key` must never be printed.
  const std::string line = absl::StrCat(
      "event=key_issued client=", LogfmtValue(client_name), " peer=", LogfmtValue(peer.ToString()),
      " naf=", LogfmtValue(key.naf.fqdn()), " ua=", key.naf.ua().ToHex(),
      " btid=", LogfmtValue(key.btid), " expiry=", Rfc3339Utc(key.expiry),
      " mode=", std::string(GbaModeName(key.mode)), " cache=", key.cache_hit ? "hit" : "miss");
  logger_->info(line);
}

void AuditLog::Bootstrapped(const PeerIdentity& peer, std::string_view client_name,
                            const SessionSummary& session) {
  const std::string line = absl::StrCat(
      "event=bootstrap client=", LogfmtValue(client_name), " peer=", LogfmtValue(peer.ToString()),
      " btid=", LogfmtValue(session.btid), " expiry=", Rfc3339Utc(session.expiry),
      " mode=", std::string(GbaModeName(session.mode)));
  logger_->info(line);
}

void AuditLog::Refused(std::string_view rpc, const std::optional<PeerIdentity>& peer,
                       std::string_view client_name, std::string_view naf_fqdn,
                       std::string_view ua_hex, const absl::Status& status) {
  const absl::StatusCode code = wire::ToWireStatus(status).code();
  std::string line = absl::StrCat(IsDenial(code) ? "event=denied" : "event=failed",
                                  " rpc=", LogfmtValue(rpc), " peer=", LogfmtValue(PeerText(peer)));
  if (!client_name.empty()) absl::StrAppend(&line, " client=", LogfmtValue(client_name));
  // The FQDN as the caller sent it may be malformed (INCORRECT_NAF_ID): quoted and escaped.
  if (!naf_fqdn.empty()) absl::StrAppend(&line, " naf=", LogfmtValue(naf_fqdn));
  if (!ua_hex.empty()) absl::StrAppend(&line, " ua=", LogfmtValue(ua_hex));
  absl::StrAppend(&line, " reason=", std::string(wire::ErrorReasonName(status)),
                  " code=", wire::StatusCodeName(code));
  logger_->warn(line);
}

}  // namespace gbabridge::daemon
