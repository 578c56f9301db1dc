#include "bootstrap/cli/card_command.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/exit_codes.h"
#include "nlohmann/json.hpp"
#include "uicc/base/identifiers.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_error.h"
#include "uicc/iccid.h"
#include "uicc/modem/modem_transport.h"
#include "uicc/pcsc_transport.h"
#include "uicc/usim.h"

namespace gbabridge::cli {
namespace {

using nlohmann::json;

int Fail(const absl::Status& status, const CardOptions& options, std::ostream& out,
         std::ostream& err) {
  return ReportLocalError(status, options.json, out, err);
}

// Reads PIN1 from a file (first line, surrounding whitespace dropped). A PIN on the
// command line would show in `ps`, so there is no flag for the PIN itself.
absl::StatusOr<SecretBytes> ReadPinFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read PIN file ", path));
  std::string line;
  std::getline(in, line);
  size_t begin = line.find_first_not_of(" \t\r\n");
  size_t end = line.find_last_not_of(" \t\r\n");
  SecretBytes pin =
      begin == std::string::npos
          ? SecretBytes()
          : SecretBytes::CopyFrom(AsBytes(std::string_view(line).substr(begin, end - begin + 1)));
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(line.data()), line.size()));
  if (pin.empty()) return absl::InvalidArgumentError(absl::StrCat("PIN file ", path, " is empty"));
  return pin;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CardTransport>> OpenCard(const CardOptions& options) {
  if (!options.modem.empty()) {
    if (!options.reader.empty()) {
      return absl::InvalidArgumentError(
          "--reader names a PC/SC reader; --modem is the card's modem");
    }
    auto link = std::make_shared<modem::ModemLink>(
        modem::ModemOptions{.port = options.modem,
                            .baud = options.modem_baud,
                            .command_timeout = absl::Seconds(options.modem_timeout_seconds)});
    absl::StatusOr<std::unique_ptr<modem::ModemTransport>> transport =
        modem::ModemTransport::Connect(std::move(link));
    if (!transport.ok()) return transport.status();
    return std::unique_ptr<CardTransport>(std::move(*transport));
  }
  absl::StatusOr<std::unique_ptr<PcscTransport>> pcsc =
      PcscTransport::Connect(PcscOptions{.reader = options.reader});
  if (!pcsc.ok()) return pcsc.status();
  return std::unique_ptr<CardTransport>(std::move(*pcsc));
}

void AddModemOptions(CLI::App* cmd, CardOptions* options) {
  cmd->add_option("--modem", options->modem,
                  "The USIM is in a cellular modem on this AT port (e.g. /dev/ttyUSB2), not in a "
                  "PC/SC reader");
  cmd->add_option("--modem-baud", options->modem_baud, "The modem port's baud rate")
      ->check(CLI::IsMember({9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}));
  cmd->add_option("--modem-timeout", options->modem_timeout_seconds,
                  "Seconds one AT command may take (AUTHENTICATE needs seconds)")
      ->check(CLI::Range(1, 300));
}

absl::Status VerifyPinFromFile(Usim& usim, const CardOptions& options) {
  if (options.pin_file.empty()) return absl::OkStatus();
  absl::StatusOr<SecretBytes> pin = ReadPinFile(options.pin_file);
  if (!pin.ok()) return pin.status();
  const std::string_view pin_view(reinterpret_cast<const char*>(pin->data()), pin->size());
  return usim.VerifyPin(pin_view);
}

namespace {

std::string PinText(const PinState& pin) {
  if (pin.blocked) return "blocked (unblock with the PUK)";
  if (!pin.enabled) return "disabled";
  std::string text = pin.verified ? "enabled, verified" : "enabled, not verified";
  if (pin.tries_left >= 0) absl::StrAppend(&text, ", ", pin.tries_left, " tries left");
  return text;
}

}  // namespace

int RunCardReaders(const CardOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<PcscReaderInfo>> readers = PcscTransport::ListReaders();
  if (!readers.ok()) return Fail(readers.status(), options, out, err);
  if (options.json) {
    json list = json::array();
    for (const PcscReaderInfo& r : *readers) {
      list.push_back({{"name", r.name}, {"card_present", r.card_present}});
    }
    out << json{{"readers", list}}.dump(2) << "\n";
  } else {
    for (const PcscReaderInfo& r : *readers) {
      out << r.name << (r.card_present ? "  [card present]" : "  [empty]") << "\n";
    }
  }
  return kExitOk;
}

