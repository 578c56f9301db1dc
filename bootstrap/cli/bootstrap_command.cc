#include "bootstrap/cli/bootstrap_command.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/client/gba_client.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/naf_id.h"
#include "nlohmann/json.hpp"
#include "uicc/card_error.h"
#include "uicc/pcsc_transport.h"
#include "uicc/usim.h"

namespace gbabridge::cli {
namespace {

using nlohmann::json;

int Fail(const absl::Status& status, const BootstrapOptions& options, std::ostream& out,
         std::ostream& err) {
  return ReportLocalError(status, options.card.json, out, err);
}

}  // namespace

int RunBootstrap(const BootstrapOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<UaSecurityProtocolId> ua = UaSecurityProtocolId::FromHex(options.ua_hex);
  if (!ua.ok()) return Fail(ua.status(), options, out, err);
  absl::StatusOr<NafId> naf = NafId::Create(options.naf_fqdn, *ua);
  if (!naf.ok()) return Fail(naf.status(), options, out, err);

  absl::StatusOr<std::unique_ptr<CardTransport>> channel = OpenCard(options.card);
  if (!channel.ok()) return Fail(channel.status(), options, out, err);
  Usim usim(**channel);
  absl::Status pin = VerifyPinFromFile(usim, options.card);
  if (!pin.ok()) return Fail(pin, options, out, err);

  GbaClient client(usim, {.bsf_url = options.bsf_url,
                          .ca_file = options.ca_file,
                          .connect_timeout = absl::Seconds(std::min(options.timeout_seconds, 5)),
                          .total_timeout = absl::Seconds(options.timeout_seconds),
                          .force_gba_me = options.force_gba_me});
  absl::StatusOr<BootstrapSession> session = client.Bootstrap();
  if (!session.ok()) return Fail(session.status(), options, out, err);
  absl::StatusOr<SecretBytes> key = client.DeriveNafKey(*session, *naf);
  if (!key.ok()) return Fail(key.status(), options, out, err);

  const std::string key_name = session->mode == GbaMode::kGbaU ? "Ks_ext_NAF" : "Ks_NAF";
  if (options.card.json) {
    json j = {{"btid", session->btid},
              {"expiry", FormatUtcDateTime(session->expiry)},
              {"gba_mode", std::string(GbaModeName(session->mode))},
              {"naf_fqdn", naf->fqdn()},
              {"ua_security_protocol_id", naf->ua().ToHex()},
              {"naf_id", HexEncode(naf->Encode())},
              {"key_name", key_name}};
    if (options.show_key) j["key"] = key->RevealHex();
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << "B-TID:      " << session->btid << "\n"
      << "Expires:    " << FormatUtcDateTime(session->expiry) << "\n"
      << "GBA mode:   " << GbaModeName(session->mode) << "\n"
      << "NAF:        " << naf->fqdn() << "  (Ua " << naf->ua().ToHex() << ": "
      << naf->ua().Describe() << ")\n"
      << key_name << ": " << std::string(key_name.size() < 10 ? 10 - key_name.size() : 0, ' ')
      << (options.show_key ? key->RevealHex() : std::string("(hidden; --show-key prints it)"))
      << "\n";
  return kExitOk;
}

void AddBootstrapCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<BootstrapOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bootstrap", "Run one GBA bootstrap against the BSF with the card, and derive a NAF key");
  cmd->add_option("--bsf-url,--bsf", options->bsf_url,
                  "BSF URL (default: https://bsf.mncXXX.mccYYY.pub.3gppnetwork.org/ from the IMSI; "
                  "--bsf: old name, accepted until 0.3)");
  cmd->add_option("--ca-file", options->ca_file, "CA bundle for an https BSF (default: system)");
  cmd->add_option("--reader", options->card.reader,
                  "PC/SC reader name (default: the first reader with a card)");
  cmd->add_option("--pin-file", options->card.pin_file, "File holding PIN1 (verified once)");
  AddModemOptions(cmd, &options->card);
  cmd->add_option("--naf", options->naf_fqdn, "NAF FQDN, e.g. mef.example.com")->required();
  cmd->add_option(
         "--ua", options->ua_hex,
         "Ua security protocol id, 5 bytes hex, e.g. 01000100AE (TLS, cipher suite 0x00AE)")
      ->required();
  cmd->add_flag("--gba-me", options->force_gba_me, "Force GBA_ME even on a GBA-aware card");
  cmd->add_option("--timeout", options->timeout_seconds, "Total Ub timeout in seconds")
      ->check(CLI::Range(1, 300));
  cmd->add_flag("--show-key", options->show_key, "Print the NAF key in hex");
  cmd->add_flag("--json", options->card.json, "Print JSON for scripts");
  cmd->callback(
      [options, exit_code] { *exit_code = RunBootstrap(*options, std::cout, std::cerr); });
}

}  // namespace gbabridge::cli
