#include "bootstrap/cli/watch_command.h"

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/daemon_error_exit.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/cli/status_command.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::cli {
namespace {

using nlohmann::json;
namespace v1 = gbabridge::v1;

// How often the stop flag is looked at: a signal handler may only set a flag
// (ClientContext::TryCancel is not async-signal-safe), so a thread polls it.
constexpr auto kStopPollInterval = std::chrono::milliseconds(100);

// key=value, quoted (JSON string escapes) when the value is empty or has spaces, quotes,
// '=' or control characters, so that lines stay splittable.
std::string Field(std::string_view key, const std::string& value) {
  const bool plain = !value.empty() && value.find_first_of(" \"=\\\t\r\n") == std::string::npos;
  return absl::StrCat(" ", std::string(key), "=", plain ? value : json(value).dump());
}

// Set by the SIGINT/SIGTERM handler of the `watch` command.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

}  // namespace

std::string EventTypeText(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_SNAPSHOT:
      return "snapshot";
    case v1::EVENT_TYPE_CARD_INSERTED:
      return "card-inserted";
    case v1::EVENT_TYPE_CARD_REMOVED:
      return "card-removed";
    case v1::EVENT_TYPE_BOOTSTRAPPED:
      return "bootstrapped";
    case v1::EVENT_TYPE_SESSION_EXPIRED:
      return "session-expired";
    case v1::EVENT_TYPE_ERROR:
      return "error";
    case v1::EVENT_TYPE_EVENTS_DROPPED:
      return "events-dropped";
    default:
      return "unknown";
  }
}

std::string FormatEventLine(const v1::Event& event) {
  std::string line = absl::StrCat(event.has_time() ? FormatTimestamp(event.time()) : "-", " ",
                                  EventTypeText(event.type()));
  if (event.type() == v1::EVENT_TYPE_SNAPSHOT) {
    const v1::GetStatusResponse& s = event.status();
    if (!s.reader().empty()) absl::StrAppend(&line, Field("reader", s.reader()));
    absl::StrAppend(&line, Field("card", s.card_present() ? "present" : "absent"),
                    Field("pin", absl::AsciiStrToLower(PinStateText(s.pin_state()))),
                    Field("session", absl::AsciiStrToLower(SessionStateText(s.session_state()))));
    if (s.has_session_expiry()) {
      absl::StrAppend(&line, Field("expiry", FormatTimestamp(s.session_expiry())));
    }
    if (s.gba_mode() != v1::GBA_MODE_UNSPECIFIED) {
      absl::StrAppend(&line, Field("gba_mode", GbaModeText(s.gba_mode())));
    }
    return line;
  }
  if (!event.reader().empty()) absl::StrAppend(&line, Field("reader", event.reader()));
  switch (event.type()) {
    case v1::EVENT_TYPE_BOOTSTRAPPED:
      absl::StrAppend(&line, Field("btid", event.btid()));
      if (event.has_expiry()) {
        absl::StrAppend(&line, Field("expiry", FormatTimestamp(event.expiry())));
      }
      if (event.gba_mode() != v1::GBA_MODE_UNSPECIFIED) {
        absl::StrAppend(&line, Field("gba_mode", GbaModeText(event.gba_mode())));
      }
      break;
    case v1::EVENT_TYPE_ERROR:
      absl::StrAppend(&line, Field("code", event.error_code()),
                      Field("reason", event.error_reason()),
                      Field("message", event.error_message()));
      break;
    case v1::EVENT_TYPE_EVENTS_DROPPED:
      absl::StrAppend(&line, Field("hint", "run gbabridge status to resynchronise"));
      break;
    case v1::EVENT_TYPE_SNAPSHOT:
    case v1::EVENT_TYPE_CARD_INSERTED:
    case v1::EVENT_TYPE_CARD_REMOVED:
    case v1::EVENT_TYPE_SESSION_EXPIRED:
      break;
    default:
      absl::StrAppend(&line, Field("type_number", absl::StrCat(static_cast<int>(event.type()))));
      break;
  }
  return line;
}

