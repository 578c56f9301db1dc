// ModemTransport: a CardTransport to the USIM inside a cellular modem, over its AT port.
//
// APDUs go through a logical channel of our own when the modem has the commands
// (AT+CCHO / AT+CGLA / AT+CCHC, TS 27.007 §8.45, §8.43, §8.46), so that the modem's own
// use of the basic channel is left alone; else through AT+CSIM (§8.17). The CLA of each
// APDU carries the channel number (ETSI TS 102 221 §10.1.1). The base class follows 61xx and
// 6Cxx; a modem that answers with the data directly needs nothing more.
//
// On the basic channel the modem itself may select files between two AT+CSIM commands
// (its own SIM polling selects the MF): the transport keeps the SELECTs that lead to the
// current file and, when a command then finds no current EF (6986) or a relative SELECT
// finds no file (6A82), puts the selection back and retries once.
#ifndef GBABRIDGE_UICC_MODEM_MODEM_TRANSPORT_H_
#define GBABRIDGE_UICC_MODEM_MODEM_TRANSPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/card_transport.h"
#include "uicc/modem/modem_link.h"

namespace gbabridge::modem {

struct ModemTransportOptions {
  // Use AT+CCHO/AT+CGLA when the modem has them (default); false: always AT+CSIM.
  bool logical_channel = true;
  // The application the logical channel is opened to: the USIM's RID || PIX prefix
  // (TS 101 220 Annex E, TS 31.102), as a partial DF name (TS 102 221 §8.5.3).
  std::string channel_aid = "A0000000871002";
};

class ModemTransport : public CardTransport {
 public:
  // NO_CARD when the modem says no SIM is inserted; NO_READER when there is no port.
  static absl::StatusOr<std::unique_ptr<ModemTransport>> Connect(
      std::shared_ptr<ModemLink> link, ModemTransportOptions options = {});
  ~ModemTransport() override;  // closes the logical channel (AT+CCHC)

  absl::Status BeginTransaction() override;
  absl::Status EndTransaction() override;
  std::string ReaderName() const override { return link_->options().port; }
  Bytes Atr() const override { return {}; }  // a modem does not show the ATR
  std::string ActiveProtocol() const override;

  // How the APDUs travel, for `gbabridge card info` and the logs.
  bool uses_logical_channel() const { return channel_ > 0; }
  int channel() const { return channel_; }
  // How often the selection had to be put back (AT+CSIM only).
  int selection_replays() const { return selection_replays_; }

 protected:
  absl::StatusOr<Bytes> TransmitRaw(ByteView command) override;

 private:
  ModemTransport(std::shared_ptr<ModemLink> link, ModemTransportOptions options);
  absl::Status Open();
  absl::StatusOr<Bytes> SendApdu(ByteView command);
  static bool LostSelection(ByteView command, const Bytes& response);
  void NoteSelection(ByteView command, const Bytes& response);

  std::shared_ptr<ModemLink> link_;
  ModemTransportOptions options_;
  uint64_t generation_ = 0;
  int channel_ = 0;  // 0: AT+CSIM on the basic channel
  int selection_replays_ = 0;
  bool loss_reported_ = false;
  std::vector<Bytes> selection_;  // the SELECTs that lead to the current file
  int transaction_depth_ = 0;
};

// The CLA of `cla` moved to logical channel `channel` (TS 102 221 §10.1.1): channels 0-3
// in b2-b1 of '0X'/'8X'/'AX'; 4-19 as '4X'/'CX'/'EX' with b4-b1 = channel - 4.
uint8_t ClaOnChannel(uint8_t cla, int channel);

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_MODEM_TRANSPORT_H_
