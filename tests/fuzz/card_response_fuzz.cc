// Fuzz target: what a card (or a reader, or pcscd) sends back. Response APDU, BER-TLV and
// FCP parsing must never read out of bounds, whatever the bytes (every length from the
// card is bounds-checked).
#include <cstddef>
#include <cstdint>

#include "uicc/apdu.h"
#include "uicc/fcp.h"
#include "uicc/tlv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gbabridge::ByteView input(data, size);
  (void)gbabridge::ResponseApdu::Parse(input);
  (void)gbabridge::CommandApdu::Parse(input);
  (void)gbabridge::ParseTlvList(input);
  size_t consumed = 0;
  (void)gbabridge::ParseTlv(input, &consumed);
  (void)gbabridge::ParseFcp(input);
  return 0;
}
