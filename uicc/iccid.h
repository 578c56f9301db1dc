// EF_ICCID (ETSI TS 102 221 §13.2): 10 bytes of swapped BCD, F-padded.
#ifndef GBABRIDGE_UICC_ICCID_H_
#define GBABRIDGE_UICC_ICCID_H_

#include <string>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// Digits of the ICCID; stops at the first F filler. Non-BCD nibbles are an error.
absl::StatusOr<std::string> DecodeIccid(ByteView ef_iccid);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_ICCID_H_
