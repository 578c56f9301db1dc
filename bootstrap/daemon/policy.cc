#include "bootstrap/daemon/policy.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::daemon {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(Sv(s)); }

// Reads one [[client]] entry; every error names the source, the entry and the field, so
// that an operator can fix the file without guessing.
class EntryReader {
 public:
  EntryReader(const toml::table& table, std::string_view source, size_t index)
      : table_(table), prefix_(absl::StrCat("policy ", Sv(source), ": client[", index, "]")) {}

  void SetName(std::string_view name) { absl::StrAppend(&prefix_, " ('", Sv(name), "')"); }

  absl::Status Error(std::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, ": field '", Sv(field), "' ", what));
  }
  absl::Status EntryError(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, ": ", what));
  }

  absl::Status CheckKnownKeys() const {
    static const std::set<std::string, std::less<>> kKnown = {"name",
                                                              "uids",
                                                              "gids",
                                                              "cert_subjects",
                                                              "naf_patterns",
                                                              "ua_ids",
                                                              "may_read_impi",
                                                              "may_force_bootstrap",
                                                              "may_request_gba_me",
                                                              "rate_limit"};
    for (auto&& [key, value] : table_) {
      if (!kKnown.contains(key.str())) {
        return EntryError(absl::StrCat(
            "unknown field '", Sv(key.str()),
            "' (known: name, uids, gids, cert_subjects, naf_patterns, ua_ids, may_read_impi, "
            "may_force_bootstrap, may_request_gba_me, rate_limit)"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Name() const {
    const toml::node* node = table_.get("name");
    if (node == nullptr) return Error("name", "is missing");
    if (!node->is_string() || node->as_string()->get().empty()) {
      return Error("name", "must be a non-empty string");
    }
    return node->as_string()->get();
  }

  // A missing array is empty; a present one must hold only values of the right type.
  absl::StatusOr<std::vector<uint32_t>> Ids(std::string_view field) const {
    std::vector<uint32_t> out;
    const toml::node* node = table_.get(field);
    if (node == nullptr) return out;
    if (!node->is_array()) return Error(field, "must be an array of integers");
    for (const toml::node& element : *node->as_array()) {
      // 0xFFFFFFFF is (uid_t)-1, "no id" to the kernel: never a real caller.
      if (!element.is_integer() || element.as_integer()->get() < 0 ||
          element.as_integer()->get() >= 0xFFFFFFFFLL) {
        return Error(field, "must be an array of integers in 0..4294967294");
      }
      out.push_back(static_cast<uint32_t>(element.as_integer()->get()));
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> Strings(std::string_view field) const {
    std::vector<std::string> out;
    const toml::node* node = table_.get(field);
    if (node == nullptr) return out;
    if (!node->is_array()) return Error(field, "must be an array of strings");
    for (const toml::node& element : *node->as_array()) {
      if (!element.is_string() || element.as_string()->get().empty()) {
        return Error(field, "must be an array of non-empty strings");
      }
      out.push_back(element.as_string()->get());
    }
    return out;
  }

  absl::StatusOr<bool> Bool(std::string_view field, bool absent = false) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return absent;
    if (!node->is_boolean()) return Error(field, "must be true or false");
    return node->as_boolean()->get();
  }

  absl::StatusOr<std::optional<RateLimit>> Limit() const {
    const toml::node* node = table_.get("rate_limit");
    if (node == nullptr) return std::optional<RateLimit>();
    const toml::table* limit = node->as_table();
    if (limit == nullptr) {
      return Error("rate_limit", "must be a table like { requests = 10, per_seconds = 1 }");
    }
    for (auto&& [key, value] : *limit) {
      if (key.str() != "requests" && key.str() != "per_seconds") {
        return Error("rate_limit", absl::StrCat("has unknown key '", Sv(key.str()),
                                                "' (known: requests, per_seconds)"));
      }
    }
    const toml::node* requests = limit->get("requests");
    if (requests == nullptr || !requests->is_integer() || requests->as_integer()->get() < 1 ||
        requests->as_integer()->get() > RateLimit::kMaxRequests) {
      return Error("rate_limit",
                   absl::StrCat("needs requests = an integer in 1..", RateLimit::kMaxRequests));
    }
    const toml::node* per = limit->get("per_seconds");
    double seconds = -1;
    if (per != nullptr && per->is_integer())
      seconds = static_cast<double>(per->as_integer()->get());
    if (per != nullptr && per->is_floating_point()) seconds = per->as_floating_point()->get();
    const double max_seconds = static_cast<double>(RateLimit::kMaxPer.count());
    // At least 1 ms: a shorter period is a typo, not a policy.
    if (!std::isfinite(seconds) || seconds < 0.001 || seconds > max_seconds) {
      return Error("rate_limit", absl::StrCat("needs per_seconds = a number in 0.001..",
                                              RateLimit::kMaxPer.count()));
    }
    RateLimit out;
    out.requests = requests->as_integer()->get();
    out.per = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(seconds * 1e9)));
    return std::optional<RateLimit>(out);
  }

 private:
  const toml::table& table_;
  std::string prefix_;
};

absl::StatusOr<ClientPolicy> ReadEntry(const toml::table& table, std::string_view source,
                                       size_t index) {
  EntryReader reader(table, source, index);
  ClientPolicy client;
  absl::StatusOr<std::string> name = reader.Name();
  if (!name.ok()) return name.status();
  client.name = *std::move(name);
  reader.SetName(client.name);
  if (absl::Status known = reader.CheckKnownKeys(); !known.ok()) return known;

  absl::StatusOr<std::vector<uint32_t>> uids = reader.Ids("uids");
  if (!uids.ok()) return uids.status();
  absl::StatusOr<std::vector<uint32_t>> gids = reader.Ids("gids");
  if (!gids.ok()) return gids.status();
  absl::StatusOr<std::vector<std::string>> subjects = reader.Strings("cert_subjects");
  if (!subjects.ok()) return subjects.status();
  client.uids = *std::move(uids);
  client.gids = *std::move(gids);
  client.cert_subjects = *std::move(subjects);
  if (client.uids.empty() && client.gids.empty() && client.cert_subjects.empty()) {
    return reader.EntryError("names no caller: set at least one of uids, gids or cert_subjects");
  }

  absl::StatusOr<std::vector<std::string>> patterns = reader.Strings("naf_patterns");
  if (!patterns.ok()) return patterns.status();
  if (patterns->empty()) {
    return reader.Error("naf_patterns", "is missing or empty: list the NAF FQDNs allowed");
  }
  for (const std::string& text : *patterns) {
    absl::StatusOr<NafPattern> pattern = NafPattern::Parse(text);
    if (!pattern.ok()) {
      return reader.Error("naf_patterns", std::string(pattern.status().message()));
    }
    client.naf_patterns.push_back(*std::move(pattern));
  }

  absl::StatusOr<std::vector<std::string>> ua_ids = reader.Strings("ua_ids");
  if (!ua_ids.ok()) return ua_ids.status();
  if (ua_ids->empty()) {
    return reader.Error("ua_ids",
                        "is missing or empty: list Ua ids in hex (TS 33.220 Annex H) or \"*\"");
  }
  for (const std::string& text : *ua_ids) {
    if (text == "*") {
      if (ua_ids->size() != 1) {
        return reader.Error("ua_ids", "may hold \"*\" only on its own");
      }
      client.any_ua = true;
      break;
    }
    absl::StatusOr<UaSecurityProtocolId> ua = UaSecurityProtocolId::FromHex(text);
    if (!ua.ok()) {
      return reader.Error("ua_ids",
                          absl::StrCat("has '", text, "': ", std::string(ua.status().message())));
    }
    client.ua_ids.push_back(*ua);
  }

  absl::StatusOr<bool> impi = reader.Bool("may_read_impi");
  if (!impi.ok()) return impi.status();
  client.may_read_impi = *impi;
  absl::StatusOr<bool> force = reader.Bool("may_force_bootstrap", /*absent=*/true);
  if (!force.ok()) return force.status();
  client.may_force_bootstrap = *force;
  absl::StatusOr<bool> gba_me = reader.Bool("may_request_gba_me");
  if (!gba_me.ok()) return gba_me.status();
  client.may_request_gba_me = *gba_me;
  absl::StatusOr<std::optional<RateLimit>> limit = reader.Limit();
  if (!limit.ok()) return limit.status();
  client.rate_limit = *limit;
  return client;
}

}  // namespace

PeerIdentity PeerIdentity::Unix(uint32_t uid, uint32_t gid) {
  PeerIdentity peer;
  peer.uid = uid;
  peer.gid = gid;
  return peer;
}

PeerIdentity PeerIdentity::Certificate(std::string subject) {
  PeerIdentity peer;
  peer.cert_subject = std::move(subject);
  return peer;
}

std::string PeerIdentity::ToString() const {
  std::vector<std::string> parts;
  if (uid.has_value()) parts.push_back(absl::StrCat("uid=", *uid));
  if (gid.has_value()) parts.push_back(absl::StrCat("gid=", *gid));
  if (cert_subject.has_value()) parts.push_back(absl::StrCat("cert subject '", *cert_subject, "'"));
  if (parts.empty()) return "unidentified peer";
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<NafPattern> NafPattern::Parse(std::string_view pattern) {
  const std::string lower = Lower(pattern);
  const bool wildcard = absl::StartsWith(lower, "*.");
  const std::string fqdn = wildcard ? lower.substr(2) : lower;
  if (absl::StrContains(fqdn, '*')) {
    return absl::InvalidArgumentError(
        absl::StrCat("has '", Sv(pattern),
                     "': only an exact FQDN or a leading \"*.\" followed by an FQDN is allowed"));
  }
  // ValidateFqdn asks for two labels or more, so "*.com" is refused too: a pattern that
  // broad would hand keys for any NAF in a TLD to one application (oneM2M SER-024).
  if (absl::Status valid = ValidateFqdn(fqdn); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has '", Sv(pattern), "': ", std::string(valid.message())));
  }
  return NafPattern(fqdn, wildcard);
}

bool NafPattern::Matches(std::string_view fqdn) const {
  const std::string lower = Lower(fqdn);
  if (!wildcard_) return lower == fqdn_;
  // At least one label, then a dot, then the suffix: the dot is what keeps
  // "evil-m2m.example.com" out of "*.m2m.example.com".
  return lower.size() > fqdn_.size() + 1 && absl::EndsWith(lower, fqdn_) &&
         lower[lower.size() - fqdn_.size() - 1] == '.';
}

std::string NafPattern::ToString() const { return wildcard_ ? "*." + fqdn_ : fqdn_; }

bool ClientPolicy::MatchesPeer(const PeerIdentity& peer) const {
  auto contains = [](const auto& list, const auto& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  return (peer.uid.has_value() && contains(uids, *peer.uid)) ||
         (peer.gid.has_value() && contains(gids, *peer.gid)) ||
         (peer.cert_subject.has_value() && contains(cert_subjects, *peer.cert_subject));
}

bool ClientPolicy::AllowsNaf(std::string_view fqdn) const {
  return std::any_of(naf_patterns.begin(), naf_patterns.end(),
                     [&](const NafPattern& pattern) { return pattern.Matches(fqdn); });
}

bool ClientPolicy::AllowsUa(const UaSecurityProtocolId& ua) const {
  return any_ua || std::find(ua_ids.begin(), ua_ids.end(), ua) != ua_ids.end();
}

absl::StatusOr<Policy> Policy::FromToml(const toml::table& table, std::string_view source) {
  Policy policy;
  const toml::node* node = table.get("client");
  if (node == nullptr) return policy;  // no entries: default deny (oneM2M SER-008)
  const toml::array* entries = node->as_array();
  if (entries == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy ", Sv(source), ": 'client' must be an array of tables ([[client]] sections)"));
  }
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < entries->size(); ++i) {
    const toml::table* entry = entries->get(i)->as_table();
    if (entry == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy ", Sv(source), ": client[", i, "] must be a table"));
    }
    absl::StatusOr<ClientPolicy> client = ReadEntry(*entry, source, i);
    if (!client.ok()) return client.status();
    // Names key the rate-limit buckets and the audit log: they must be unique.
    if (!names.insert(client->name).second) {
      return absl::InvalidArgumentError(absl::StrCat("policy ", Sv(source), ": client[", i,
                                                     "]: field 'name' repeats '", client->name,
                                                     "'; names must be unique"));
    }
    policy.clients_.push_back(*std::move(client));
  }
  return policy;
}

absl::StatusOr<Policy> Policy::Parse(std::string_view toml_text, std::string_view source) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy ", Sv(source), ": TOML syntax error at line ", uint32_t{error.source().begin.line},
        ", column ", uint32_t{error.source().begin.column}, ": ", Sv(error.description())));
  }
  return FromToml(table, source);
}

