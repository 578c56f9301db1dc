// `gbabridge watch`: follows gbabridged's events (WatchEvents): one line per event, or one
// JSON object per line with --json. The first event is always the snapshot of the current
// state (gbabridge.proto, WatchEvents). Ends after --count N events, or on Ctrl-C (exit 0).
#ifndef GBABRIDGE_BOOTSTRAP_CLI_WATCH_COMMAND_H_
#define GBABRIDGE_BOOTSTRAP_CLI_WATCH_COMMAND_H_

#include <atomic>
#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "bootstrap/cli/daemon_connection.h"
#include "gbabridge/v1/gbabridge.pb.h"
#include "nlohmann/json.hpp"

namespace gbabridge::cli {

struct WatchOptions {
  DaemonConnectionOptions connection;
  bool json = false;
  int count = 0;  // stop after this many events; 0: until interrupted or the stream ends
};

// "snapshot", "card-inserted", "card-removed", "bootstrapped", "session-expired", "error",
// "events-dropped"; "unknown" for types this client does not know.
std::string EventTypeText(gbabridge::v1::EventType type);
// One line for people, e.g. `2026-11-27T21:00:01Z card-removed reader="Virtual PCD 00 00"`.
std::string FormatEventLine(const gbabridge::v1::Event& event);
// One object for scripts: {"time", "type", and the fields that type carries}.
nlohmann::json EventToJson(const gbabridge::v1::Event& event);

// Streams events to `out` until options.count events were printed, the stream ends, or
// *stop becomes true (polled; set it from a signal handler). Stopping by count or by *stop
// exits kExitOk; a stream the daemon ends or breaks is reported like a failed RPC.
int RunWatch(const WatchOptions& options, std::ostream& out, std::ostream& err,
             const std::atomic<bool>* stop = nullptr);
// Registers `watch`; its callback turns SIGINT/SIGTERM into a clean stop.
void AddWatchCommand(CLI::App& app, int* exit_code);

}  // namespace gbabridge::cli

#endif  // GBABRIDGE_BOOTSTRAP_CLI_WATCH_COMMAND_H_
