#include "proto/zn_diameter/diameter_node.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
// clang-format on

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gbabridge::zn_diameter {
namespace {

// One core per process (freeDiameter's own rule), hence process-wide state for its C
// callbacks: the log sink and the peers that may connect in.
std::atomic<bool> g_node_created{false};
std::mutex g_mutex;
DiameterLogSink g_log;
std::vector<std::string> g_accept_peers;  // lower case
bool g_accept_plain = false;

void LogToSink(int level, const char* format, va_list args) {
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, args);
  DiameterLogSink sink;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    sink = g_log;
  }
  // FD_LOG_FATAL is also what the core logs on a normal shutdown: never abort on it.
  const bool shutdown = std::strstr(line, "shutdown sequence") != nullptr;
  const DiameterLogLevel mapped = shutdown                 ? DiameterLogLevel::kInfo
                                  : level >= FD_LOG_FATAL  ? DiameterLogLevel::kError
                                  : level >= FD_LOG_ERROR  ? DiameterLogLevel::kWarning
                                  : level >= FD_LOG_NOTICE ? DiameterLogLevel::kInfo
                                                           : DiameterLogLevel::kDebug;
  if (sink) {
    sink(mapped, line);
  } else if (mapped == DiameterLogLevel::kError) {
    std::fprintf(stderr, "freeDiameter: %s\n", line);
  }
}

// fd_peer_validate_register callback (libfdcore.h): decides on a peer that connected in
// and is not in the ConnectPeer list. 1 accept, -1 refuse.
int ValidatePeer(peer_info* info, int* auth, int (**cb2)(peer_info*)) {
  *cb2 = nullptr;
  const std::string id = absl::AsciiStrToLower(std::string(
      info->pi_diamid, info->pi_diamidlen > 0 ? info->pi_diamidlen : std::strlen(info->pi_diamid)));
  std::lock_guard<std::mutex> lock(g_mutex);
  bool listed = false;
  for (const std::string& peer : g_accept_peers) listed = listed || peer == id;
  if (!listed) {
    *auth = -1;  // DIAMETER_UNKNOWN_PEER
    return 0;
  }
  if (info->runtime.pir_cert_list != nullptr) {
    *auth = 1;  // TLS done, the certificate verified against TLS_CA
    return 0;
  }
  if (!g_accept_plain) {
    *auth = -1;
    return 0;
  }
  info->config.pic_flags.sec = PI_SEC_NONE;  // plain TCP on loopback, as configured
  *auth = 1;
  return 0;
}

bool IsDiameterIdentity(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsNumericHost(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') return false;
  }
  return true;
}

bool IsQuotablePath(std::string_view s) {
  return !s.empty() && s.find_first_of("\"\n\r\\") == std::string_view::npos;
}

}  // namespace

std::string DefaultDiameterRealm(std::string_view identity) {
  const size_t dot = identity.find('.');
  return std::string(dot == std::string_view::npos ? identity : identity.substr(dot + 1));
}

