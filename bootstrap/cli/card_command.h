// `gbabridge card ...`: a card tool for people. It talks to the card directly (no daemon),
// through PC/SC or, with --modem, through a cellular modem's AT port: list readers, show
// what is on the card, and run AUTHENTICATE for diagnostics.
#ifndef GBABRIDGE_BOOTSTRAP_CLI_CARD_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_CARD_COMMAND_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "uicc/card_transport.h"
#include "uicc/usim.h"

namespace gbabridge::cli {

struct CardOptions {
  std::string reader;  // empty: first reader with a card
  std::string modem;   // the modem's AT port; non-empty: the modem transport, not PC/SC
  int modem_baud = 115200;
  int modem_timeout_seconds = 10;
  std::string pin_file;  // file holding PIN1, read only when given
  bool json = false;
};

struct CardInfoOptions {
  CardOptions card;
  bool show_imsi = false;
};

struct CardAuthenticateOptions {
  CardOptions card;
  std::string rand_hex;
  std::string autn_hex;
  std::string context = "3g";  // "3g" or "gba"
  bool show_keys = false;
};

// The card of `options`: the modem on options.modem, else the PC/SC reader.
absl::StatusOr<std::unique_ptr<CardTransport>> OpenCard(const CardOptions& options);
// Adds --modem, --modem-baud and --modem-timeout to `cmd`.
void AddModemOptions(CLI::App* cmd, CardOptions* options);

// Verifies PIN1 from options.pin_file when one is given (once; never retried).
absl::Status VerifyPinFromFile(Usim& usim, const CardOptions& options);

int RunCardReaders(const CardOptions& options, std::ostream& out, std::ostream& err);
int RunCardInfo(const CardInfoOptions& options, std::ostream& out, std::ostream& err);
int RunCardAuthenticate(const CardAuthenticateOptions& options, std::ostream& out,
                        std::ostream& err);

// Registers `card readers`, `card info` and `card authenticate`; the chosen command's exit
// code is written to *exit_code.
void AddCardCommands(CLI::App& app, int* exit_code);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_CARD_COMMAND_H_
