// A CardTransport over an in-process ApduHandler (e.g. SoftUsim), for unit tests.
#ifndef GBABRIDGE_UICC_IN_PROCESS_TRANSPORT_H_
#define GBABRIDGE_UICC_IN_PROCESS_TRANSPORT_H_

#include <string>

#include "uicc/apdu_handler.h"
#include "uicc/card_transport.h"

namespace gbabridge {

class InProcessTransport : public CardTransport {
 public:
  // The handler must outlive the channel. Resets the card once to read the ATR.
  explicit InProcessTransport(ApduHandler& card);

  absl::Status BeginTransaction() override { return absl::OkStatus(); }
  absl::Status EndTransaction() override { return absl::OkStatus(); }
  std::string ReaderName() const override { return "in-process"; }
  Bytes Atr() const override { return atr_; }
  std::string ActiveProtocol() const override { return "in-process"; }

  // Counts raw exchanges, so tests can check how many APDUs an operation cost.
  size_t apdu_count() const { return apdu_count_; }

 protected:
  absl::StatusOr<Bytes> TransmitRaw(ByteView command) override;

 private:
  ApduHandler& card_;
  Bytes atr_;
  size_t apdu_count_ = 0;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_IN_PROCESS_TRANSPORT_H_
