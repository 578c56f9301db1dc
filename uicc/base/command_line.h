// The command-line conventions every gbabridge binary follows (README, "Command-line
// conventions"): `--help` and `--version` exit 0; a usage error (unknown flag, missing
// required flag, bad value) prints CLI11's message and exits 2; a failure is reported as one
// line "error: MESSAGE" on stderr, with " [REASON]" only where a machine-readable reason
// exists.
//
// Header-only on purpose: only the binaries' mains include it, and they link CLI11 already;
// the base library itself does not depend on CLI11.
#ifndef GBABRIDGE_UICC_BASE_COMMAND_LINE_H_
#define GBABRIDGE_UICC_BASE_COMMAND_LINE_H_

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "uicc/base/version.h"

namespace gbabridge {

inline constexpr int kExitUsageError = 2;

// Adds `--version` printing "PROGRAM VERSION". Triggered as it is parsed, so that it works
// without the required flags (CLI11 2.1 checks those before ordinary flag callbacks).
inline void AddVersionFlag(CLI::App& app, std::string_view program) {
  app.set_version_flag("--version", std::string(program) + " " + kGbabridgeVersion)
      ->trigger_on_parse();
}

// Parses argv. nullopt: go on. Otherwise the process should exit with the value: 0 after
// --help or --version (printed), kExitUsageError after a usage error (printed on stderr).
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : kExitUsageError;
  }
  return std::nullopt;
}

// "error: MESSAGE" (and " [REASON]" when `reason` is not empty) on stderr; returns `exit_code`.
inline int ReportFailure(int exit_code, std::string_view message, std::string_view reason = {}) {
  std::cerr << "error: " << message;
  if (!reason.empty()) std::cerr << " [" << reason << "]";
  std::cerr << "\n";
  return exit_code;
}

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_COMMAND_LINE_H_
