// `gbabridge doctor`: checks, one line each, what gbabridge needs on this machine, and says
// what to do about each problem:
//   pcscd (running?), the readers (and the configured one, by name), the daemon's socket
//   (there, a socket, and read/write for this user?), the daemon (answering? does its policy
//   name this user?), the card (present, usable, PIN, GBA_U; from the daemon's view, or read
//   directly when no daemon answers), and the BSF (reachable: TCP, and TLS for https).
// Exit status 0 when nothing failed, 1 otherwise (2 for usage errors). Touches the card only
// when the daemon does not answer (the daemon owns it otherwise).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_DOCTOR_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_DOCTOR_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "bootstrap/cli/card_command.h"
#include "bootstrap/cli/daemon_connection.h"

namespace gbabridge::cli {

struct DoctorOptions {
  DaemonConnectionOptions connection;
  CardOptions card;     // --reader (or --modem) for the direct card check
  std::string bsf_url;  // empty: the daemon's
};

int RunDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err);
void AddDoctorCommand(CLI::App& app, int* exit_code);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_DOCTOR_COMMAND_H_