absl::StatusOr<std::string> RenderFreeDiameterConfig(const DiameterNodeOptions& o) {
  if (!IsDiameterIdentity(o.identity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Diameter identity \"", o.identity, "\": an FQDN of letters, digits, '.', '-' is needed"));
  }
  const std::string realm = o.realm.empty() ? DefaultDiameterRealm(o.identity) : o.realm;
  if (!IsDiameterIdentity(realm)) {
    return absl::InvalidArgumentError(absl::StrCat("Diameter realm \"", realm, "\" is invalid"));
  }
  if (!IsNumericHost(o.listen_host)) {
    return absl::InvalidArgumentError(absl::StrCat("Diameter listen address \"", o.listen_host,
                                                   "\": a numeric IPv4 or IPv6 address"));
  }
  for (int port : {o.port, o.tls_port}) {
    if (port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("Diameter port ", port, " is out of range"));
    }
  }
  const bool tls = !o.tls_cert_file.empty() || !o.tls_key_file.empty() || !o.tls_ca_file.empty();
  if (tls && (!IsQuotablePath(o.tls_cert_file) || !IsQuotablePath(o.tls_key_file) ||
              !IsQuotablePath(o.tls_ca_file))) {
    return absl::InvalidArgumentError(
        "Diameter TLS needs all three files: the certificate, its key and the CA (PEM)");
  }
  if (o.tls_port != 0 && !tls) {
    return absl::InvalidArgumentError("a Diameter TLS port needs a certificate, key and CA");
  }
  std::string c;
  absl::StrAppend(&c, "# generated by gbabridge (proto/zn_diameter/diameter_node.cc)\n");
  absl::StrAppend(&c, "Identity = \"", o.identity, "\";\n");
  absl::StrAppend(&c, "Realm = \"", realm, "\";\n");
  absl::StrAppend(&c, "Port = ", o.port, ";\n");
  // SecPort 0 and no TLS_old_method: freeDiameter runs with TLS disabled (no TLS_Cred).
  absl::StrAppend(&c, "SecPort = ", o.tls_port, ";\n");
  absl::StrAppend(&c, "No_SCTP;\n");
  if (o.listen_host.find(':') == std::string::npos) absl::StrAppend(&c, "No_IPv6;\n");
  if (o.port != 0 || o.tls_port != 0) {
    absl::StrAppend(&c, "ListenOn = \"", o.listen_host, "\";\n");
  }
  absl::StrAppend(&c, "NoRelay;\n");
  absl::StrAppend(&c, "TcTimer = ", std::max(1, o.tc_timer_seconds), ";\n");
  absl::StrAppend(&c, "TwTimer = ", std::max(6, o.tw_timer_seconds), ";\n");
  absl::StrAppend(&c, "AppServThreads = ", std::clamp(o.app_threads, 1, 255), ";\n");
  if (tls) {
    absl::StrAppend(&c, "TLS_Cred = \"", o.tls_cert_file, "\", \"", o.tls_key_file, "\";\n");
    absl::StrAppend(&c, "TLS_CA = \"", o.tls_ca_file, "\";\n");
  }
  for (const DiameterConnectPeer& p : o.connect_peers) {
    if (!IsDiameterIdentity(p.identity) || !IsNumericHost(p.host) || p.port <= 0 ||
        p.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("Diameter peer \"", p.identity, "\" at ",
                                                     p.host, ":", p.port,
                                                     ": give IDENTITY@NUMERIC-ADDRESS:PORT"));
    }
    if (p.tls && !tls) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Diameter peer ", p.identity, " uses TLS: give this node a certificate, key and CA"));
    }
    absl::StrAppend(&c, "ConnectPeer = \"", p.identity, "\" { ConnectTo = \"", p.host,
                    "\"; Port = ", p.port, "; No_SCTP; ", p.tls ? "" : "No_TLS; ", "};\n");
  }
  for (const std::string& peer : o.accept_peers) {
    if (!IsDiameterIdentity(peer)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Diameter peer identity \"", peer, "\" is invalid"));
    }
  }
  return c;
}

DiameterNode::DiameterNode(DiameterNodeOptions options, std::string realm, ZnDictionary zn)
    : options_(std::move(options)), realm_(std::move(realm)), zn_(zn) {}

