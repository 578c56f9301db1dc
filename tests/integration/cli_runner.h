// Runs the gbabridge CLI as a person would, capturing its output and exit code.
#ifndef GBABRIDGE_TESTS_INTEGRATION_CLI_RUNNER_H_
#define GBABRIDGE_TESTS_INTEGRATION_CLI_RUNNER_H_

#include <string>

namespace gbabridge::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout, then stderr: what a person sees
  std::string out;     // stdout alone: what a script parses (--json)
  std::string err;     // stderr alone
};

// Runs `command` through the shell, capturing stdout and stderr apart.
CommandResult RunCommand(const std::string& command);

// `args` is appended to the gbabridge binary's path and run through the shell.
CommandResult RunCli(const std::string& args);

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_CLI_RUNNER_H_
