#include "bootstrap/cli/daemon_connection.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uicc/base/secret_file.h"

namespace gbabridge::cli {
namespace {

absl::Status BadTarget(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--daemon \"", std::string(text), "\": ", std::string(why),
                   " (expected unix:PATH, unix:///ABS/PATH, dns:HOST:PORT or HOST:PORT)"));
}

// std::string_view versions: Debian's absl::string_view is not std::string_view.
bool ConsumePrefix(std::string_view* text, std::string_view prefix) {
  if (!text->starts_with(prefix)) return false;
  text->remove_prefix(prefix.size());
  return true;
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// HOST:PORT or [V6]:PORT.
absl::StatusOr<DaemonTarget> ParseHostPort(std::string_view original, std::string_view text) {
  DaemonTarget target;
  target.kind = DaemonTarget::Kind::kTcp;
  std::string_view port_text;
  bool ipv6 = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return BadTarget(original, "missing ']'");
    target.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!ConsumePrefix(&rest, ":")) return BadTarget(original, "missing :PORT");
    port_text = rest;
    in6_addr addr;
    if (inet_pton(AF_INET6, target.host.c_str(), &addr) != 1) {
      return BadTarget(original, "not an IPv6 address between [ ]");
    }
    ipv6 = true;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return BadTarget(original, "missing :PORT");
    target.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (target.host.find(':') != std::string::npos) {
      return BadTarget(original, "an IPv6 address needs brackets, e.g. [::1]:7443");
    }
    if (target.host.empty() ||
        !std::all_of(target.host.begin(), target.host.end(), IsHostNameChar)) {
      return BadTarget(original, "invalid host name");
    }
  }
  int port = 0;
  if (port_text.empty() ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(std::string(port_text), &port) || port < 1 || port > 65535) {
    return BadTarget(original, "the port must be a number from 1 to 65535");
  }
  target.port = port;
  target.grpc_target =
      absl::StrCat("dns:", ipv6 ? absl::StrCat("[", target.host, "]") : target.host, ":", port);
  return target;
}

// Reads a whole PEM file. The caller cleanses the string when it held a private key.
absl::StatusOr<std::string> ReadPemFile(std::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", std::string(flag), " ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(flag), " ", path, " is empty"));
  }
  return text;
}

}  // namespace

absl::StatusOr<DaemonTarget> ParseDaemonTarget(std::string_view text) {
  std::string_view rest = text;
  if (ConsumePrefix(&rest, "unix:")) {
    // unix:///abs/path is the URI form (empty authority); unix:PATH the short form. Both
    // are what gRPC's own resolver accepts.
    if (ConsumePrefix(&rest, "//")) {
      if (rest.empty() || rest.front() != '/') {
        return BadTarget(text, "a unix: URI takes no host; write unix:///abs/path");
      }
    }
    if (rest.empty()) return BadTarget(text, "empty socket path");
    DaemonTarget target;
    target.kind = DaemonTarget::Kind::kUnix;
    target.path = std::string(rest);
    target.grpc_target = absl::StrCat("unix:", target.path);
    return target;
  }
  if (ConsumePrefix(&rest, "dns:")) {
    // dns:///host:port (empty authority) or dns:host:port. A DNS server authority
    // (dns://8.8.8.8/host:port) is not supported: the system resolver is used.
    if (ConsumePrefix(&rest, "//")) {
      if (!ConsumePrefix(&rest, "/")) {
        return BadTarget(text, "a DNS server authority is not supported; write dns:HOST:PORT");
      }
    }
    return ParseHostPort(text, rest);
  }
  if (!rest.empty() && rest.front() == '/') {
    return BadTarget(text, absl::StrCat("did you mean unix:", std::string(rest), "?"));
  }
  if (rest.find("://") != std::string_view::npos) {
    return BadTarget(text, "unsupported scheme");
  }
  return ParseHostPort(text, rest);
}

std::string ResolveConnectString(const std::string& flag_value, const char* env_value) {
  if (!flag_value.empty()) return flag_value;
  if (env_value != nullptr && *env_value != '\0') return env_value;
  return kDefaultDaemonTarget;
}

