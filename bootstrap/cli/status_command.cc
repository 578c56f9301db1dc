#include "bootstrap/cli/status_command.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/daemon_error_exit.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::cli {
namespace {

using nlohmann::json;
namespace v1 = gbabridge::v1;

json StringOrNull(const std::string& s) { return s.empty() ? json() : json(s); }

std::string PinStateHuman(v1::PinState state) {
  switch (state) {
    case v1::PIN_STATE_DISABLED:
      return "disabled";
    case v1::PIN_STATE_VERIFIED:
      return "enabled, verified";
    case v1::PIN_STATE_REQUIRED:
      return "required (the daemon has no PIN, or it was not tried)";
    case v1::PIN_STATE_BLOCKED:
      return "blocked (PUK needed; GBA impossible until unblocked)";
    default:
      return "unknown";
  }
}

std::string SessionHuman(const v1::GetStatusResponse& status) {
  const std::string mode = GbaModeText(status.gba_mode());
  const std::string mode_suffix = mode.empty() ? "" : " (" + mode + ")";
  switch (status.session_state()) {
    case v1::SESSION_STATE_BOOTSTRAPPING:
      return "bootstrapping";
    case v1::SESSION_STATE_VALID:
      if (!status.has_session_expiry()) return "valid" + mode_suffix;
      return "valid until " + FormatTimestamp(status.session_expiry()) + mode_suffix;
    case v1::SESSION_STATE_EXPIRED:
      if (!status.has_session_expiry()) return "expired" + mode_suffix;
      return "expired at " + FormatTimestamp(status.session_expiry()) + mode_suffix;
    default:
      return "none";
  }
}

}  // namespace

std::string FormatTimestamp(const google::protobuf::Timestamp& t, bool with_fraction) {
  absl::Time time = absl::FromUnixSeconds(t.seconds());
  if (with_fraction) time += absl::Nanoseconds(t.nanos());
  return FormatUtcDateTime(time);
}

std::string GbaModeText(v1::GbaMode mode) {
  switch (mode) {
    case v1::GBA_MODE_ME:
      return "GBA_ME";
    case v1::GBA_MODE_U:
      return "GBA_U";
    default:
      return "";
  }
}

std::string PinStateText(v1::PinState state) {
  switch (state) {
    case v1::PIN_STATE_DISABLED:
      return "DISABLED";
    case v1::PIN_STATE_VERIFIED:
      return "VERIFIED";
    case v1::PIN_STATE_REQUIRED:
      return "REQUIRED";
    case v1::PIN_STATE_BLOCKED:
      return "BLOCKED";
    default:
      return "UNKNOWN";
  }
}

std::string SessionStateText(v1::SessionState state) {
  switch (state) {
    case v1::SESSION_STATE_BOOTSTRAPPING:
      return "BOOTSTRAPPING";
    case v1::SESSION_STATE_VALID:
      return "VALID";
    case v1::SESSION_STATE_EXPIRED:
      return "EXPIRED";
    default:
      return "NONE";
  }
}

json StatusToJson(const v1::GetStatusResponse& status) {
  return json{
      {"daemon_version", status.daemon_version()},
      {"reader", StringOrNull(status.reader())},
      {"card_present", status.card_present()},
      {"imsi_masked", StringOrNull(status.imsi_masked())},
      {"gba_u_capable", status.has_gba_u_capable() ? json(status.gba_u_capable()) : json()},
      {"pin_state", PinStateText(status.pin_state())},
      {"session_state", SessionStateText(status.session_state())},
      {"session_expiry",
       status.has_session_expiry() ? json(FormatTimestamp(status.session_expiry())) : json()},
      {"gba_mode", StringOrNull(GbaModeText(status.gba_mode()))},
      {"bsf_url", StringOrNull(status.bsf_url())},
      {"card_error_reason", StringOrNull(status.card_error_reason())},
      {"card_error_message", StringOrNull(status.card_error_message())},
  };
}

void PrintStatus(const v1::GetStatusResponse& status, std::ostream& out) {
  out << "daemon "
      << (status.daemon_version().empty() ? "(version unknown)" : status.daemon_version()) << "\n";
  if (status.reader().empty()) {
    out << "reader: none found\n";
  } else {
    out << "reader: " << status.reader()
        << (status.card_present() ? " (card present)" : " (no card)") << "\n";
  }
  if (status.card_present()) {
    out << "IMSI: " << (status.imsi_masked().empty() ? "(not read)" : status.imsi_masked()) << "\n"
        << "GBA_U: "
        << (!status.has_gba_u_capable() ? "unknown"
            : status.gba_u_capable()    ? "yes"
                                        : "no (GBA_ME only)")
        << "\n";
  }
  if (!status.card_error_reason().empty()) {
    out << "card problem: " << status.card_error_message() << " [" << status.card_error_reason()
        << "]\n";
  }
  out << "PIN: " << PinStateHuman(status.pin_state()) << "\n"
      << "session: " << SessionHuman(status) << "\n"
      << "BSF: " << (status.bsf_url().empty() ? "(not known yet)" : status.bsf_url()) << "\n";
}

