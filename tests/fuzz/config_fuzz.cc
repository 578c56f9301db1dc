// Fuzz target: the configuration and import formats, parsed with toml++ and nlohmann-json:
// gbabridged's TOML (with its [[client]] policy), a soft-usim card profile, and bsf-sim's
// subscriber import JSON. Errors must be clean; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bootstrap/daemon/daemon_config.h"
#include "bootstrap/daemon/policy.h"
#include "bsf_sim/subscriber_import.h"
#include "uicc/soft_usim/card_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gbabridge::daemon::DaemonConfig config;
  (void)gbabridge::daemon::ApplyDaemonConfigToml(text, "fuzz.toml", "", config);
  (void)gbabridge::daemon::ValidateDaemonConfig(config);
  (void)gbabridge::daemon::Policy::Parse(text, "fuzz.toml");
  (void)gbabridge::CardProfile::Parse(text, "fuzz.toml");
  (void)gbabridge::bsf::ParseSubscriberImport(std::string(text));
  (void)gbabridge::daemon::ParseHostPort(text);
  (void)gbabridge::daemon::ParseSocketMode(text);
  return 0;
}
