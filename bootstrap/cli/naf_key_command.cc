#include "bootstrap/cli/naf_key_command.h"

#include <openssl/crypto.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/daemon_error_exit.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/cli/status_command.h"
#include "bootstrap/wire/wire_error.h"
#include "nlohmann/json.hpp"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::cli {
namespace {

using nlohmann::json;
namespace v1 = gbabridge::v1;

// Ks_NAF / Ks_ext_NAF are 32 bytes: the full HMAC-SHA-256 output (TS 33.220 B.2.0).
constexpr size_t kNafKeySize = 32;

// "0x00AE", "00ae", "AE" -> 0x00AE.
absl::StatusOr<uint16_t> ParseCipherSuite(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  if (digits.empty() || digits.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-suite \"", std::string(text),
                     "\": give the TLS cipher suite code in hex, e.g. "
                     "0x00AE (TLS_PSK_WITH_AES_128_CBC_SHA256)"));
  }
  uint16_t value = 0;
  for (char c : digits) {
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls-suite \"", std::string(text), "\": not a hex cipher suite code (e.g. 0x00AE)"));
    }
    value = static_cast<uint16_t>((value << 4) | nibble);
  }
  return value;
}

// Moves the key out of the response into SecretBytes and wipes the response's copy, so
// that the only plain copy left is the locked, self-wiping one.
SecretBytes TakeKey(v1::GetNafKeyResponse& response) {
  std::string* raw = response.mutable_key();
  SecretBytes key = SecretBytes::CopyFrom(AsBytes(*raw));
  if (!raw->empty()) OPENSSL_cleanse(raw->data(), raw->size());
  raw->clear();
  return key;
}

}  // namespace

absl::StatusOr<UaSecurityProtocolId> SelectUaId(const NafKeyOptions& options) {
  const int selectors = static_cast<int>(!options.ua_hex.empty()) +
                        static_cast<int>(!options.tls_suite.empty()) +
                        static_cast<int>(options.http_digest) + static_cast<int>(options.tls13);
  if (options.tls13 && !options.tls_suite.empty()) {
    // TLS 1.3 has a single Ua id whatever the cipher suite (TS 33.222 §5.4.0.2).
    return absl::InvalidArgumentError(
        "--tls13 selects Ua id 01 00 00 00 07 for every TLS 1.3 cipher suite "
        "(TS 33.222 §5.4.0.2); drop --tls-suite");
  }
  if (selectors != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --ua HEX, --tls-suite CODE, --tls13 or --http-digest (the Ua "
        "security protocol the key is for, TS 33.220 Annex H)");
  }
  if (options.http_digest) return UaSecurityProtocolId::HttpDigest();
  if (options.tls13) return UaSecurityProtocolId::Tls13SharedKey();
  if (!options.tls_suite.empty()) {
    absl::StatusOr<uint16_t> suite = ParseCipherSuite(options.tls_suite);
    if (!suite.ok()) return suite.status();
    return UaSecurityProtocolId::Tls(*suite);
  }
  absl::StatusOr<UaSecurityProtocolId> ua = UaSecurityProtocolId::FromHex(options.ua_hex);
  if (!ua.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ua \"", options.ua_hex, "\": ", std::string(ua.status().message())));
  }
  return ua;
}

absl::StatusOr<v1::GbaMode> ParseGbaModeOption(const std::string& text) {
  if (text == "auto") return v1::GBA_MODE_UNSPECIFIED;
  if (text == "me") return v1::GBA_MODE_ME;
  if (text == "u") return v1::GBA_MODE_U;
  return absl::InvalidArgumentError(
      absl::StrCat("--gba-mode \"", text, "\": expected auto, me or u"));
}

std::string PskIdentity(const std::string& btid, v1::GbaMode mode) {
  return absl::StrCat(mode == v1::GBA_MODE_U ? "3GPP-bootstrapping-uicc" : "3GPP-bootstrapping",
                      ".", btid);
}

bool IsTlsUaId(const UaSecurityProtocolId& ua) {
  const UaSecurityProtocolId::Octets& o = ua.octets();
  if (ua == UaSecurityProtocolId::Tls13SharedKey()) return true;
  // 01 00 01 yy zz (3GPP, TS 33.222) and 03 00 01 yy zz (OMA PSK-TLS).
  return (o[0] == UaSecurityProtocolId::kOrg3gpp || o[0] == UaSecurityProtocolId::kOrgOma) &&
         o[1] == 0x00 && o[2] == 0x01;
}