absl::StatusOr<const ClientPolicy*> Policy::FindClient(const PeerIdentity& peer) const {
  for (const ClientPolicy& client : clients_) {
    if (client.MatchesPeer(peer)) return &client;
  }
  return wire::WireError(
      v1::CALLER_NOT_ALLOWED,
      absl::StrCat("no client policy matches the caller (", peer.ToString(),
                   "); access is denied by default (oneM2M SER-008). Add a "
                   "[[client]] entry naming its uid, gid or certificate subject"));
}

absl::StatusOr<const ClientPolicy*> Policy::Authorize(const PeerIdentity& peer,
                                                      const NafId& naf_id) const {
  absl::StatusOr<const ClientPolicy*> client = FindClient(peer);
  if (!client.ok()) return client;
  const ClientPolicy& entry = **client;
  if (!entry.AllowsNaf(naf_id.fqdn())) {
    std::vector<std::string> allowed;
    for (const NafPattern& pattern : entry.naf_patterns) allowed.push_back(pattern.ToString());
    return wire::WireError(
        v1::NAF_NOT_ALLOWED,
        absl::StrCat("client '", entry.name, "' may not obtain keys for NAF '", naf_id.fqdn(),
                     "' (allowed: ", absl::StrJoin(allowed, ", "), "; oneM2M SER-022)"));
  }
  if (!entry.AllowsUa(naf_id.ua())) {
    std::vector<std::string> allowed;
    for (const UaSecurityProtocolId& ua : entry.ua_ids) allowed.push_back(ua.ToHex());
    return wire::WireError(
        v1::UA_NOT_ALLOWED,
        absl::StrCat("client '", entry.name, "' may not use Ua security protocol ",
                     naf_id.ua().ToHex(), " (", naf_id.ua().Describe(),
                     ") (allowed: ", absl::StrJoin(allowed, ", "), "; oneM2M SER-024)"));
  }
  return client;
}

bool Policy::MayReadImpi(const PeerIdentity& peer) const {
  absl::StatusOr<const ClientPolicy*> client = FindClient(peer);
  return client.ok() && (*client)->may_read_impi;
}

}  // namespace gbabridge::daemon
