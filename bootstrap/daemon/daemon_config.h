// DaemonConfig: everything gbabridged needs, from a TOML file (--config), an optional extra
// policy file (--policy) and command-line flags; flags win over the file. The schema, with
// every key documented, is bootstrap/daemon/examples/gbabridged.toml:
//
//   [card]     transport, reader, pin_file, pin_credential, pin_rejections_file, modem_port,
//   modem_baud,
//              modem_command_timeout_seconds, modem_lock_dir, modem_logical_channel
//   [bsf]      url, ca_file, connect_timeout_seconds, total_timeout_seconds, gba_mode
//   [session]  refresh_margin_seconds, max_cached_naf_keys, max_session_lifetime_seconds
//   [listen]   unix_socket, unix_socket_mode, unix_socket_group, tcp, tls_cert_file,
//              tls_key_file, tls_client_ca_file, reflection
//   [log]      level, audit_file
//   [[client]] the client policy (policy.h; Policy::FromToml)
//
// Unknown sections and keys are errors naming file:line: a misspelt security setting must
// never fall back silently to its default. Relative paths in a file are taken from that
// file's directory (so /etc/gbabridge/gbabridged.toml may say pin_file = "pin"); relative
// paths given as flags are taken from the working directory, as usual for flags.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_CONFIG_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_CONFIG_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/daemon/policy.h"

namespace gbabridge::daemon {

inline constexpr char kDefaultUnixSocket[] = "/run/gbabridge/gbabridged.sock";

enum class CardTransportKind { kPcsc, kModem };

struct DaemonConfig {
  // [card]
  // "pcsc" (a reader through pcscd) or "modem" (the USIM in a cellular modem, over its AT
  // port: uicc/modem/).
  CardTransportKind transport = CardTransportKind::kPcsc;
  std::string reader;      // exact PC/SC reader name; empty: the first reader with a card
  std::string modem_port;  // the modem's AT port, e.g. /dev/serial/by-id/usb-...-if02-port0
  int modem_baud = 115200;
  // Per AT command; long enough for AUTHENTICATE on a slow card behind a slow modem.
  absl::Duration modem_command_timeout = absl::Seconds(10);
  std::string modem_lock_dir = "/run/lock";  // UUCP lock files; "" for none
  bool modem_logical_channel = true;         // AT+CCHO/AT+CGLA when the modem has them
  std::string pin_file;  // PIN1, first line; empty: no PIN (a PIN-enabled card fails)
  // Or the name of a systemd credential holding PIN1 (LoadCredential= or
  // LoadCredentialEncrypted=, which can seal it to the device's TPM): read from
  // $CREDENTIALS_DIRECTORY/<name> at start. Exclusive with pin_file.
  std::string pin_credential;
  // Where the cards that rejected the PIN are remembered across restarts (pin_rejections.h).
  // Empty: $STATE_DIRECTORY/pin-rejections under systemd (StateDirectory=), else memory only.
  std::string pin_rejections_file;

  // [bsf]
  std::string bsf_url;  // empty: derived from the IMSI (TS 23.003 §16.2)
  std::string bsf_ca_file;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(20);
  bool force_gba_me = false;  // gba_mode = "me"; "auto" picks GBA_U on GBA-aware cards

  // [session]
  absl::Duration refresh_margin = absl::Seconds(60);
  size_t max_cached_naf_keys = 1024;
  // Never keep a session longer than this, whatever the BSF grants (session_manager.h).
  absl::Duration max_session_lifetime = absl::Hours(24);

  // [listen]
  std::string unix_socket = kDefaultUnixSocket;
  mode_t unix_socket_mode = 0660;
  std::string unix_socket_group;  // group name or number; empty: the daemon's own group
  std::string tcp;                // "HOST:PORT"; empty: no TCP listener
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // gRPC server reflection (grpcurl): off by default, as it answers every caller that can
  // connect, outside the client policy, and holds a thread per stream.
  bool reflection = false;

  // [log]
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
  std::string audit_file;          // empty: audit lines go to the main log (stderr)

  // [[client]] of --config, then those of --policy.
  Policy policy;
  // The [[client]] tables behind `policy`, so that a later file can append to it.
  toml::array policy_entries;
  // The files read, in order, for the start-up log line.
  std::vector<std::string> sources;
};

// "HOST:PORT" split; HOST may be a name, an IPv4 address or a bracketed IPv6 address.
// PORT 0 asks for an ephemeral port.
struct HostPort {
  std::string host;  // without brackets
  int port = 0;
  // Back to "HOST:PORT", bracketing IPv6 literals.
  std::string ToString() const;
};
absl::StatusOr<HostPort> ParseHostPort(std::string_view text);

// Parses an octal permission string such as "0660" or "660" (at most 0777).
absl::StatusOr<mode_t> ParseSocketMode(std::string_view text);

// Overlays the settings of a TOML document onto `config` (keys it does not set keep their
// value); its [[client]] entries are appended to config.policy. `source` names the file in
// errors; `base_dir` resolves relative paths ("" for none).
absl::Status ApplyDaemonConfigToml(std::string_view toml_text, std::string_view source,
                                   std::string_view base_dir, DaemonConfig& config);

// Reads the --config file: ApplyDaemonConfigToml on its text, plus its policy.
absl::Status LoadDaemonConfigFile(const std::string& path, DaemonConfig& config);
// Reads a --policy file: only [[client]] entries are allowed in it; they are appended after
// those already in config.policy.
absl::Status LoadPolicyFile(const std::string& path, DaemonConfig& config);

// What the file and the flags must give together: valid listen addresses, TCP only with all
// three TLS files (mutual TLS: client certificates required and verified), readable files,
// a known log level, sane durations.
absl::Status ValidateDaemonConfig(const DaemonConfig& config);

// The command line of gbabridged. Registers its flags on `app`; after app.parse(), Load()
// reads --config and --policy, overlays the flags that were given and validates the result.
class DaemonCommandLine {
 public:
  explicit DaemonCommandLine(CLI::App& app);
  DaemonCommandLine(const DaemonCommandLine&) = delete;
  DaemonCommandLine& operator=(const DaemonCommandLine&) = delete;

  absl::StatusOr<DaemonConfig> Load() const;

 private:
  bool Given(const char* flag) const;

  CLI::App& app_;
  std::string config_file_;
  std::vector<std::string> policy_files_;
  std::string reader_;
  std::string transport_;
  std::string modem_port_;
  int modem_baud_ = 0;
  int64_t modem_timeout_ = 0;
  std::string pin_file_;
  std::string pin_credential_;
  std::string bsf_url_;
  std::string bsf_ca_file_;
  bool gba_me_ = false;
  bool reflection_ = false;
  std::string listen_unix_;
  std::string socket_mode_;
  std::string socket_group_;
  std::string listen_tcp_;
  std::string tls_cert_;
  std::string tls_key_;
  std::string tls_client_ca_;
  int64_t refresh_margin_ = 0;
  std::string log_level_;
  std::string audit_file_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_DAEMON_CONFIG_H_
