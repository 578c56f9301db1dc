// Fuzz target: the BootstrappingInfo XML of the BSF's 200 (TS 24.109 Annex C), parsed with
// pugixml. Any body must give a value or a clean error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bootstrap/protocol/bootstrapping_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)gbabridge::ParseBootstrappingInfo(text);
  (void)gbabridge::ParseXsDateTime(text);
  return 0;
}
