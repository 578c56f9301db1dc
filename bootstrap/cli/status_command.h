// `gbabridge status`: asks gbabridged (GetStatus) for the daemon's, the reader's, the card's
// and the session's state. Nothing secret and no full IMSI travels (gbabridge.proto).
// Also holds the status and timestamp formatting shared with `gbabridge watch`.
#ifndef GBABRIDGE_BOOTSTRAP_CLI_STATUS_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_STATUS_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/daemon_connection.h"
#include "gbabridge/v1/gbabridge.pb.h"
#include "nlohmann/json.hpp"

namespace gbabridge::cli {

struct StatusOptions {
  DaemonConnectionOptions connection;
  bool json = false;
  bool check = false;  // exit non-zero when the daemon cannot serve keys (CannotServeKeys)
  bool stats = false;  // also GetStats
};

int RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err);
void AddStatusCommand(CLI::App& app, int* exit_code);

// RFC 3339 in UTC ("2026-11-27T21:40:00Z"); the fraction of a second only when asked for
// and non-zero.
std::string FormatTimestamp(const google::protobuf::Timestamp& t, bool with_fraction = false);
// "GBA_ME", "GBA_U"; "" for GBA_MODE_UNSPECIFIED.
std::string GbaModeText(gbabridge::v1::GbaMode mode);
// "DISABLED", "VERIFIED", "REQUIRED", "BLOCKED", "UNKNOWN".
std::string PinStateText(gbabridge::v1::PinState state);
// "NONE", "BOOTSTRAPPING", "VALID", "EXPIRED".
std::string SessionStateText(gbabridge::v1::SessionState state);

// The status as JSON (gbabridge status --json, and the snapshot event of watch --json).
nlohmann::json StatusToJson(const gbabridge::v1::GetStatusResponse& status);
// The status for people, one "name: value" line each.
void PrintStatus(const gbabridge::v1::GetStatusResponse& status, std::ostream& out);
// GetStats for scripts and for people.
nlohmann::json StatsToJson(const gbabridge::v1::GetStatsResponse& stats);
void PrintStats(const gbabridge::v1::GetStatsResponse& stats, std::ostream& out);
// Why the daemon cannot serve a key right now (`status --check`), or nullopt when it can: a
// valid session, or a present card without a problem.
std::optional<CliError> CannotServeKeys(const gbabridge::v1::GetStatusResponse& status);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_STATUS_COMMAND_H_
