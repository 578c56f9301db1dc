#include "tests/integration/cli_runner.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace gbabridge::testing {

CommandResult RunCli(const std::string& args) {
  return RunCommand(std::string(GBABRIDGE_CLI_BIN) + " " + args);
}

CommandResult RunCommand(const std::string& shell_command) {
  const std::string command = shell_command + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace gbabridge::testing
