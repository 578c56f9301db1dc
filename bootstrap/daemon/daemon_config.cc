#include "bootstrap/daemon/daemon_config.h"

#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "uicc/modem/serial_port.h"

namespace gbabridge::daemon {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

using KeySet = std::set<std::string, std::less<>>;

constexpr int64_t kMaxSeconds = int64_t{24} * 3600;
constexpr int64_t kMaxCachedNafKeys = 1'000'000;
// [session] max_session_lifetime_seconds: a minute (tests) to 30 days.
constexpr int64_t kMinSessionLifetimeSeconds = 60;
constexpr int64_t kMaxSessionLifetimeSeconds = int64_t{30} * 24 * 3600;

// spdlog's level names, most verbose first.
const std::vector<std::string>& LogLevels() {
  static const auto* levels =
      new std::vector<std::string>{"trace", "debug", "info", "warn", "error", "critical", "off"};
  return *levels;
}

bool IsLogLevel(std::string_view level) {
  return std::find(LogLevels().begin(), LogLevels().end(), level) != LogLevels().end();
}

// "FILE:LINE" for error messages.
std::string Where(std::string_view source, const toml::source_region& region) {
  return absl::StrCat(Sv(source), ":", uint32_t{region.begin.line});
}

absl::Status UnknownKey(std::string_view source, const toml::key& key, std::string_view section,
                        const KeySet& known) {
  return absl::InvalidArgumentError(
      absl::StrCat("config ", Where(source, key.source()), ": unknown key '", Sv(key.str()),
                   "' in [", Sv(section), "] (known: ", absl::StrJoin(known, ", "), ")"));
}

// Reads the keys of one section; every error names file:line, the section and the key.
class SectionReader {
 public:
  SectionReader(const toml::table& table, std::string_view source, std::string_view section,
                std::string_view base_dir)
      : table_(table), source_(source), section_(section), base_dir_(base_dir) {}

  absl::Status CheckKeys(const KeySet& known) const {
    for (auto&& [key, value] : table_) {
      if (!known.contains(key.str())) return UnknownKey(source_, key, section_, known);
    }
    return absl::OkStatus();
  }

  absl::Status Error(const toml::node& node, std::string_view key, std::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat("config ", Where(source_, node.source()), ": [",
                                                   Sv(section_), "] ", Sv(key), " ", Sv(problem)));
  }

  absl::Status String(std::string_view key, std::string& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_string()) return Error(*node, key, "must be a string");
    out = node->as_string()->get();
    return absl::OkStatus();
  }

  // A file path; a relative one is taken from the config file's directory.
  absl::Status Path(std::string_view key, std::string& out) const {
    std::string value;
    if (absl::Status s = String(key, value); !s.ok()) return s;
    if (table_.get(key) == nullptr) return absl::OkStatus();
    const std::filesystem::path p(value);
    out = value.empty() || p.is_absolute() || base_dir_.empty()
              ? value
              : (std::filesystem::path(base_dir_) / p).lexically_normal().string();
    return absl::OkStatus();
  }

  absl::Status Integer(std::string_view key, int64_t min, int64_t max, int64_t& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_integer()) return Error(*node, key, "must be an integer");
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return Error(*node, key, absl::StrCat("is ", value, "; must be in ", min, "..", max));
    }
    out = value;
    return absl::OkStatus();
  }

  absl::Status Seconds(std::string_view key, int64_t min, absl::Duration& out) const {
    int64_t seconds = -1;
    if (absl::Status s = Integer(key, min, kMaxSeconds, seconds); !s.ok()) return s;
    if (seconds >= 0) out = absl::Seconds(seconds);
    return absl::OkStatus();
  }

  const toml::node* Get(std::string_view key) const { return table_.get(key); }

 private:
  const toml::table& table_;
  std::string_view source_;
  std::string_view section_;
  std::string_view base_dir_;
};

