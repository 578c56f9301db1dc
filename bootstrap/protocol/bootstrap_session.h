// The result of one GBA bootstrap (TS 33.220 §4.5.2): what the device keeps until the key
// lifetime ends.
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAP_SESSION_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAP_SESSION_H_

#include <string>

#include "absl/time/time.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

enum class GbaMode { kGbaMe, kGbaU };
std::string_view GbaModeName(GbaMode mode);  // "GBA_ME" / "GBA_U"

struct BootstrapSession {
  std::string btid;
  Bytes rand;
  std::string impi;
  GbaMode mode = GbaMode::kGbaMe;
  absl::Time expiry;           // key lifetime from the BSF (UTC)
  absl::Time bootstrapped_at;  // when the 200 OK arrived (UTC)
  SecretBytes ks;              // CK || IK; GBA_ME only (empty for GBA_U: Ks stays on the card)
  // TS 33.220 §4.5.2, Annex B.4: the TMPI of this bootstrap, when the BSF advertised
  // 3gpp-gba-tmpi; the next bootstrap may use it as Digest username instead of the IMPI.
  std::string tmpi;

  // Expiry decisions compare against `now` with a safety margin, so that a key is never
  // handed out moments before the BSF forgets it.
  bool ExpiresWithin(absl::Duration margin, absl::Time now) const { return now + margin >= expiry; }
};

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_BOOTSTRAP_SESSION_H_
