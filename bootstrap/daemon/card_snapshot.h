// CardSnapshot: what gbabridged knows about the reader and the card, kept current by the
// CardWatcher and read by GetStatus without touching the card (so that status queries cost
// no APDU and never wait behind a bootstrap).
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SNAPSHOT_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SNAPSHOT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace gbabridge::daemon {

// Mirrors gbabridge.v1.PinState.
enum class PinStatus { kUnknown, kDisabled, kVerified, kRequired, kBlocked };

struct CardSnapshot {
  std::string reader;  // the reader in use; empty when none was found
  bool card_present = false;
  // Each card field is read on its own: what the card could not answer stays empty
  // (unknown), and the rest is still shown.
  std::string iccid;        // for change detection only; never sent to clients
  std::string imsi_masked;  // MCC+MNC and the last two digits shown, e.g. "00101*******23"
  std::optional<bool> gba_u_capable;  // nullopt: not known (no card, or not read yet)
  PinStatus pin = PinStatus::kUnknown;
  std::string bsf_url;      // configured, or derived from the IMSI
  absl::Status last_error;  // the last card-side failure (pcscd down, PIN blocked, ...)
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_CARD_SNAPSHOT_H_