absl::StatusOr<CardTransportKind> ParseTransport(std::string_view name) {
  if (name == "pcsc") return CardTransportKind::kPcsc;
  if (name == "modem") return CardTransportKind::kModem;
  return absl::InvalidArgumentError(
      absl::StrCat("card transport '", Sv(name), "' is neither \"pcsc\" nor \"modem\""));
}

absl::Status ApplyCard(const SectionReader& r, DaemonConfig& config) {
  if (absl::Status s =
          r.CheckKeys({"transport", "reader", "pin_file", "pin_credential", "pin_rejections_file",
                       "modem_port", "modem_baud", "modem_command_timeout_seconds",
                       "modem_lock_dir", "modem_logical_channel"});
      !s.ok()) {
    return s;
  }
  std::string transport;
  if (absl::Status s = r.String("transport", transport); !s.ok()) return s;
  if (!transport.empty()) {
    absl::StatusOr<CardTransportKind> kind = ParseTransport(transport);
    if (!kind.ok())
      return r.Error(*r.Get("transport"), "transport", std::string(kind.status().message()));
    config.transport = *kind;
  }
  int64_t baud = config.modem_baud;
  for (absl::Status s :
       {r.String("modem_port", config.modem_port), r.Integer("modem_baud", 300, 4000000, baud),
        r.Seconds("modem_command_timeout_seconds", 1, config.modem_command_timeout),
        r.String("modem_lock_dir", config.modem_lock_dir)}) {
    if (!s.ok()) return s;
  }
  config.modem_baud = static_cast<int>(baud);
  if (const toml::node* node = r.Get("modem_logical_channel"); node != nullptr) {
    if (!node->is_boolean())
      return r.Error(*node, "modem_logical_channel", "must be true or false");
    config.modem_logical_channel = node->as_boolean()->get();
  }
  if (absl::Status s = r.String("reader", config.reader); !s.ok()) return s;
  if (absl::Status s = r.String("pin_credential", config.pin_credential); !s.ok()) return s;
  if (absl::Status s = r.Path("pin_rejections_file", config.pin_rejections_file); !s.ok()) {
    return s;
  }
  return r.Path("pin_file", config.pin_file);
}

absl::Status ApplyBsf(const SectionReader& r, DaemonConfig& config) {
  if (absl::Status s = r.CheckKeys(
          {"url", "ca_file", "connect_timeout_seconds", "total_timeout_seconds", "gba_mode"});
      !s.ok()) {
    return s;
  }
  for (absl::Status s : {r.String("url", config.bsf_url), r.Path("ca_file", config.bsf_ca_file),
                         r.Seconds("connect_timeout_seconds", 1, config.connect_timeout),
                         r.Seconds("total_timeout_seconds", 1, config.total_timeout)}) {
    if (!s.ok()) return s;
  }
  if (const toml::node* node = r.Get("gba_mode"); node != nullptr) {
    std::string mode;
    if (absl::Status s = r.String("gba_mode", mode); !s.ok()) return s;
    if (mode != "auto" && mode != "me") {
      return r.Error(*node, "gba_mode",
                     absl::StrCat("is \"", mode,
                                  "\"; must be \"auto\" (GBA_U on GBA-aware cards, else GBA_ME) "
                                  "or \"me\" (always GBA_ME)"));
    }
    config.force_gba_me = mode == "me";
  }
  return absl::OkStatus();
}

