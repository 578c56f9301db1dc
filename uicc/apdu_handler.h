// The card side of an APDU exchange: something that behaves like a UICC.
#ifndef GBABRIDGE_UICC_APDU_HANDLER_H_
#define GBABRIDGE_UICC_APDU_HANDLER_H_

#include "uicc/base/bytes.h"

namespace gbabridge {

class ApduHandler {
 public:
  virtual ~ApduHandler() = default;
  // Cold or warm reset; returns the ATR. Volatile state (selection, PIN verification)
  // is lost, persistent state is kept.
  virtual Bytes Reset() = 0;
  // Processes one serialised command APDU and returns the serialised response
  // (data || SW1 SW2). Any input, however malformed, gets a status word.
  virtual Bytes Process(ByteView command_apdu) = 0;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_APDU_HANDLER_H_
