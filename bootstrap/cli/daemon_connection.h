// How the `gbabridge` daemon-client commands (status, naf-key, watch) reach gbabridged:
// `--connect` target parsing, the TLS options for TCP, and the per-call deadline.
//
// gbabridged listens on a Unix socket (callers identified by peer credentials) or on TCP
// with mutual TLS (callers identified by their client certificate), proto/gbabridge/v1/
// gbabridge.proto "Transport". NAF keys are served over this channel, so plaintext TCP is
// refused except to a loopback address with an explicit --insecure (oneM2M SER-010: keys
// must not cross a network in clear).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_DAEMON_CONNECTION_H_
#define GBABRIDGE_BOOTSTRAP_CLI_DAEMON_CONNECTION_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gbabridge::cli {

inline constexpr char kDefaultDaemonTarget[] = "unix:/run/gbabridge/gbabridged.sock";
inline constexpr char kConnectEnvVar[] = "GBABRIDGE_CONNECT";
// A cold bootstrap (card + two Ub round trips + maybe a resync) may take seconds.
inline constexpr int kDefaultDaemonTimeoutSeconds = 30;

struct DaemonConnectionOptions {
  std::string connect;          // empty: $GBABRIDGE_CONNECT, else kDefaultDaemonTarget
  std::string tls_ca;           // PEM file: the CA that signed the daemon's certificate
  std::string tls_cert;         // PEM file: our client certificate (mutual TLS)
  std::string tls_key;          // PEM file: its private key
  std::string tls_server_name;  // expected name in the daemon's certificate (default: host)
  bool insecure = false;        // plaintext TCP; loopback hosts only
  int timeout_seconds = kDefaultDaemonTimeoutSeconds;
};

// A parsed --connect value.
struct DaemonTarget {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;         // kUnix: the socket path (absolute or relative)
  std::string host;         // kTcp: host name or address, without IPv6 brackets
  int port = 0;             // kTcp
  std::string grpc_target;  // what grpc::CreateChannel gets: "unix:PATH" or "dns:HOST:PORT"

  // For messages: "unix:/run/gbabridge/gbabridged.sock", "dns:gw.example.com:7443".
  const std::string& display() const { return grpc_target; }
};

// Parses `unix:PATH`, `unix:///abs/path`, `dns:HOST:PORT`, `dns:///HOST:PORT` or
// `HOST:PORT` (IPv6 as `[::1]:PORT`). Errors are InvalidArgument and quote the value.
absl::StatusOr<DaemonTarget> ParseDaemonTarget(std::string_view text);

// The target to use: the flag if given, else the environment value if set and non-empty,
// else kDefaultDaemonTarget. `env_value` is getenv(kConnectEnvVar) (nullptr when unset).
std::string ResolveConnectString(const std::string& flag_value, const char* env_value);

// True for "localhost", 127.0.0.0/8 and ::1: addresses whose traffic never leaves the host.
bool IsLoopbackHost(std::string_view host);

// Checks the combination of target and TLS options without touching any file:
// TLS options on a Unix target, plaintext TCP to a non-loopback host, --insecure together
// with --tls-ca, a client certificate without its key. InvalidArgument on refusal.
absl::Status CheckTransportSecurity(const DaemonTarget& target,
                                    const DaemonConnectionOptions& options);

// An open channel to gbabridged plus what the commands need around it.
class DaemonConnection {
 public:
  // Resolves and parses the target, checks the transport security, reads the TLS files and
  // creates the channel. Does not connect yet (gRPC connects on the first call).
  // Errors are InvalidArgument (usage: exit 2).
  static absl::StatusOr<DaemonConnection> Open(const DaemonConnectionOptions& options);

  const DaemonTarget& target() const { return target_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  std::unique_ptr<gbabridge::v1::GbaBridge::Stub> NewStub() const;
  // Applies the --timeout deadline to a unary call's context.
  void SetDeadline(grpc::ClientContext& context) const;
  std::chrono::seconds timeout() const { return timeout_; }

  // Waits until the channel is connected, for streams that have no overall deadline
  // (watch). Fails fast (Unavailable) on the first connection failure instead of retrying
  // until the deadline; DeadlineExceeded when --timeout passes first; Cancelled as soon as
  // *stop turns true (polled).
  absl::Status WaitUntilConnected(const std::atomic<bool>* stop = nullptr) const;

 private:
  DaemonConnection(DaemonTarget target, std::shared_ptr<grpc::Channel> channel,
                   std::chrono::seconds timeout)
      : target_(std::move(target)), channel_(std::move(channel)), timeout_(timeout) {}

  DaemonTarget target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::chrono::seconds timeout_;
};

// Registers --connect, --tls-ca, --tls-cert, --tls-key, --tls-server-name, --insecure and
// --timeout on one command (they are per command, so that `card` and `bootstrap`, which do
// not use the daemon, do not show them).
void AddDaemonConnectionOptions(CLI::App* cmd, DaemonConnectionOptions* options);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_DAEMON_CONNECTION_H_