absl::Status ApplySession(const SectionReader& r, DaemonConfig& config) {
  if (absl::Status s = r.CheckKeys(
          {"refresh_margin_seconds", "max_cached_naf_keys", "max_session_lifetime_seconds"});
      !s.ok()) {
    return s;
  }
  int64_t max_lifetime = -1;
  if (absl::Status s = r.Integer("max_session_lifetime_seconds", kMinSessionLifetimeSeconds,
                                 kMaxSessionLifetimeSeconds, max_lifetime);
      !s.ok()) {
    return s;
  }
  if (max_lifetime >= 0) config.max_session_lifetime = absl::Seconds(max_lifetime);
  if (absl::Status s = r.Seconds("refresh_margin_seconds", 0, config.refresh_margin); !s.ok()) {
    return s;
  }
  int64_t max_keys = static_cast<int64_t>(config.max_cached_naf_keys);
  if (absl::Status s = r.Integer("max_cached_naf_keys", 0, kMaxCachedNafKeys, max_keys); !s.ok()) {
    return s;
  }
  config.max_cached_naf_keys = static_cast<size_t>(max_keys);
  return absl::OkStatus();
}

absl::Status ApplyListen(const SectionReader& r, DaemonConfig& config) {
  if (absl::Status s =
          r.CheckKeys({"unix_socket", "unix_socket_mode", "unix_socket_group", "tcp",
                       "tls_cert_file", "tls_key_file", "tls_client_ca_file", "reflection"});
      !s.ok()) {
    return s;
  }
  if (const toml::node* node = r.Get("reflection"); node != nullptr) {
    if (!node->is_boolean()) return r.Error(*node, "reflection", "must be true or false");
    config.reflection = node->as_boolean()->get();
  }
  for (absl::Status s :
       {r.Path("unix_socket", config.unix_socket),
        r.String("unix_socket_group", config.unix_socket_group), r.String("tcp", config.tcp),
        r.Path("tls_cert_file", config.tls_cert_file), r.Path("tls_key_file", config.tls_key_file),
        r.Path("tls_client_ca_file", config.tls_client_ca_file)}) {
    if (!s.ok()) return s;
  }
  if (const toml::node* node = r.Get("unix_socket_mode"); node != nullptr) {
    // A string ("0660") as documented; a TOML octal integer (0o660) is accepted too.
    absl::StatusOr<mode_t> mode = absl::InvalidArgumentError("must be a string such as \"0660\"");
    if (node->is_string()) {
      mode = ParseSocketMode(node->as_string()->get());
    } else if (node->is_integer() && node->as_integer()->get() >= 0 &&
               node->as_integer()->get() <= 0777) {
      mode = static_cast<mode_t>(node->as_integer()->get());
    }
    if (!mode.ok()) return r.Error(*node, "unix_socket_mode", std::string(mode.status().message()));
    config.unix_socket_mode = *mode;
  }
  if (const toml::node* node = r.Get("tcp"); node != nullptr && !config.tcp.empty()) {
    absl::StatusOr<HostPort> address = ParseHostPort(config.tcp);
    if (!address.ok()) return r.Error(*node, "tcp", std::string(address.status().message()));
  }
  return absl::OkStatus();
}

absl::Status ApplyLog(const SectionReader& r, DaemonConfig& config) {
  if (absl::Status s = r.CheckKeys({"level", "audit_file"}); !s.ok()) return s;
  if (const toml::node* node = r.Get("level"); node != nullptr) {
    std::string level;
    if (absl::Status s = r.String("level", level); !s.ok()) return s;
    if (!IsLogLevel(level)) {
      return r.Error(
          *node, "level",
          absl::StrCat("is \"", level, "\"; must be one of ", absl::StrJoin(LogLevels(), ", ")));
    }
    config.log_level = level;
  }
  return r.Path("audit_file", config.audit_file);
}

absl::StatusOr<toml::table> ParseToml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", Sv(source), ":", uint32_t{error.source().begin.line},
                     ": TOML syntax error (column ", uint32_t{error.source().begin.column},
                     "): ", Sv(error.description())));
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", Sv(what), " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Appends the [[client]] entries of `table` to config.policy. Each file's entries are first
// checked on their own so that errors name the right file and index; then the policy is
// rebuilt from every entry so far (names must be unique across files).
absl::Status AppendPolicy(const toml::table& table, std::string_view source, DaemonConfig& config) {
  absl::StatusOr<Policy> own = Policy::FromToml(table, source);
  if (!own.ok()) return own.status();
  const toml::node* node = table.get("client");
  if (node == nullptr) return absl::OkStatus();
  for (const toml::node& entry : *node->as_array()) config.policy_entries.push_back(entry);
  toml::table all;
  all.insert("client", config.policy_entries);
  absl::StatusOr<Policy> merged = Policy::FromToml(all, "config and policy files");
  if (!merged.ok()) return merged.status();
  config.policy = *std::move(merged);
  return absl::OkStatus();
}

