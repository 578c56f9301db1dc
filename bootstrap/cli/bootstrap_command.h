// `gbabridge bootstrap`: one GBA bootstrap directly against the card (no daemon), then one
// NAF key. Prints B-TID, expiry, mode and NAF_Id; the key only with --show-key.
#ifndef GBABRIDGE_BOOTSTRAP_CLI_BOOTSTRAP_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_BOOTSTRAP_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "bootstrap/cli/card_command.h"

namespace gbabridge::cli {

struct BootstrapOptions {
  CardOptions card;
  std::string bsf_url;  // empty: derived from the IMSI
  std::string ca_file;
  std::string naf_fqdn;
  std::string ua_hex;
  bool force_gba_me = false;
  bool show_key = false;
  int timeout_seconds = 20;
};

int RunBootstrap(const BootstrapOptions& options, std::ostream& out, std::ostream& err);
void AddBootstrapCommand(CLI::App& app, int* exit_code);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_BOOTSTRAP_COMMAND_H_
