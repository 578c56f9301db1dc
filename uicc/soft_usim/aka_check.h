// The USIM's half of UMTS AKA (TS 33.102 §6.3.3) on top of Milenage, with the GBA_U
// variant of the MAC (TS 33.220 §5.3.2).
#ifndef GBABRIDGE_UICC_SOFT_USIM_AKA_CHECK_H_
#define GBABRIDGE_UICC_SOFT_USIM_AKA_CHECK_H_

#include <cstdint>

#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/soft_usim/sqn_array.h"

namespace gbabridge {

enum class AkaOutcome { kAccepted, kMacFailure, kSyncFailure };

struct AkaCheckResult {
  AkaOutcome outcome = AkaOutcome::kMacFailure;
  uint64_t sqn = 0;    // the received SQN (kAccepted): the caller records it
  MilenageF2345 keys;  // RES, CK, IK (kAccepted)
  Bytes auts;          // 14 bytes (kSyncFailure)
};

// Order of TS 33.102 §6.3.3: recover SQN with AK = f5(RAND), check MAC = f1(SQN, RAND,
// AMF) first (a wrong MAC means the network is not authentic: no AUTS, which would be an
// oracle), then freshness of SQN by Annex C; a stale SQN gives AUTS.
//
// With `gba_u_mac_star`, the MAC field of AUTN holds MAC* = MAC xor Trunc64(SHA-1(IK))
// (TS 33.220 §5.3.2): the card derives IK from RAND, unmasks MAC, then checks it as above.
// A plain AUTN therefore fails in the GBA context, and an AUTN* in the 3G context, so a
// GBA_U challenge cannot be used to extract CK/IK through the 3G context.
AkaCheckResult CheckAutn(const Milenage& milenage, const SqnArray& sqn_array, const Rand& rand,
                         ByteView autn, bool gba_u_mac_star);

// AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF = 00 00) (TS 33.102 §6.3.3).
Bytes ComputeAuts(const Milenage& milenage, const Rand& rand, uint64_t sqn_ms);

// Kc from CK and IK, conversion function c3 (TS 33.102 §6.8.1.2):
// Kc = CK1 xor CK2 xor IK1 xor IK2, the halves being the 64-bit ones.
SecretBytes DeriveKc(const SecretBytes& ck, const SecretBytes& ik);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_AKA_CHECK_H_
