// The gbabridged command line; see gbabridged_main.cc and gbabridged_run.h.
#include "bootstrap/daemon/gbabridged_run.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/daemon/daemon_config.h"
#include "bootstrap/daemon/gbabridged.h"
#include "uicc/base/command_line.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("gbabridged");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ gbabridged %l: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int ExitCodeFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// --check-config: Gbabridged::Create() reads what the configuration names and builds the
// parts, without starting anything; then a summary on stdout.
int CheckConfig(gbabridge::daemon::DaemonConfig config, gbabridge::daemon::GbabridgedHooks hooks) {
  spdlog::set_level(spdlog::level::warn);  // the parts' info lines are not the summary
  const std::vector<std::string> sources = config.sources;
  absl::StatusOr<std::unique_ptr<gbabridge::daemon::Gbabridged>> daemon =
      gbabridge::daemon::Gbabridged::Create(std::move(config), std::move(hooks));
  if (!daemon.ok()) {
    return gbabridge::ReportFailure(ExitCodeFor(daemon.status()),
                                    std::string(daemon.status().message()));
  }
  std::printf("configuration OK: %s\n",
              sources.empty() ? "command-line flags only" : absl::StrJoin(sources, ", ").c_str());
  std::printf("  card: %s\n  BSF: %s\n  socket: unix:%s\n  client policy entries: %zu\n",
              (*daemon)->CardDescription().c_str(), (*daemon)->BsfDescription().c_str(),
              (*daemon)->unix_socket_path().c_str(), (*daemon)->policy_entries());
  return kExitOk;
}

}  // namespace

namespace gbabridge::daemon {

int RunGbabridged(int argc, char** argv, GbabridgedHooks hooks) {
  // Block the stop signals in every thread (threads inherit the mask) and wait for them in
  // main with sigwait: no handler runs in signal context, and shutdown is an ordinary call.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGQUIT);  // a stop too: the socket file must not be left behind
  sigaddset(&stop_signals, SIGHUP);   // reload (daemon_reload.h), never a stop
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "gbabridged: the GBA key daemon (3GPP TS 33.220). It bootstraps with the USIM (PC/SC) and "
      "the operator's BSF, and serves NAF-specific keys to the local applications its policy "
      "allows, over gRPC (gbabridge.v1.GbaBridge) on a Unix socket, and optionally on TCP with "
      "mutual TLS. Prints \"READY unix=PATH[ tcp=HOST:PORT]\" on stdout when it accepts "
      "connections; logs to stderr; SIGTERM/SIGINT stop it; SIGHUP reloads the client policy "
      "and log level (other settings need a restart, and the log says which)."};
  gbabridge::AddVersionFlag(app, "gbabridged");
  gbabridge::daemon::DaemonCommandLine command_line(app);
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "read and check the configuration and every file it names (policy, PIN, TLS "
               "files, socket group), print a summary, and exit: 0 when it would start, 2 "
               "with the file and line at fault otherwise. Nothing listens, the card is not "
               "touched");
  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }

  absl::StatusOr<gbabridge::daemon::DaemonConfig> config = command_line.Load();
  if (!config.ok()) {
    return gbabridge::ReportFailure(kExitUsage, std::string(config.status().message()));
  }
  if (check_config) return CheckConfig(*std::move(config), std::move(hooks));
  SetUpLogging(config->log_level);
  for (const std::string& source : config->sources) spdlog::info("configuration: {}", source);

  absl::StatusOr<std::unique_ptr<gbabridge::daemon::Gbabridged>> daemon =
      gbabridge::daemon::Gbabridged::Create(*std::move(config), std::move(hooks));
  if (!daemon.ok()) {
    spdlog::error("{}", std::string(daemon.status().message()));
    return ExitCodeFor(daemon.status());
  }
  if (absl::Status s = (*daemon)->Start(); !s.ok()) {
    spdlog::error("cannot start: {}", std::string(s.message()));
    (*daemon)->Shutdown();
    return ExitCodeFor(s);
  }
  std::string ready = absl::StrCat("READY unix=", (*daemon)->unix_socket_path());
  if (!(*daemon)->tcp_endpoint().empty())
    absl::StrAppend(&ready, " tcp=", (*daemon)->tcp_endpoint());
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  // Type=notify (sd_notify(3); a no-op without $NOTIFY_SOCKET).
  const std::string serving = absl::StrCat("serving on unix:", (*daemon)->unix_socket_path(),
                                           "; card: ", (*daemon)->CardDescription(),
                                           "; BSF: ", (*daemon)->BsfDescription());
  sd_notify(0, absl::StrCat("READY=1\nSTATUS=", serving).c_str());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    spdlog::info("SIGHUP: reloading the configuration");
    sd_notify(0, "RELOADING=1");
    absl::StatusOr<gbabridge::daemon::DaemonConfig> next = command_line.Load();
    if (!next.ok()) {
      spdlog::error("reload refused, the running configuration stays: {}",
                    std::string(next.status().message()));
    } else {
      (*daemon)->Reload(*next);
    }
    sd_notify(0, absl::StrCat("READY=1\nSTATUS=", serving).c_str());
  }
  spdlog::info("signal {} received: stopping", signal_number);
  sd_notify(0, "STOPPING=1\nSTATUS=stopping: wiping keys");
  (*daemon)->Shutdown();
  daemon->reset();
  return kExitOk;
}

}  // namespace gbabridge::daemon
