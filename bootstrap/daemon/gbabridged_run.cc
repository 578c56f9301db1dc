// The gbabridged command line; see gbabridged_main.cc and gbabridged_run.h.
#include "bootstrap/daemon/gbabridged_run.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bootstrap/daemon/daemon_config.h"
#include "bootstrap/daemon/gbabridged.h"

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

}  // namespace

namespace gbabridge::daemon {

int RunGbabridged(int argc, char** argv, GbabridgedHooks hooks) {
  // Block the stop signals in every thread (threads inherit the mask) and wait for them in
  // main with sigwait: no handler runs in signal context, and shutdown is an ordinary call.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "gbabridged: the GBA key daemon (3GPP TS 33.220). It bootstraps with the USIM (PC/SC) and "
      "the operator's BSF, and serves NAF-specific keys to the local applications its policy "
      "allows, over gRPC (gbabridge.v1.GbaBridge) on a Unix socket, and optionally on TCP with "
      "mutual TLS. Prints \"READY unix=PATH[ tcp=HOST:PORT]\" on stdout when it accepts "
      "connections; logs to stderr; SIGTERM/SIGINT stop it."};
  app.set_version_flag("--version",
                       absl::StrCat("gbabridged ", gbabridge::daemon::kGbabridgedVersion));
  gbabridge::daemon::DaemonCommandLine command_line(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  absl::StatusOr<gbabridge::daemon::DaemonConfig> config = command_line.Load();
  if (!config.ok()) {
    std::cerr << "gbabridged: " << config.status().message() << "\n";
    return kExitUsage;
  }
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

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {} received: stopping", signal_number);
  (*daemon)->Shutdown();
  daemon->reset();
  return kExitOk;
}

}  // namespace gbabridge::daemon
