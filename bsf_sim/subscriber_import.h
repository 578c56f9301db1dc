// The subscriber file of `bsf-sim subscribers import` (JSON):
//
//   {"subscribers": [{
//      "impi": "001010123456789@ims.mnc001.mcc001.3gppnetwork.org",  // optional
//      "imsi": "001010123456789",
//      "mnc_length": 2,            // optional, 2 or 3 (default 2); used to derive the IMPI
//      "k": "<32 hex>",
//      "opc": "<32 hex>",          // exactly one of opc / op; OP is turned into OPc here
//      "amf": "8000",              // optional, 4 hex (default 8000)
//      "sqn": "000000000000",      // optional, 12 hex: the last SQN handed out
//      "gba_u": true,              // optional (default false): the UICC is GBA-aware
//      "uss": {"naf.example.org": "<base64>"}  // optional user security settings
//   }]}
//
// Everything is validated before anything is stored; an error names the subscriber
// (index and IMPI or IMSI) and the field, never a key value. Unknown fields are errors, so
// a misspelt "opC" is not silently ignored.
#ifndef GBABRIDGE_BSF_SIM_SUBSCRIBER_IMPORT_H_
#define GBABRIDGE_BSF_SIM_SUBSCRIBER_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bsf_sim/subscriber_store.h"

namespace gbabridge::bsf {

// `json` is not wiped here (the caller owns it); key strings copied out of it are.
absl::StatusOr<std::vector<Subscriber>> ParseSubscriberImport(const std::string& json);

// IMPI syntax accepted by the store: "user@realm" (an NAI, TS 23.003 §13.3), the user part
// printable ASCII without '"', '\\', '@' or ',' (it travels in a quoted digest username),
// the realm a valid FQDN; at most 255 characters.
absl::Status ValidateImpi(std::string_view impi);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_SUBSCRIBER_IMPORT_H_
