#include "bootstrap/daemon/daemon_reload.h"

#include <functional>
#include <utility>

namespace gbabridge::daemon {
namespace {

struct RestartOnlySetting {
  const char* key;
  std::function<bool(const DaemonConfig&, const DaemonConfig&)> same;
};

template <typename Field>
RestartOnlySetting Setting(const char* key, Field DaemonConfig::*field) {
  return {key,
          [field](const DaemonConfig& a, const DaemonConfig& b) { return a.*field == b.*field; }};
}

const std::vector<RestartOnlySetting>& RestartOnlySettings() {
  static const auto* settings = new std::vector<RestartOnlySetting>{
      Setting("card.transport", &DaemonConfig::transport),
      Setting("card.reader", &DaemonConfig::reader),
      Setting("card.modem_port", &DaemonConfig::modem_port),
      Setting("card.modem_baud", &DaemonConfig::modem_baud),
      Setting("card.modem_command_timeout_seconds", &DaemonConfig::modem_command_timeout),
      Setting("card.modem_lock_dir", &DaemonConfig::modem_lock_dir),
      Setting("card.modem_logical_channel", &DaemonConfig::modem_logical_channel),
      Setting("card.pin_file", &DaemonConfig::pin_file),
      Setting("card.pin_credential", &DaemonConfig::pin_credential),
      Setting("card.pin_rejections_file", &DaemonConfig::pin_rejections_file),
      Setting("bsf.url", &DaemonConfig::bsf_url),
      Setting("bsf.ca_file", &DaemonConfig::bsf_ca_file),
      Setting("bsf.connect_timeout_seconds", &DaemonConfig::connect_timeout),
      Setting("bsf.total_timeout_seconds", &DaemonConfig::total_timeout),
      Setting("bsf.gba_mode", &DaemonConfig::force_gba_me),
      Setting("session.refresh_margin_seconds", &DaemonConfig::refresh_margin),
      Setting("session.max_cached_naf_keys", &DaemonConfig::max_cached_naf_keys),
      Setting("session.max_session_lifetime_seconds", &DaemonConfig::max_session_lifetime),
      Setting("listen.unix_socket", &DaemonConfig::unix_socket),
      Setting("listen.unix_socket_mode", &DaemonConfig::unix_socket_mode),
      Setting("listen.unix_socket_group", &DaemonConfig::unix_socket_group),
      Setting("listen.tcp", &DaemonConfig::tcp),
      Setting("listen.tls_cert_file", &DaemonConfig::tls_cert_file),
      Setting("listen.tls_key_file", &DaemonConfig::tls_key_file),
      Setting("listen.tls_client_ca_file", &DaemonConfig::tls_client_ca_file),
      Setting("listen.reflection", &DaemonConfig::reflection),
      Setting("log.audit_file", &DaemonConfig::audit_file),
  };
  return *settings;
}

}  // namespace

ReloadPlan PlanReload(const DaemonConfig& running, const DaemonConfig& next) {
  ReloadPlan plan;
  plan.applied.push_back("[[client]] policy");
  if (running.log_level != next.log_level) plan.applied.push_back("log.level");
  for (const RestartOnlySetting& setting : RestartOnlySettings()) {
    if (!setting.same(running, next)) plan.needs_restart.push_back(setting.key);
  }
  return plan;
}

}  // namespace gbabridge::daemon