bool Readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

}  // namespace

std::string HostPort::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("\"", Sv(text), "\" is not HOST:PORT (", Sv(why),
                                                   "; e.g. 127.0.0.1:50443 or [::1]:50443)"));
  };
  HostPort result;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("an IPv6 address must be written [ADDRESS]:PORT");
    }
    result.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    result.host = std::string(text.substr(0, colon));
    if (result.host.find(':') != std::string::npos) {
      return bad("an IPv6 address must be written [ADDRESS]:PORT");
    }
    port = text.substr(colon + 1);
  }
  if (result.host.empty()) return bad("no host");
  // gRPC reads "SCHEME:..." listening addresses as URIs: "unix:1234" would be a Unix socket
  // named 1234, not TCP. A host that is a gRPC scheme name is therefore refused.
  for (const char* scheme : {"unix", "unix-abstract", "ipv4", "ipv6", "dns", "vsock"}) {
    if (absl::EqualsIgnoreCase(result.host, scheme)) {
      return bad("the host is a gRPC address scheme, not a host name");
    }
  }
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return bad("the port must be a number in 0..65535");
  }
  result.port = value;
  return result;
}

absl::StatusOr<mode_t> ParseSocketMode(std::string_view text) {
  mode_t mode = 0;
  if (text.empty() || text.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", Sv(text), "\" is not an octal mode such as \"0660\""));
  }
  for (const char c : text) {
    if (c < '0' || c > '7') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", Sv(text), "\" is not an octal mode such as \"0660\""));
    }
    mode = static_cast<mode_t>(mode * 8 + static_cast<mode_t>(c - '0'));
  }
  if (mode > 0777) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", Sv(text), "\": only permission bits (at most 0777) make sense for a socket"));
  }
  return mode;
}

absl::Status ApplyDaemonConfigToml(std::string_view toml_text, std::string_view source,
                                   std::string_view base_dir, DaemonConfig& config) {
  absl::StatusOr<toml::table> table = ParseToml(toml_text, source);
  if (!table.ok()) return table.status();
  using Apply = absl::Status (*)(const SectionReader&, DaemonConfig&);
  static const std::pair<const char*, Apply> kSections[] = {
      {"card", ApplyCard},     {"bsf", ApplyBsf}, {"session", ApplySession},
      {"listen", ApplyListen}, {"log", ApplyLog},
  };
  for (auto&& [key, value] : *table) {
    if (key.str() == "client") continue;  // Policy::FromToml checks its shape
    const Apply* apply = nullptr;
    for (const auto& [name, fn] : kSections) {
      if (key.str() == name) apply = &fn;
    }
    if (apply == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config ", Where(source, key.source()), ": unknown ",
          value.is_table() ? "section [" : "key '", Sv(key.str()), value.is_table() ? "]" : "'",
          " (known: [card], [bsf], [session], [listen], [log], [[client]])"));
    }
    const toml::table* section = value.as_table();
    if (section == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("config ", Where(source, key.source()), ": '",
                                                     Sv(key.str()), "' must be a section ([",
                                                     Sv(key.str()), "])"));
    }
    if (absl::Status s = (*apply)(SectionReader(*section, source, key.str(), base_dir), config);
        !s.ok()) {
      return s;
    }
  }
  return AppendPolicy(*table, source, config);
}

