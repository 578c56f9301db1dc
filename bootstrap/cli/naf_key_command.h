// `gbabridge naf-key`: asks gbabridged (GetNafKey) for the key of one NAF and one Ua
// security protocol: Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U), TS 33.220 §4.5.3, §5.3.3.
// Prints the B-TID, expiry, mode, NAF_Id and the identity to present to the NAF; the key
// itself only with --show-key.
#ifndef GBABRIDGE_BOOTSTRAP_CLI_NAF_KEY_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_NAF_KEY_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "bootstrap/cli/daemon_connection.h"
#include "bootstrap/protocol/naf_id.h"
#include "gbabridge/v1/gbabridge.pb.h"

namespace gbabridge::cli {

struct NafKeyOptions {
  DaemonConnectionOptions connection;
  std::string naf_fqdn;
  // The Ua security protocol id: exactly one of these four (TS 33.220 Annex H).
  std::string ua_hex;        // --ua: 5 bytes hex, spaces/colons allowed
  std::string tls_suite;     // --tls-suite: cipher suite code, e.g. 0x00AE -> 01 00 01 00 AE
  bool http_digest = false;  // --http-digest: 01 00 00 00 02 (TS 24.109)
  bool tls13 = false;        // --tls13: 01 00 00 00 07, shared-key TLS 1.3 (TS 33.222 §5.4.0.2)
  bool force = false;        // bootstrap again first
  std::string gba_mode = "auto";  // auto | me | u
  bool json = false;
  bool show_key = false;
};

// The Ua id the options select; InvalidArgument unless exactly one selector is given.
absl::StatusOr<UaSecurityProtocolId> SelectUaId(const NafKeyOptions& options);
// "auto" -> GBA_MODE_UNSPECIFIED, "me" -> GBA_MODE_ME, "u" -> GBA_MODE_U.
absl::StatusOr<gbabridge::v1::GbaMode> ParseGbaModeOption(const std::string& text);
// The TLS-PSK identity for a B-TID: "3GPP-bootstrapping.<B-TID>", or
// "3GPP-bootstrapping-uicc.<B-TID>" for a GBA_U key (TS 33.222, TS 24.109 Annex F;
// docs/gba-facts.md §8).
std::string PskIdentity(const std::string& btid, gbabridge::v1::GbaMode mode);
// True for the Ua ids of (PSK-)TLS: 01 00 01 yy zz, 01 00 00 00 07, 03 00 01 yy zz.
bool IsTlsUaId(const UaSecurityProtocolId& ua);

int RunNafKey(const NafKeyOptions& options, std::ostream& out, std::ostream& err);
void AddNafKeyCommand(CLI::App& app, int* exit_code);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_NAF_KEY_COMMAND_H_