int RunCardInfo(const CardInfoOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<CardTransport>> channel = OpenCard(options.card);
  if (!channel.ok()) return Fail(channel.status(), options.card, out, err);
  Usim usim(**channel);

  absl::Status pin_status = VerifyPinFromFile(usim, options.card);
  if (!pin_status.ok()) return Fail(pin_status, options.card, out, err);

  absl::StatusOr<CardApplications> apps = usim.ListApplications();
  if (!apps.ok()) return Fail(apps.status(), options.card, out, err);
  absl::StatusOr<PinState> pin = usim.GetPinState();
  if (!pin.ok()) return Fail(pin.status(), options.card, out, err);
  absl::StatusOr<Bytes> iccid_raw = usim.ReadIccid();
  std::string iccid = "unreadable";
  if (iccid_raw.ok()) {
    absl::StatusOr<std::string> decoded = DecodeIccid(*iccid_raw);
    if (decoded.ok()) iccid = *decoded;
  }

  // These need PIN1 when it is enabled: report that instead of failing the whole command.
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  absl::StatusOr<bool> gba = usim.IsGbaCapable();
  absl::StatusOr<std::optional<std::string>> isim_impi = usim.ReadIsimImpi();
  for (const absl::Status& s : {imsi.status(), gba.status(), isim_impi.status()}) {
    if (!s.ok() && GetCardErrorReason(s) != CardErrorReason::kPinRequired) {
      return Fail(s, options.card, out, err);
    }
  }
  const bool pin_needed = !imsi.ok();
  const std::string imsi_text =
      !imsi.ok() ? "" : (options.show_imsi ? imsi->digits : imsi->Masked());
  std::optional<std::string> impi;
  if (imsi.ok() && isim_impi.ok()) {
    impi = isim_impi->has_value() ? **isim_impi : DeriveImpi(*imsi);
  }

  if (options.card.json) {
    json j = {{"reader", (*channel)->ReaderName()},
              {"atr", HexEncode((*channel)->Atr())},
              {"protocol", (*channel)->ActiveProtocol()},
              {"iccid", iccid},
              {"usim_aid", HexEncode(apps->usim_aid)},
              {"isim_aid", apps->isim_aid.has_value() ? json(HexEncode(*apps->isim_aid)) : json()},
              {"pin",
               {{"enabled", pin->enabled},
                {"verified", pin->verified},
                {"blocked", pin->blocked},
                {"tries_left", pin->tries_left}}},
              {"pin_required", pin_needed}};
    if (imsi.ok()) {
      j["imsi"] = imsi_text;
      j["imsi_masked"] = !options.show_imsi;
      j["mnc_length"] = imsi->mnc_length;
      j["bsf_fqdn"] = DeriveBsfFqdn(*imsi);
    }
    if (gba.ok()) j["gba_service"] = *gba;
    if (impi.has_value() && options.show_imsi) j["impi"] = *impi;
    out << j.dump(2) << "\n";
    return kExitOk;
  }

  out << "Reader:        " << (*channel)->ReaderName() << "\n"
      << "ATR:           "
      << ((*channel)->Atr().empty() ? std::string("(not shown through a modem)")
                                    : HexEncode((*channel)->Atr()))
      << "\n"
      << "Protocol:      " << (*channel)->ActiveProtocol() << "\n"
      << "ICCID:         " << iccid << "\n"
      << "USIM:          present (AID " << HexEncode(apps->usim_aid) << ")\n"
      << "ISIM:          "
      << (apps->isim_aid.has_value() ? "present (AID " + HexEncode(*apps->isim_aid) + ")"
                                     : std::string("not present"))
      << "\n"
      << "PIN1:          " << PinText(*pin) << "\n";
  if (pin_needed) {
    out << "IMSI:          PIN required (give --pin-file FILE)\n";
    return kExitOk;
  }
  out << "IMSI:          " << imsi_text << (options.show_imsi ? "" : "  (masked; --show-imsi)")
      << "\n"
      << "MNC length:    " << imsi->mnc_length << "\n"
      << "GBA (UST 68):  " << (gba.ok() && *gba ? "yes (GBA_U capable)" : "no (GBA_ME only)")
      << "\n"
      << "BSF FQDN:      " << DeriveBsfFqdn(*imsi) << "\n";
  if (impi.has_value()) {
    out << "IMPI:          " << (options.show_imsi ? *impi : std::string("(hidden; --show-imsi)"))
        << (isim_impi.ok() && isim_impi->has_value() ? "  [from ISIM]" : "  [derived from IMSI]")
        << "\n";
  }
  return kExitOk;
}