json EventToJson(const v1::Event& event) {
  json j = {{"time", event.has_time() ? json(FormatTimestamp(event.time(), true)) : json()},
            {"type", EventTypeText(event.type())}};
  if (!event.reader().empty()) j["reader"] = event.reader();
  switch (event.type()) {
    case v1::EVENT_TYPE_SNAPSHOT:
      j["status"] = StatusToJson(event.status());
      break;
    case v1::EVENT_TYPE_BOOTSTRAPPED:
      j["btid"] = event.btid();
      j["expiry"] = event.has_expiry() ? json(FormatTimestamp(event.expiry())) : json();
      j["gba_mode"] = event.gba_mode() != v1::GBA_MODE_UNSPECIFIED
                          ? json(GbaModeText(event.gba_mode()))
                          : json();
      break;
    case v1::EVENT_TYPE_ERROR:
      j["error_code"] = event.error_code();
      j["error_reason"] = event.error_reason();
      j["error_message"] = event.error_message();
      break;
    case v1::EVENT_TYPE_CARD_INSERTED:
    case v1::EVENT_TYPE_CARD_REMOVED:
    case v1::EVENT_TYPE_SESSION_EXPIRED:
    case v1::EVENT_TYPE_EVENTS_DROPPED:
      break;
    default:
      j["type_number"] = static_cast<int>(event.type());
      break;
  }
  return j;
}

int RunWatch(const WatchOptions& options, std::ostream& out, std::ostream& err,
             const std::atomic<bool>* stop) {
  if (options.count < 0) {
    return ReportLocalError(absl::InvalidArgumentError("--count must be 0 or more"), options.json,
                            out, err);
  }
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options.connection);
  if (!connection.ok()) return ReportLocalError(connection.status(), options.json, out, err);
  // The stream has no deadline (it lasts until stopped); --timeout bounds the connection.
  if (absl::Status connected = connection->WaitUntilConnected(stop); !connected.ok()) {
    if (absl::IsCancelled(connected)) return kExitOk;  // Ctrl-C while connecting
    return ReportError(
        DescribeConnectFailure(connected, connection->target(), connection->timeout()),
        options.json, out, err);
  }

  std::unique_ptr<v1::GbaBridge::Stub> stub = connection->NewStub();
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      stub->WatchEvents(&context, v1::WatchEventsRequest());

  // Cancels the stream when *stop turns true; Read() then returns false.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!finished) {
      if (stop != nullptr && stop->load()) {
        context.TryCancel();
        return;
      }
      cv.wait_for(lock, kStopPollInterval);
    }
  });

  int printed = 0;
  bool count_reached = false;
  v1::Event event;
  while (reader->Read(&event)) {
    if (options.json) {
      out << EventToJson(event).dump() << "\n" << std::flush;
    } else {
      out << FormatEventLine(event) << "\n" << std::flush;
    }
    if (options.count > 0 && ++printed >= options.count) {
      count_reached = true;
      context.TryCancel();
      while (reader->Read(&event)) {
      }
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
  }
  cv.notify_all();
  canceller.join();
  const grpc::Status rpc = reader->Finish();

  if (count_reached || (stop != nullptr && stop->load())) return kExitOk;
  if (rpc.ok()) {
    CliError closed;
    closed.exit_code = kExitDaemonUnreachable;
    closed.reason = "STREAM_CLOSED";
    closed.grpc_code = "OK";
    closed.message = absl::StrCat("the daemon at ", connection->target().display(),
                                  " closed the event stream (gbabridged stopping?)");
    return ReportError(closed, options.json, out, err);
  }
  return ReportError(
      DescribeDaemonFailure(rpc, wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata()),
                            connection->target(), connection->timeout()),
      options.json, out, err);
}

void AddWatchCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<WatchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "watch",
      "Follow gbabridged's events (card inserted/removed, bootstrapped, expired, "
      "errors); Ctrl-C ends it");
  cmd->add_flag("--json", options->json, "Print one JSON object per line");
  cmd->add_option("--count", options->count,
                  "Exit after N events (the first is always the snapshot); 0: no limit")
      ->check(CLI::NonNegativeNumber);
  AddDaemonConnectionOptions(cmd, &options->connection);
  cmd->footer(kDaemonExitCodesHelp);
  cmd->callback([options, exit_code] {
    // Ctrl-C (or a service manager's SIGTERM) ends the watch cleanly: exit 0.
    struct sigaction action = {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    struct sigaction old_int = {};
    struct sigaction old_term = {};
    g_interrupted.store(false);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    *exit_code = RunWatch(*options, std::cout, std::cerr, &g_interrupted);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  });
}

}  // namespace gbabridge::cli