int RunNafKey(const NafKeyOptions& options, std::ostream& out, std::ostream& err) {
  // Checked here too (the daemon checks again) so that a typo fails before any connection.
  absl::StatusOr<UaSecurityProtocolId> ua = SelectUaId(options);
  if (!ua.ok()) return ReportLocalError(ua.status(), options.json, out, err);
  absl::StatusOr<NafId> naf = NafId::Create(options.naf_fqdn, *ua);
  if (!naf.ok()) {
    return ReportLocalError(
        absl::InvalidArgumentError(absl::StrCat("--naf \"", options.naf_fqdn,
                                                "\": ", std::string(naf.status().message()))),
        options.json, out, err);
  }
  absl::StatusOr<v1::GbaMode> mode = ParseGbaModeOption(options.gba_mode);
  if (!mode.ok()) return ReportLocalError(mode.status(), options.json, out, err);

  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options.connection);
  if (!connection.ok()) return ReportLocalError(connection.status(), options.json, out, err);

  v1::GetNafKeyRequest request;
  request.set_naf_fqdn(naf->fqdn());
  request.set_ua_security_protocol_id(std::string(ua->octets().begin(), ua->octets().end()));
  request.set_force_bootstrap(options.force);
  request.set_gba_mode_preference(*mode);

  std::unique_ptr<v1::GbaBridge::Stub> stub = connection->NewStub();
  grpc::ClientContext context;
  connection->SetDeadline(context);
  v1::GetNafKeyResponse response;
  const grpc::Status rpc = stub->GetNafKey(&context, request, &response);
  SecretBytes key = TakeKey(response);
  if (!rpc.ok()) {
    return ReportError(DescribeDaemonFailure(
                           rpc, wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata()),
                           connection->target(), connection->timeout()),
                       options.json, out, err);
  }
  if (key.size() != kNafKeySize) {
    return ReportLocalError(
        absl::InternalError(absl::StrCat("the daemon returned a ", key.size(),
                                         "-byte key; a NAF key has 32 (TS 33.220 B.2.0)")),
        options.json, out, err);
  }

  const std::string mode_text = GbaModeText(response.gba_mode());
  const std::string key_name = response.gba_mode() == v1::GBA_MODE_U ? "Ks_ext_NAF" : "Ks_NAF";
  const std::string expiry =
      response.has_key_expiry() ? FormatTimestamp(response.key_expiry()) : std::string();
  const std::string naf_id_hex = HexEncode(AsBytes(response.naf_id()));
  const bool tls = IsTlsUaId(*ua);
  const bool digest = *ua == UaSecurityProtocolId::HttpDigest();

  if (options.json) {
    json j = {{"naf", naf->fqdn()},
              {"ua", ua->ToHex()},
              {"btid", response.btid()},
              {"expiry", expiry.empty() ? json() : json(expiry)},
              {"gba_mode", mode_text.empty() ? json() : json(mode_text)},
              {"naf_id", naf_id_hex}};
    if (!response.impi().empty()) j["impi"] = response.impi();
    if (options.show_key) j["key"] = key.RevealHex();
    if (tls) j["psk_identity"] = PskIdentity(response.btid(), response.gba_mode());
    if (digest) j["digest_username"] = response.btid();
    out << j.dump(2) << "\n";
    return kExitOk;
  }

  out << "NAF:          " << naf->fqdn() << "\n"
      << "Ua:           " << ua->ToHex() << " (" << ua->Describe() << ")\n"
      << "B-TID:        " << response.btid() << "\n"
      << "Expires:      " << (expiry.empty() ? "(not given)" : expiry) << "\n"
      << "GBA mode:     " << (mode_text.empty() ? "(not given)" : mode_text) << "\n"
      << "NAF_Id:       " << naf_id_hex << "\n";
  if (!response.impi().empty()) out << "IMPI:         " << response.impi() << "\n";
  if (tls) {
    out << "PSK identity: " << PskIdentity(response.btid(), response.gba_mode()) << "\n";
  }
  if (digest) {
    // Ua over HTTP Digest (TS 24.109; docs/gba-facts.md §8): username = B-TID, password =
    // base64(Ks_(ext)_NAF).
    out << "Digest user:  " << response.btid() << " (password: base64 of the key)\n";
  }
  out << key_name << ":" << std::string(key_name.size() < 13 ? 13 - key_name.size() : 1, ' ')
      << (options.show_key ? key.RevealHex()
                           : absl::StrCat(key.size(), " bytes, hidden; --show-key to print"))
      << "\n";
  return kExitOk;
}

void AddNafKeyCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<NafKeyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "naf-key", "Ask gbabridged for the key of one NAF and Ua security protocol (GetNafKey)");
  cmd->add_option("--naf", options->naf_fqdn, "NAF FQDN, e.g. mef.example.com")->required();
  CLI::Option* ua = cmd->add_option("--ua", options->ua_hex,
                                    "Ua security protocol id, 5 bytes hex (spaces/colons allowed), "
                                    "e.g. \"01 00 01 00 AE\"");
  CLI::Option* suite =
      cmd->add_option("--tls-suite", options->tls_suite,
                      "TLS cipher suite code: Ua id 01 00 01 yy zz (TS 33.222), e.g. 0x00AE");
  CLI::Option* digest = cmd->add_flag("--http-digest", options->http_digest,
                                      "HTTP Digest: Ua id 01 00 00 00 02 (TS 24.109)");
  CLI::Option* tls13 = cmd->add_flag(
      "--tls13", options->tls13, "Shared-key TLS 1.3: Ua id 01 00 00 00 07 (TS 33.222 §5.4.0.2)");
  ua->excludes(suite)->excludes(digest)->excludes(tls13);
  suite->excludes(digest)->excludes(tls13);
  digest->excludes(tls13);
  cmd->add_flag("--force", options->force,
                "Discard the current session and bootstrap again first (e.g. the NAF said the "
                "B-TID is unknown)");
  cmd->add_option("--gba-mode", options->gba_mode,
                  "auto (the daemon picks: GBA_U on a GBA-aware card), me or u")
      ->check(CLI::IsMember({"auto", "me", "u"}));
  cmd->add_flag("--show-key", options->show_key, "Print the key in hex");
  cmd->add_flag("--json", options->json, "Print JSON for scripts");
  AddDaemonConnectionOptions(cmd, &options->connection);
  cmd->footer(kDaemonExitCodesHelp);
  cmd->callback([options, exit_code] { *exit_code = RunNafKey(*options, std::cout, std::cerr); });
}

}  // namespace gbabridge::cli