json StatsToJson(const v1::GetStatsResponse& stats) {
  json errors = json::object();
  for (const auto& [reason, count] : stats.errors_by_reason()) errors[reason] = count;
  return json{{"started_at", FormatTimestamp(stats.started_at())},
              {"uptime_seconds", stats.uptime_seconds()},
              {"bootstrap_attempts", stats.bootstrap_attempts()},
              {"bootstraps", stats.bootstraps()},
              {"keys_issued", stats.keys_issued()},
              {"cache_hits", stats.cache_hits()},
              {"errors_by_reason", errors}};
}

void PrintStats(const v1::GetStatsResponse& stats, std::ostream& out) {
  out << "uptime: " << absl::FormatDuration(absl::Seconds(stats.uptime_seconds())) << " (since "
      << FormatTimestamp(stats.started_at()) << ")\n"
      << "bootstraps: " << stats.bootstraps() << " of " << stats.bootstrap_attempts()
      << " attempts\n"
      << "keys issued: " << stats.keys_issued() << " (" << stats.cache_hits()
      << " from the cache)\n";
  // Sorted by name: a map's wire order is unspecified.
  std::map<std::string, uint64_t> errors(stats.errors_by_reason().begin(),
                                         stats.errors_by_reason().end());
  out << "errors:";
  if (errors.empty()) out << " none";
  for (const auto& [reason, count] : errors) out << " " << reason << "=" << count;
  out << "\n";
}

std::optional<CliError> CannotServeKeys(const v1::GetStatusResponse& status) {
  // A valid session serves keys (from the cache, or derived) even while the card is away
  // for a moment; without one, a card problem means no key.
  if (status.session_state() == v1::SESSION_STATE_VALID) return std::nullopt;
  if (status.card_present() && status.card_error_reason().empty()) return std::nullopt;
  CliError error;
  error.reason = status.card_error_reason().empty() ? "NO_CARD" : status.card_error_reason();
  error.exit_code = ExitCodeForDaemonError(grpc::StatusCode::UNAVAILABLE, error.reason);
  error.message = absl::StrCat("the daemon cannot serve keys: ", status.card_error_message().empty()
                                                                     ? std::string("no card")
                                                                     : status.card_error_message());
  return error;
}

int RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options.connection);
  if (!connection.ok()) return ReportLocalError(connection.status(), options.json, out, err);

  std::unique_ptr<v1::GbaBridge::Stub> stub = connection->NewStub();
  grpc::ClientContext context;
  connection->SetDeadline(context);
  v1::GetStatusResponse response;
  const grpc::Status rpc = stub->GetStatus(&context, v1::GetStatusRequest(), &response);
  if (!rpc.ok()) {
    return ReportError(DescribeDaemonFailure(
                           rpc, wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata()),
                           connection->target(), connection->timeout()),
                       options.json, out, err);
  }
  std::optional<v1::GetStatsResponse> stats;
  if (options.stats) {
    grpc::ClientContext stats_context;
    connection->SetDeadline(stats_context);
    stats.emplace();
    const grpc::Status stats_rpc = stub->GetStats(&stats_context, v1::GetStatsRequest(), &*stats);
    if (!stats_rpc.ok()) {
      return ReportError(
          DescribeDaemonFailure(
              stats_rpc, wire::ErrorReasonFromTrailers(stats_context.GetServerTrailingMetadata()),
              connection->target(), connection->timeout()),
          options.json, out, err);
    }
  }
  if (options.json) {
    json document = StatusToJson(response);
    if (stats.has_value()) document["stats"] = StatsToJson(*stats);
    out << document.dump(2) << "\n";
  } else {
    PrintStatus(response, out);
    if (stats.has_value()) PrintStats(*stats, out);
  }
  if (options.check) {
    // The status was shown; the exit code says whether a key request could succeed now.
    if (std::optional<CliError> unusable = CannotServeKeys(response)) {
      err << "error: " << unusable->message << " [" << unusable->reason << "]\n";
      return unusable->exit_code;
    }
  }
  return kExitOk;
}

void AddStatusCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Ask gbabridged for the daemon, reader, card and session state (GetStatus)");
  AddDaemonConnectionOptions(cmd, &options->connection);
  cmd->add_flag("--json", options->json, "Print JSON for scripts");
  cmd->add_flag("--check", options->check,
                "Exit non-zero (3 card, 4 PIN, ...) when the daemon cannot serve keys now: no "
                "valid session and the card unusable; for health checks and scripts");
  cmd->add_flag("--stats", options->stats,
                "Also show the daemon's counters (GetStats): uptime, bootstraps, keys issued, "
                "cache hits, errors by reason");
  cmd->footer(kDaemonExitCodesHelp);
  cmd->callback([options, exit_code] { *exit_code = RunStatus(*options, std::cout, std::cerr); });
}

}  // namespace gbabridge::cli