bool IsLoopbackHost(std::string_view host) {
  std::string lower = absl::AsciiStrToLower(std::string(host));
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  if (lower == "localhost" || lower.ends_with(".localhost")) return true;
  in_addr v4;
  if (inet_pton(AF_INET, lower.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8 (RFC 1122 §3.2.1.3)
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, lower.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z, an IPv4-mapped loopback address.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::Status CheckTransportSecurity(const DaemonTarget& target,
                                    const DaemonConnectionOptions& options) {
  const bool any_tls = !options.tls_ca.empty() || !options.tls_cert.empty() ||
                       !options.tls_key.empty() || !options.tls_server_name.empty();
  if (target.kind == DaemonTarget::Kind::kUnix) {
    if (any_tls) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls-ca, --tls-cert, --tls-key and --tls-server-name apply to TCP targets only; ",
          target.display(),
          " is a Unix socket (the daemon identifies local callers by their uid/gid)"));
    }
    return absl::OkStatus();
  }
  if (options.insecure) {
    if (any_tls) {
      return absl::InvalidArgumentError(
          "--insecure cannot be combined with --tls-ca, --tls-cert, --tls-key or "
          "--tls-server-name");
    }
    if (!IsLoopbackHost(target.host)) {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing plaintext TCP to ", target.display(),
                       ": NAF keys must not cross a network in clear (--insecure is for loopback "
                       "addresses only); give --tls-ca, --tls-cert and --tls-key"));
    }
    return absl::OkStatus();
  }
  if (options.tls_ca.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TCP target ", target.display(),
        " needs --tls-ca (with --tls-cert and --tls-key: gbabridged uses mutual TLS); NAF keys "
        "must not cross a network in clear. For a test daemon on loopback, --insecure"));
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (options.tls_cert.empty()) {
    // Over TCP the daemon identifies the caller by its client certificate only
    // (gbabridge.proto, Transport): without one the handshake would fail anyway.
    return absl::InvalidArgumentError(
        "TCP targets need a client certificate: give --tls-cert and --tls-key (gbabridged "
        "identifies TCP callers by their certificate)");
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonConnection> DaemonConnection::Open(const DaemonConnectionOptions& options) {
  const std::string text = ResolveConnectString(options.connect, std::getenv(kConnectEnvVar));
  absl::StatusOr<DaemonTarget> target = ParseDaemonTarget(text);
  if (!target.ok()) return target.status();
  if (absl::Status s = CheckTransportSecurity(*target, options); !s.ok()) return s;
  if (options.timeout_seconds < 1) {
    return absl::InvalidArgumentError("--timeout must be at least 1 second");
  }

  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (target->kind == DaemonTarget::Kind::kUnix || options.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadPemFile("--tls-ca", options.tls_ca);
    if (!ca.ok()) return ca.status();
    absl::StatusOr<std::string> cert = ReadPemFile("--tls-cert", options.tls_cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<SecretBytes> key =
        options.tls_key.empty()
            ? absl::InvalidArgumentError("--tls-key is required for TLS to the daemon")
            : ReadSecretFile(options.tls_key, "the --tls-key file");
    if (!key.ok()) return key.status();
    ssl.pem_root_certs = std::move(*ca);
    ssl.pem_cert_chain = std::move(*cert);
    // gRPC's API takes the private key as std::string and copies it; wipe our copy once
    // the credentials hold theirs.
    ssl.pem_private_key = SecretToString(*key);
    credentials = grpc::SslCredentials(ssl);
    WipeString(ssl.pem_private_key);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target->grpc_target, credentials, args);
  if (channel == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create a gRPC channel to ", target->display()));
  }
  return DaemonConnection(*std::move(target), std::move(channel),
                          std::chrono::seconds(options.timeout_seconds));
}

std::unique_ptr<gbabridge::v1::GbaBridge::Stub> DaemonConnection::NewStub() const {
  return gbabridge::v1::GbaBridge::NewStub(channel_);
}

void DaemonConnection::SetDeadline(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
}

absl::Status DaemonConnection::WaitUntilConnected(const std::atomic<bool>* stop) const {
  const auto deadline = std::chrono::system_clock::now() + timeout_;
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return absl::UnavailableError("connection failed");
    }
    if (stop != nullptr && stop->load()) return absl::CancelledError("interrupted");
    const auto now = std::chrono::system_clock::now();
    if (now >= deadline) return absl::DeadlineExceededError("no connection within --timeout");
    // Short slices, so that a stop request is seen promptly.
    if (channel_->WaitForStateChange(state,
                                     std::min(deadline, now + std::chrono::milliseconds(100)))) {
      state = channel_->GetState(/*try_to_connect=*/true);
    }
  }
  return absl::OkStatus();
}

void AddDaemonConnectionOptions(CLI::App* cmd, DaemonConnectionOptions* options) {
  // --daemon, as in gba-tls-device; --connect is the name of 0.1, accepted until 0.3.
  cmd->add_option("--daemon,--connect", options->connect,
                  "Daemon address: unix:PATH, unix:///ABS/PATH, dns:HOST:PORT or HOST:PORT "
                  "(default: $GBABRIDGE_CONNECT, else unix:/run/gbabridge/gbabridged.sock; "
                  "--connect: old name)");
  cmd->add_option("--tls-ca", options->tls_ca,
                  "TCP: PEM file of the CA that signed the daemon's certificate (required)");
  cmd->add_option("--tls-cert", options->tls_cert,
                  "TCP: PEM file of this client's certificate (mutual TLS)");
  cmd->add_option("--tls-key", options->tls_key, "TCP: PEM file of the client certificate's key");
  cmd->add_option("--tls-server-name", options->tls_server_name,
                  "TCP: name expected in the daemon's certificate (default: the host)");
  cmd->add_flag("--insecure", options->insecure,
                "TCP without TLS, to a loopback address only (tests)");
  cmd->add_option("--timeout", options->timeout_seconds,
                  "Seconds to wait for the daemon's answer (default 30: a cold bootstrap "
                  "takes seconds)")
      ->check(CLI::Range(1, 3600));
}

}  // namespace gbabridge::cli
