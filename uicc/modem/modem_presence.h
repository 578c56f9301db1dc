// ModemPresenceSource: card presence for a USIM in a modem, where there is no
// SCardGetStatusChange. It polls AT+CPIN? (TS 27.007 §8.3) and watches the SIM-related
// URCs the modem sends meanwhile, so that the daemon sees SIM removed/inserted and modem
// gone/back with the same events (and the same key wiping) as with PC/SC.
//
// The modem is one "reader" named after its port: absent while the port is not there
// (unplugged), present with card_present as AT+CPIN? says. A removal seen only in a URC
// (SIM pulled and pushed back between two polls) still moves event_count.
#ifndef GBABRIDGE_UICC_MODEM_MODEM_PRESENCE_H_
#define GBABRIDGE_UICC_MODEM_MODEM_PRESENCE_H_

#include <atomic>
#include <memory>
#include <optional>

#include "uicc/card_presence.h"
#include "uicc/modem/modem_link.h"

namespace gbabridge::modem {

class ModemPresenceSource : public CardPresenceSource {
 public:
  ModemPresenceSource(std::shared_ptr<ModemLink> link,
                      absl::Duration poll_interval = absl::Seconds(1));

  absl::StatusOr<std::vector<ReaderState>> Wait(absl::Duration timeout) override;
  void Interrupt() override;

 private:
  // The current state: nullopt while the modem is not there.
  std::optional<ReaderState> Poll();

  std::shared_ptr<ModemLink> link_;
  const absl::Duration poll_interval_;
  bool first_ = true;
  std::optional<ReaderState> last_;
  uint32_t event_count_ = 0;
  std::atomic<bool> interrupted_{false};
};

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_MODEM_PRESENCE_H_
