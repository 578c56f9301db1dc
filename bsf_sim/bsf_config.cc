#include "bsf_sim/bsf_config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/listen_address.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {
namespace {

const std::set<std::string, std::less<>>& KnownKeys() {
  static const auto* keys = new std::set<std::string, std::less<>>{"ub_listen",
                                                                   "zn_listen",
                                                                   "db",
                                                                   "bsf_name",
                                                                   "realm",
                                                                   "lifetime",
                                                                   "nonce_timeout",
                                                                   "ind_bits",
                                                                   "max_sessions",
                                                                   "ub_tls_cert",
                                                                   "ub_tls_key",
                                                                   "zn_tls_cert",
                                                                   "zn_tls_key",
                                                                   "zn_client_ca",
                                                                   "naf_tokens",
                                                                   "naf_services",
                                                                   "ub_threads",
                                                                   "diameter_listen",
                                                                   "diameter_identity",
                                                                   "diameter_realm",
                                                                   "diameter_tls_port",
                                                                   "diameter_tls_listen",
                                                                   "diameter_tls_cert",
                                                                   "diameter_tls_key",
                                                                   "diameter_tls_ca",
                                                                   "diameter_nafs"};
  return *keys;
}

class Reader {
 public:
  Reader(const toml::table& table, std::string path, std::filesystem::path dir)
      : table_(table), path_(std::move(path)), dir_(std::move(dir)) {}

  absl::Status Error(std::string_view key, std::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", path_, ": ", AbslView(key), " ", AbslView(problem)));
  }

  absl::Status String(std::string_view key, std::string& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_string()) return Error(key, "must be a string");
    out = node->as_string()->get();
    return absl::OkStatus();
  }

  // A file path; relative ones are taken from the config file's directory.
  absl::Status Path(std::string_view key, std::string& out) const {
    std::string value;
    if (absl::Status s = String(key, value); !s.ok() || value.empty()) return s;
    const std::filesystem::path p(value);
    out = p.is_absolute() ? value : (dir_ / p).lexically_normal().string();
    return absl::OkStatus();
  }

  absl::Status Integer(std::string_view key, int64_t min, int64_t max, int64_t& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_integer()) return Error(key, "must be an integer");
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return Error(key, absl::StrCat("is ", value, "; must be in ", min, "..", max));
    }
    out = value;
    return absl::OkStatus();
  }

  absl::Status Seconds(std::string_view key, absl::Duration& out) const {
    int64_t seconds = -1;
    if (absl::Status s = Integer(key, 1, int64_t{10} * 365 * 24 * 3600, seconds); !s.ok()) {
      return s;
    }
    if (seconds > 0) out = absl::Seconds(seconds);
    return absl::OkStatus();
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::filesystem::path dir_;
};

}  // namespace

void SetNafToken(BsfConfig& config, NafToken token) {
  for (NafToken& existing : config.naf_tokens) {
    if (existing.naf_fqdn == token.naf_fqdn) {
      existing = std::move(token);
      return;
    }
  }
  config.naf_tokens.push_back(std::move(token));
}

