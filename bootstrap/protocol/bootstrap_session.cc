#include "bootstrap/protocol/bootstrap_session.h"

namespace gbabridge {

std::string_view GbaModeName(GbaMode mode) {
  // The names TS 33.220 uses (§4 GBA_ME, §5 GBA_U); also the GBA type reported on Zn.
  switch (mode) {
    case GbaMode::kGbaMe:
      return "GBA_ME";
    case GbaMode::kGbaU:
      return "GBA_U";
  }
  return "unknown";
}

}  // namespace gbabridge
