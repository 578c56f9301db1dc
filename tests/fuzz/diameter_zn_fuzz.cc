// Diameter Zn message handling (proto/zn_diameter) on any bytes a peer can send: parsed by
// freeDiameter against the Zn dictionary and rules (malformed AVP lengths, wrong flags,
// missing mandatory AVPs must be refused cleanly), then read as the BSF reads a
// Bootstrapping-Info-Request and as a NAF reads the answer. Nothing may crash, leak or read
// out of bounds; what is read is bounded as zn_messages.h says.
#include <cstddef>
#include <cstdint>

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdproto.h>
// clang-format on

#include "proto/zn_diameter/zn_dictionary.h"
#include "proto/zn_diameter/zn_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gbabridge::zn_diameter;  // NOLINT(build/namespaces)
  static const StandaloneZnDictionary dict = *GetStandaloneZnDictionary();
  absl::StatusOr<msg*> message = ParseMessage(dict.dict, gbabridge::ByteView(data, size));
  if (!message.ok()) return 0;
  avp* offending = nullptr;
  if (absl::StatusOr<ZnQuery> query = ReadZnRequest(dict.zn, *message, &offending); query.ok()) {
    if (query->btid.empty() || query->btid.size() > 255 || query->naf_id.size() < 6 ||
        query->gsids.size() > 16) {
      __builtin_trap();
    }
  } else if (offending != nullptr) {
    // The BSF's error answer: a copy of the refused AVP in Failed-AVP (RFC 6733 §7.5).
    msg* answer = nullptr;
    if (fd_msg_new(dict.zn.answer, 0, &answer) == 0) {
      (void)AddFailedAvp(dict.zn, answer, offending);
      MarkProtocolError(answer, 3004);
      FreeMessage(answer);
    }
  }
  if (absl::StatusOr<ZnResult> result = ReadZnResult(dict.zn, *message); result.ok()) {
    (void)ResultCodeName(result->code);
  }
  if (absl::StatusOr<ZnKeyAnswer> keys = ReadZnKeyAnswer(dict.zn, *message); keys.ok()) {
    if (keys->me_key.size() != 32) __builtin_trap();
  }
  FreeMessage(*message);
  return 0;
}