absl::Status LoadDaemonConfigFile(const std::string& path, DaemonConfig& config) {
  absl::StatusOr<std::string> text = ReadFile(path, "config file");
  if (!text.ok()) return text.status();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (absl::Status s = ApplyDaemonConfigToml(*text, path, dir.empty() ? "." : dir, config);
      !s.ok()) {
    return s;
  }
  config.sources.push_back(path);
  return absl::OkStatus();
}

absl::Status LoadPolicyFile(const std::string& path, DaemonConfig& config) {
  absl::StatusOr<std::string> text = ReadFile(path, "policy file");
  if (!text.ok()) return text.status();
  absl::StatusOr<toml::table> table = ParseToml(*text, path);
  if (!table.ok()) return table.status();
  for (auto&& [key, value] : *table) {
    if (key.str() != "client") {
      return absl::InvalidArgumentError(
          absl::StrCat("policy ", Where(path, key.source()), ": unknown key '", Sv(key.str()),
                       "' (a --policy file holds only [[client]] entries)"));
    }
  }
  if (absl::Status s = AppendPolicy(*table, path, config); !s.ok()) return s;
  config.sources.push_back(path);
  return absl::OkStatus();
}

absl::Status ValidateDaemonConfig(const DaemonConfig& config) {
  if (config.transport == CardTransportKind::kModem) {
    if (config.modem_port.empty()) {
      return absl::InvalidArgumentError(
          "[card] transport = \"modem\" needs modem_port (--modem), e.g. /dev/ttyUSB2");
    }
    if (!modem::BaudConstant(config.modem_baud).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("[card] modem_baud ", config.modem_baud,
                       " is not one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"));
    }
    if (!config.reader.empty()) {
      return absl::InvalidArgumentError(
          "[card] reader (--reader) is a PC/SC reader name; with transport = \"modem\" the "
          "card is the modem's (modem_port)");
    }
  }
  if (config.unix_socket.empty()) {
    return absl::InvalidArgumentError("[listen] unix_socket (--listen-unix) must not be empty");
  }
  if (config.unix_socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("[listen] unix_socket \"", config.unix_socket, "\" is longer than ",
                     sizeof(sockaddr_un{}.sun_path) - 1, " bytes, the limit for a Unix socket"));
  }
  if (config.unix_socket_mode > 0777) {
    return absl::InvalidArgumentError("[listen] unix_socket_mode must be at most 0777");
  }
  const bool any_tls = !config.tls_cert_file.empty() || !config.tls_key_file.empty() ||
                       !config.tls_client_ca_file.empty();
  if (!config.tcp.empty()) {
    absl::StatusOr<HostPort> address = ParseHostPort(config.tcp);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("[listen] tcp (--listen-tcp): ", address.status().message()));
    }
    if (config.tls_cert_file.empty() || config.tls_key_file.empty() ||
        config.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "the TCP listener needs mutual TLS: set tls_cert_file, tls_key_file and "
          "tls_client_ca_file in [listen] (--tls-cert, --tls-key, --tls-client-ca); clients "
          "must present a certificate issued by the client CA. NAF keys never cross a network "
          "unencrypted or to an unauthenticated peer");
    }
  } else if (any_tls) {
    return absl::InvalidArgumentError(
        "TLS files are set but [listen] tcp (--listen-tcp) is empty: give HOST:PORT to enable "
        "the TCP listener, or remove the TLS settings");
  }
  if (!config.pin_credential.empty()) {
    if (!config.pin_file.empty()) {
      return absl::InvalidArgumentError(
          "[card] pin_file (--pin-file) and pin_credential (--pin-credential) are both set; "
          "give one");
    }
    if (config.pin_credential.find('/') != std::string::npos || config.pin_credential == "." ||
        config.pin_credential == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("[card] pin_credential \"", config.pin_credential,
                       "\" must be a systemd credential name, not a path"));
    }
  }
  for (const auto& [what, path] :
       {std::pair<const char*, const std::string&>{"[card] pin_file (--pin-file)", config.pin_file},
        {"[bsf] ca_file (--bsf-ca-file)", config.bsf_ca_file},
        {"[listen] tls_cert_file (--tls-cert)", config.tls_cert_file},
        {"[listen] tls_key_file (--tls-key)", config.tls_key_file},
        {"[listen] tls_client_ca_file (--tls-client-ca)", config.tls_client_ca_file}}) {
    if (!path.empty() && !Readable(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": cannot read ", path, " (missing, or not readable by this user)"));
    }
  }
  if (config.connect_timeout < absl::Seconds(1) || config.total_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("[bsf] timeouts must be at least 1 second");
  }
  if (config.total_timeout < config.connect_timeout) {
    return absl::InvalidArgumentError(
        "[bsf] total_timeout_seconds must not be smaller than connect_timeout_seconds");
  }
  if (config.refresh_margin < absl::ZeroDuration() ||
      config.refresh_margin > absl::Seconds(kMaxSeconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("[session] refresh_margin_seconds must be in 0..", kMaxSeconds));
  }
  if (config.max_cached_naf_keys > static_cast<size_t>(kMaxCachedNafKeys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("[session] max_cached_naf_keys must be in 0..", kMaxCachedNafKeys));
  }
  if (!IsLogLevel(config.log_level)) {
    return absl::InvalidArgumentError(absl::StrCat("[log] level (--log-level) \"", config.log_level,
                                                   "\" must be one of ",
                                                   absl::StrJoin(LogLevels(), ", ")));
  }
  return absl::OkStatus();
}

