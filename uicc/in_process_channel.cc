#include "uicc/in_process_channel.h"

namespace gbabridge {

InProcessChannel::InProcessChannel(ApduHandler& card) : card_(card), atr_(card.Reset()) {}

absl::StatusOr<Bytes> InProcessChannel::TransmitRaw(ByteView command) {
  ++apdu_count_;
  return card_.Process(command);
}

}  // namespace gbabridge
