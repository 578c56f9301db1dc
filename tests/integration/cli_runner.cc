#include "tests/integration/cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gbabridge::testing {

CommandResult RunCli(const std::string& args) {
  return RunCommand(std::string(GBABRIDGE_CLI_BIN) + " " + args);
}

CommandResult RunCommand(const std::string& shell_command) {
  CommandResult result;
  // stderr goes to a file of its own, so that stdout stays parseable.
  char err_path[] = "/tmp/gbabridge-cli-stderr-XXXXXX";
  const int err_fd = mkstemp(err_path);
  if (err_fd < 0) return result;
  close(err_fd);
  const std::string command = "{ " + shell_command + " ; } 2>" + err_path;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe != nullptr) {
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      result.out.append(buffer.data(), n);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::ifstream err_file(err_path);
  std::ostringstream err_text;
  err_text << err_file.rdbuf();
  result.err = err_text.str();
  unlink(err_path);
  result.output = result.out + result.err;
  return result;
}

}  // namespace gbabridge::testing
