// Contents of the GBA_U files of the USIM (TS 31.102 §4.2.79 EF_GBABP, §4.2.83 EF_GBANL).
#ifndef GBABRIDGE_UICC_SOFT_USIM_GBA_FILES_H_
#define GBABRIDGE_UICC_SOFT_USIM_GBA_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// EF_GBABP = L RAND || L B-TID || L lifetime, padded with FF to the file size.
// A card that never bootstrapped holds three empty fields: 00 00 00.
Bytes EmptyEfGbabp(size_t file_size);
// After a GBA_U bootstrap the card stores RAND itself (TS 33.220 Annex G.1: "RAND value in
// the UICC shall be further accessible by the ME") and clears B-TID and lifetime, which
// the new bootstrap replaces; the terminal then writes the whole file with B-TID and
// lifetime.
Bytes EfGbabpAfterBootstrap(ByteView rand, size_t file_size);
// The B-TID field of EF_GBABP; empty when the contents do not parse.
std::string BtidFromEfGbabp(ByteView contents);

// One EF_GBANL record: TLV 80 NAF_ID, TLV 81 B-TID, FF-padded. Fails when they do not fit.
absl::StatusOr<Bytes> EncodeGbanlRecord(ByteView naf_id, std::string_view btid, size_t record_size);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_GBA_FILES_H_
