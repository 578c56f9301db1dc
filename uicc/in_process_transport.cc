#include "uicc/in_process_transport.h"

namespace gbabridge {

InProcessTransport::InProcessTransport(ApduHandler& card) : card_(card), atr_(card.Reset()) {}

absl::StatusOr<Bytes> InProcessTransport::TransmitRaw(ByteView command) {
  ++apdu_count_;
  return card_.Process(command);
}

}  // namespace gbabridge