int RunCardAuthenticate(const CardAuthenticateOptions& options, std::ostream& out,
                        std::ostream& err) {
  absl::StatusOr<Bytes> rand = HexDecode(options.rand_hex);
  absl::StatusOr<Bytes> autn = HexDecode(options.autn_hex);
  if (!rand.ok() || !autn.ok() || rand->size() != 16 || autn->size() != 16) {
    return Fail(absl::InvalidArgumentError("--rand and --autn take 16 bytes of hex each"),
                options.card, out, err);
  }
  absl::StatusOr<std::unique_ptr<CardTransport>> channel = OpenCard(options.card);
  if (!channel.ok()) return Fail(channel.status(), options.card, out, err);
  Usim usim(**channel);
  absl::Status pin_status = VerifyPinFromFile(usim, options.card);
  if (!pin_status.ok()) return Fail(pin_status, options.card, out, err);

  // Secrets are shown only with --show-keys; otherwise their lengths.
  auto secret = [&](const SecretBytes& s) -> json {
    if (s.empty()) return json();
    return options.show_keys ? json(s.RevealHex()) : json(absl::StrCat(s.size(), " bytes"));
  };
  json j;
  if (options.context == "gba") {
    absl::StatusOr<GbaBootstrapResult> r = usim.AuthenticateGbaBootstrap(*rand, *autn);
    if (!r.ok()) return Fail(r.status(), options.card, out, err);
    if (r->sync_failure) {
      j = {{"result", "sync_failure"}, {"auts", HexEncode(r->auts)}};
    } else {
      j = {{"result", "success"}, {"context", "gba"}, {"res", secret(r->res)}};
    }
  } else {
    absl::StatusOr<Auth3gResult> r = usim.Authenticate3g(*rand, *autn);
    if (!r.ok()) return Fail(r.status(), options.card, out, err);
    if (r->sync_failure) {
      j = {{"result", "sync_failure"}, {"auts", HexEncode(r->auts)}};
    } else {
      j = {{"result", "success"}, {"context", "3g"},     {"res", secret(r->res)},
           {"ck", secret(r->ck)}, {"ik", secret(r->ik)}, {"kc", secret(r->kc)}};
    }
  }
  if (options.card.json) {
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  if (j["result"] == "sync_failure") {
    out << "Result:  synchronisation failure (SQN out of range)\n"
        << "AUTS:    " << j["auts"].get<std::string>() << "\n";
    return kExitOk;
  }
  out << "Result:  success (" << options.context << " context)\n";
  for (const auto& [key, label] : {std::pair<const char*, std::string_view>{"res", "RES:     "},
                                   {"ck", "CK:      "},
                                   {"ik", "IK:      "},
                                   {"kc", "Kc:      "}}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    out << label << j[key].get<std::string>() << "\n";
  }
  if (!options.show_keys) out << "(key material hidden; --show-keys prints it)\n";
  return kExitOk;
}

void AddCardCommands(CLI::App& app, int* exit_code) {
  CLI::App* card =
      app.add_subcommand("card", "Talk to the USIM directly through PC/SC or a modem (--modem)");
  card->require_subcommand(1);

  auto add_common = [](CLI::App* cmd, CardOptions* options) {
    cmd->add_option("--reader", options->reader,
                    "PC/SC reader name (default: the first reader with a card)");
    cmd->add_option("--pin-file", options->pin_file,
                    "File holding PIN1, verified once before reading (never retried)");
    cmd->add_flag("--json", options->json, "Print JSON for scripts");
    AddModemOptions(cmd, options);
  };

  auto readers_options = std::make_shared<CardOptions>();
  CLI::App* readers = card->add_subcommand("readers", "List PC/SC readers and their cards");
  readers->add_flag("--json", readers_options->json, "Print JSON for scripts");
  readers->callback([readers_options, exit_code] {
    *exit_code = RunCardReaders(*readers_options, std::cout, std::cerr);
  });

  auto info_options = std::make_shared<CardInfoOptions>();
  CLI::App* info = card->add_subcommand(
      "info", "Show reader, ATR, ICCID, IMSI, MNC length, USIM/ISIM, GBA service and PIN");
  add_common(info, &info_options->card);
  info->add_flag("--show-imsi", info_options->show_imsi, "Show the IMSI and IMPI unmasked");
  info->callback(
      [info_options, exit_code] { *exit_code = RunCardInfo(*info_options, std::cout, std::cerr); });

  auto auth_options = std::make_shared<CardAuthenticateOptions>();
  CLI::App* auth = card->add_subcommand(
      "authenticate", "Run AUTHENTICATE with a given RAND and AUTN (diagnostics)");
  add_common(auth, &auth_options->card);
  auth->add_option("--rand", auth_options->rand_hex, "RAND, 16 bytes hex")->required();
  auth->add_option("--autn", auth_options->autn_hex, "AUTN (or AUTN* for GBA), 16 bytes hex")
      ->required();
  auth->add_option("--context", auth_options->context,
                   "Security context: 3g (RES, CK, IK) or gba (bootstrapping mode, RES only)")
      ->check(CLI::IsMember({"3g", "gba"}));
  auth->add_flag("--show-keys", auth_options->show_keys, "Print RES, CK, IK and Kc in hex");
  auth->callback([auth_options, exit_code] {
    *exit_code = RunCardAuthenticate(*auth_options, std::cout, std::cerr);
  });
}

}  // namespace gbabridge::cli