DaemonCommandLine::DaemonCommandLine(CLI::App& app) : app_(app) {
  app.add_option(
      "--config", config_file_,
      "TOML configuration file (see bootstrap/daemon/examples/gbabridged.toml); flags override it");
  app.add_option("--policy", policy_files_,
                 "extra TOML file of [[client]] entries, appended after those of --config "
                 "(repeatable)");
  app.add_option("--reader", reader_, "PC/SC reader name (default: the first reader with a card)");
  app.add_option("--transport", transport_, "card transport: pcsc (default) or modem");
  app.add_option("--modem", modem_port_,
                 "the USIM is in a cellular modem on this AT port (implies --transport modem)");
  app.add_option("--modem-baud", modem_baud_, "the modem port's baud rate (default 115200)");
  app.add_option("--modem-timeout", modem_timeout_,
                 "seconds one AT command may take (default 10; AUTHENTICATE needs seconds)")
      ->check(CLI::Range(int64_t{1}, kMaxSeconds));
  app.add_option("--pin-file", pin_file_,
                 "file holding PIN1 (first line); verified once per card insertion, never "
                 "retried after a rejection");
  app.add_option("--pin-credential", pin_credential_,
                 "name of a systemd credential holding PIN1 (LoadCredential=, "
                 "LoadCredentialEncrypted=), read from $CREDENTIALS_DIRECTORY");
  app.add_option("--bsf-url", bsf_url_,
                 "BSF URL (default: https://bsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org/ from "
                 "the IMSI)");
  app.add_option("--bsf-ca-file", bsf_ca_file_, "CA certificates (PEM) for the BSF's HTTPS");
  app.add_flag("--gba-me", gba_me_, "always use GBA_ME, even on GBA-aware (GBA_U) cards");
  app.add_option("--listen-unix", listen_unix_,
                 absl::StrCat("Unix socket path (default ", kDefaultUnixSocket, ")"));
  app.add_option("--socket-mode", socket_mode_, "Unix socket permissions, octal (default 0660)");
  app.add_option("--socket-group", socket_group_,
                 "group (name or number) owning the Unix socket (default: the daemon's group)");
  app.add_flag("--reflection", reflection_,
               "serve gRPC server reflection (for grpcurl while developing); off by default: "
               "it answers any caller, outside the client policy");
  app.add_option("--listen-tcp", listen_tcp_,
                 "also listen on HOST:PORT with mutual TLS (needs --tls-cert, --tls-key, "
                 "--tls-client-ca; port 0 = ephemeral)");
  app.add_option("--tls-cert", tls_cert_, "TLS server certificate (PEM) for --listen-tcp");
  app.add_option("--tls-key", tls_key_, "TLS server private key (PEM) for --listen-tcp");
  app.add_option("--tls-client-ca", tls_client_ca_,
                 "CA (PEM) issuing the client certificates accepted on --listen-tcp");
  app.add_option("--refresh-margin", refresh_margin_,
                 "bootstrap again this many seconds before the key lifetime ends (default 60)")
      ->check(CLI::Range(int64_t{0}, kMaxSeconds));
  app.add_option("--log-level", log_level_,
                 "trace, debug, info, warn, error, critical or off (default info)");
  app.add_option("--audit-file", audit_file_,
                 "append audit lines to this file (default: the main log, stderr)");
}