absl::Status LoadBsfConfigFile(const std::string& path, BsfConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string toml_text = text.str();
  toml::table table;
  try {
    table = toml::parse(toml_text, path);
  } catch (const toml::parse_error& error) {
    // The parser's description may quote a token, which may be a NAF token: position only.
    Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(toml_text.data()), toml_text.size()));
    return absl::InvalidArgumentError(absl::StrCat("config ", path, ": TOML syntax error at line ",
                                                   uint32_t{error.source().begin.line}, ", column ",
                                                   uint32_t{error.source().begin.column}));
  }
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(toml_text.data()), toml_text.size()));
  for (auto&& [key, value] : table) {
    if (!KnownKeys().contains(key.str())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config ", path, ": unknown key '", AbslView(key.str()),
          "' (known: ub_listen, zn_listen, db, bsf_name, realm, lifetime, nonce_timeout, "
          "ind_bits, max_sessions, ub_threads, ub_tls_cert, ub_tls_key, zn_tls_cert, zn_tls_key, "
          "zn_client_ca, diameter_listen, diameter_identity, diameter_realm, diameter_tls_port, "
          "diameter_tls_listen, "
          "diameter_tls_cert, diameter_tls_key, diameter_tls_ca, diameter_nafs, [naf_tokens], "
          "[naf_services])"));
    }
  }
  const Reader r(table, path, std::filesystem::path(path).parent_path());
  int64_t ind_bits = config.ind_bits;
  int64_t max_sessions = static_cast<int64_t>(config.max_sessions);
  int64_t ub_threads = static_cast<int64_t>(config.ub_threads);
  int64_t diameter_tls_port = config.diameter_tls_port;
  for (absl::Status s : {
           r.String("ub_listen", config.ub_listen),
           r.String("zn_listen", config.zn_listen),
           r.Path("db", config.db),
           r.String("bsf_name", config.bsf_name),
           r.String("realm", config.realm),
           r.Seconds("lifetime", config.lifetime),
           r.Seconds("nonce_timeout", config.nonce_timeout),
           r.Integer("ind_bits", 0, kMaxIndBits, ind_bits),
           r.Integer("max_sessions", 1, int64_t{1} << 32, max_sessions),
           r.Integer("ub_threads", 1, 4096, ub_threads),
           r.Path("ub_tls_cert", config.ub_tls_cert),
           r.Path("ub_tls_key", config.ub_tls_key),
           r.Path("zn_tls_cert", config.zn_tls_cert),
           r.Path("zn_tls_key", config.zn_tls_key),
           r.Path("zn_client_ca", config.zn_client_ca),
           r.String("diameter_listen", config.diameter_listen),
           r.String("diameter_identity", config.diameter_identity),
           r.String("diameter_realm", config.diameter_realm),
           r.Integer("diameter_tls_port", 0, 65535, diameter_tls_port),
           r.String("diameter_tls_listen", config.diameter_tls_listen),
           r.Path("diameter_tls_cert", config.diameter_tls_cert),
           r.Path("diameter_tls_key", config.diameter_tls_key),
           r.Path("diameter_tls_ca", config.diameter_tls_ca),
       }) {
    if (!s.ok()) return s;
  }
  config.ind_bits = static_cast<int>(ind_bits);
  config.max_sessions = static_cast<size_t>(max_sessions);
  config.ub_threads = static_cast<size_t>(ub_threads);
  config.diameter_tls_port = static_cast<int>(diameter_tls_port);
  if (const toml::node* node = table.get("diameter_nafs"); node != nullptr) {
    const toml::array* nafs = node->as_array();
    if (nafs == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config ", path, ": diameter_nafs must be an array of \"IDENTITY[=FQDN,...]\""));
    }
    for (const toml::node& naf : *nafs) {
      if (!naf.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("config ", path, ": diameter_nafs entries must be strings"));
      }
      config.diameter_nafs.push_back(naf.as_string()->get());
    }
  }

  if (const toml::node* node = table.get("naf_tokens"); node != nullptr) {
    const toml::table* tokens = node->as_table();
    if (tokens == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config ", path, ": naf_tokens must be a table of \"naf.fqdn\" = \"token\""));
    }
    for (auto&& [naf, value] : *tokens) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("config ", path, ": naf_tokens.\"",
                                                       AbslView(naf.str()), "\" must be a string"));
      }
      absl::StatusOr<NafToken> token = MakeNafToken(naf.str(), value.as_string()->get());
      if (!token.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("config ", path, ": ", token.status().message()));
      }
      SetNafToken(config, *std::move(token));
    }
  }

  if (const toml::node* node = table.get("naf_services"); node != nullptr) {
    const toml::table* services = node->as_table();
    if (services == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config ", path, ": naf_services must be a table of \"naf.fqdn\" = [\"GSID\", ...]"));
    }
    for (auto&& [naf, value] : *services) {
      const toml::array* gsids = value.as_array();
      if (gsids == nullptr || gsids->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("config ", path, ": naf_services.\"", AbslView(naf.str()),
                         "\" must be a non-empty array of GSID strings"));
      }
      std::vector<std::string> parts;
      for (const toml::node& gsid : *gsids) {
        if (!gsid.is_string()) {
          return absl::InvalidArgumentError(
              absl::StrCat("config ", path, ": naf_services.\"", AbslView(naf.str()),
                           "\" entries must be strings such as \"42\""));
        }
        parts.push_back(gsid.as_string()->get());
      }
      if (absl::Status s =
              AddNafServices(absl::StrCat(AbslView(naf.str()), "=", absl::StrJoin(parts, ",")),
                             config.naf_services);
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBsfConfig(const BsfConfig& config) {
  if (config.db.empty()) {
    return absl::InvalidArgumentError(
        "no subscriber database: give --db FILE (or db = in the config)");
  }
  if (config.bsf_name.empty()) {
    return absl::InvalidArgumentError(
        "no BSF name: give --bsf-name FQDN (the B-TID domain, e.g. "
        "bsf.mnc001.mcc001.pub.3gppnetwork.org)");
  }
  if (absl::Status s = ValidateFqdn(config.bsf_name); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bsf-name \"", config.bsf_name, "\" is not an FQDN: ", s.message()));
  }
  for (const char c : config.realm) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return absl::InvalidArgumentError(
          "--realm must not contain quotes, '\\' or control characters");
    }
  }
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"--ub-listen", config.ub_listen},
        {"--zn-listen", config.zn_listen}}) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(value);
    if (!address.ok())
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", address.status().message()));
  }
  if (config.lifetime < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--lifetime must be at least 1 second");
  }
  if (config.nonce_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--nonce-timeout must be at least 1 second");
  }
  if (config.ind_bits < 0 || config.ind_bits > kMaxIndBits) {
    return absl::InvalidArgumentError(absl::StrCat("ind_bits must be in 0..", kMaxIndBits));
  }
  if (config.max_sessions == 0) return absl::InvalidArgumentError("max_sessions must be positive");
  return absl::OkStatus();
}

}  // namespace gbabridge::bsf
