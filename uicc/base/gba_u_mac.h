// The GBA_U mask on the AUTN MAC (TS 33.220 §5.3.2, gba-facts §6): for a GBA_U subscriber
// the BSF sends MAC* = MAC xor Trunc64(SHA-1(IK)); the GBA-aware USIM removes the mask
// before checking MAC. Shared by the card (soft USIM) and the network (bsf-sim).
#ifndef GBABRIDGE_UICC_BASE_GBA_U_MAC_H_
#define GBABRIDGE_UICC_BASE_GBA_U_MAC_H_

#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"

namespace gbabridge {

// Trunc64(SHA-1(IK)): the first 8 bytes of the digest. XOR it onto a MAC to mask or
// unmask it.
Mac GbaUMacMask(ByteView ik);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_GBA_U_MAC_H_