bool DaemonCommandLine::Given(const char* flag) const {
  const CLI::Option* option = app_.get_option_no_throw(flag);
  return option != nullptr && option->count() > 0;
}

absl::StatusOr<DaemonConfig> DaemonCommandLine::Load() const {
  DaemonConfig config;
  if (!config_file_.empty()) {
    if (absl::Status s = LoadDaemonConfigFile(config_file_, config); !s.ok()) return s;
  }
  for (const std::string& file : policy_files_) {
    if (absl::Status s = LoadPolicyFile(file, config); !s.ok()) return s;
  }
  // Flags win over the files.
  if (Given("--reader")) config.reader = reader_;
  if (Given("--transport")) {
    absl::StatusOr<CardTransportKind> kind = ParseTransport(transport_);
    if (!kind.ok())
      return absl::InvalidArgumentError(absl::StrCat("--transport: ", kind.status().message()));
    config.transport = *kind;
  }
  if (Given("--modem")) {
    config.modem_port = modem_port_;
    config.transport = CardTransportKind::kModem;
  }
  if (Given("--modem-baud")) config.modem_baud = modem_baud_;
  if (Given("--modem-timeout")) config.modem_command_timeout = absl::Seconds(modem_timeout_);
  if (Given("--pin-file")) config.pin_file = pin_file_;
  if (Given("--pin-credential")) config.pin_credential = pin_credential_;
  if (Given("--bsf-url")) config.bsf_url = bsf_url_;
  if (Given("--bsf-ca-file")) config.bsf_ca_file = bsf_ca_file_;
  if (gba_me_) config.force_gba_me = true;
  if (Given("--listen-unix")) config.unix_socket = listen_unix_;
  if (Given("--socket-mode")) {
    absl::StatusOr<mode_t> mode = ParseSocketMode(socket_mode_);
    if (!mode.ok())
      return absl::InvalidArgumentError(absl::StrCat("--socket-mode: ", mode.status().message()));
    config.unix_socket_mode = *mode;
  }
  if (Given("--socket-group")) config.unix_socket_group = socket_group_;
  if (Given("--listen-tcp")) config.tcp = listen_tcp_;
  if (reflection_) config.reflection = true;
  if (Given("--tls-cert")) config.tls_cert_file = tls_cert_;
  if (Given("--tls-key")) config.tls_key_file = tls_key_;
  if (Given("--tls-client-ca")) config.tls_client_ca_file = tls_client_ca_;
  if (Given("--refresh-margin")) config.refresh_margin = absl::Seconds(refresh_margin_);
  if (Given("--log-level")) config.log_level = log_level_;
  if (Given("--audit-file")) config.audit_file = audit_file_;
  if (absl::Status s = ValidateDaemonConfig(config); !s.ok()) return s;
  return config;
}

}  // namespace gbabridge::daemon
