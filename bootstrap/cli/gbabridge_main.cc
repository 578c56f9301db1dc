// gbabridge: the command-line tool. Thin: each command lives in its own file.
// `card` and `bootstrap` talk to the card directly; `status`, `naf-key` and `watch` are
// clients of gbabridged. The daemon connection options (--daemon, --tls-*, --insecure,
// --timeout) are registered on each daemon command, not on the app, so that the direct
// commands do not show options they ignore.
#include <optional>

#include "CLI/CLI.hpp"
#include "bootstrap/cli/bootstrap_command.h"
#include "bootstrap/cli/card_command.h"
#include "bootstrap/cli/doctor_command.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/cli/naf_key_command.h"
#include "bootstrap/cli/status_command.h"
#include "bootstrap/cli/watch_command.h"
#include "uicc/base/command_line.h"

int main(int argc, char** argv) {
  CLI::App app{"gbabridge: GBA bootstrapping from the USIM (TS 33.220)"};
  app.require_subcommand(1);
  gbabridge::AddVersionFlag(app, "gbabridge");
  int exit_code = gbabridge::cli::kExitOk;
  gbabridge::cli::AddCardCommands(app, &exit_code);
  gbabridge::cli::AddBootstrapCommand(app, &exit_code);
  gbabridge::cli::AddStatusCommand(app, &exit_code);
  gbabridge::cli::AddNafKeyCommand(app, &exit_code);
  gbabridge::cli::AddWatchCommand(app, &exit_code);
  gbabridge::cli::AddDoctorCommand(app, &exit_code);
  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }
  return exit_code;
}