absl::StatusOr<std::unique_ptr<DiameterNode>> DiameterNode::Create(DiameterNodeOptions options) {
  absl::StatusOr<std::string> config = RenderFreeDiameterConfig(options);
  if (!config.ok()) return config.status();
  if (g_node_created.exchange(true)) {
    return absl::FailedPreconditionError(
        "this process already runs a Diameter node (freeDiameter allows one per process)");
  }
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_log = options.log;
    g_accept_peers.clear();
    for (const std::string& peer : options.accept_peers) {
      g_accept_peers.push_back(absl::AsciiStrToLower(peer));
    }
    g_accept_plain = options.accept_plain_peers;
  }
  fd_g_debug_lvl = FD_LOG_NOTICE;
  fd_log_handler_register(LogToSink);
  if (int rc = fd_core_initialize(); rc != 0) {
    return absl::InternalError(
        absl::StrCat("freeDiameter could not initialise: ", std::strerror(rc)));
  }
  absl::StatusOr<ZnDictionary> zn = LoadZnDictionary(fd_g_config->cnf_dict);
  if (!zn.ok()) {
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
    return zn.status();
  }
  // The configuration goes through a private file: freeDiameter only parses files.
  std::string path =
      (std::filesystem::temp_directory_path() / "gbabridge-freediameter-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
    return absl::InternalError(
        absl::StrCat("cannot create a temporary file for the Diameter "
                     "configuration: ",
                     std::strerror(errno)));
  }
  const bool written =
      write(fd, config->data(), config->size()) == static_cast<ssize_t>(config->size());
  close(fd);
  const int parsed = written ? fd_core_parseconf(path.c_str()) : EIO;
  unlink(path.c_str());
  if (parsed != 0) {
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
    return absl::InvalidArgumentError(
        absl::StrCat("freeDiameter refused the configuration (", std::strerror(parsed),
                     "); with TLS, the certificate must chain to the CA and name the identity ",
                     options.identity));
  }
  // Both ends announce Zn in CER/CEA: with NoRelay a peer without a common application is
  // refused (RFC 6733 §5.3, DIAMETER_NO_COMMON_APPLICATION).
  fd_disp_app_support(zn->application, zn->vendor, /*auth=*/1, /*acct=*/0);
  fd_peer_validate_register(ValidatePeer);
  std::string realm =
      options.realm.empty() ? DefaultDiameterRealm(options.identity) : options.realm;
  return std::unique_ptr<DiameterNode>(new DiameterNode(std::move(options), std::move(realm), *zn));
}

DiameterNode::~DiameterNode() {
  fd_core_shutdown();
  fd_core_wait_shutdown_complete();
  std::lock_guard<std::mutex> lock(g_mutex);
  g_log = nullptr;
}

absl::Status DiameterNode::Start() {
  if (started_) return absl::OkStatus();
  if (int rc = fd_core_start(); rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "freeDiameter could not start (", std::strerror(rc), "): is port ", options_.port,
        options_.tls_port != 0 ? absl::StrCat(" or ", options_.tls_port) : std::string(), " on ",
        options_.listen_host, " already in use?"));
  }
  if (int rc = fd_core_waitstartcomplete(); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("freeDiameter did not finish starting: ", std::strerror(rc)));
  }
  started_ = true;
  return absl::OkStatus();
}

std::string DiameterNode::PeerState(std::string_view identity) const {
  std::string id(identity);
  peer_hdr* peer = nullptr;
  if (fd_peer_getbyid(id.data(), id.size(), /*igncase=*/1, &peer) != 0 || peer == nullptr) {
    return "unknown peer";
  }
  return STATE_STR(fd_peer_get_state(peer));
}

absl::Status DiameterNode::WaitForPeer(std::string_view identity, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  std::string id(identity);
  for (;;) {
    peer_hdr* peer = nullptr;
    if (fd_peer_getbyid(id.data(), id.size(), 1, &peer) == 0 && peer != nullptr &&
        fd_peer_get_state(peer) == STATE_OPEN) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the Diameter peer ", id, " is not connected after ", absl::FormatDuration(timeout),
          " (state ", PeerState(id), "): is it running, does it list this node (",
          options_.identity, ") as a peer, and do TLS settings match?"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace gbabridge::zn_diameter

#if defined(__SANITIZE_ADDRESS__)
// Sanitizer builds (make test-asan): freeDiameter's core (an uninstrumented Debian library)
// keeps some allocations until exit by design (its dictionary, peer and GnuTLS state);
// LeakSanitizer must not count them against every process that runs a node.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfdcore.so\nleak:libfdproto.so\nleak:libgnutls.so\n";
}

// freeDiameter 1.2.1 closes a TLS peer from its peer state machine thread (fd_psm_cleanup ->
// fd_cnx_destroy -> gnutls_bye) while that connection's receiver thread may already have
// freed GnuTLS's record buffer after the remote side hung up: gnutls_bye's alert is then
// written from freed memory (seen at NAF shutdown after a TLS lookup). That race is inside
// the uninstrumented library and harmless to our data (the bytes sent are a close alert);
// AddressSanitizer must report our bugs, not abort every TLS Diameter process on it.
extern "C" const char* __asan_default_suppressions() {
  return "interceptor_via_lib:libfdcore.so\n";
}
#endif
