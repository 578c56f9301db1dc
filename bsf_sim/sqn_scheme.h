// The HSS side of the sequence number scheme of TS 33.102 Annex C.
//
// SQN (48 bits) = SEQ || IND, IND being the low `ind_bits` bits (C.1.2, C.3.2; 5 bits is
// the usual array size of 32). The card (uicc/soft_usim/sqn_array.h) accepts an SQN when
// SEQ is above what it accepted in slot IND, and not more than delta above the highest SEQ
// it accepted anywhere (C.2.1, C.2.2).
//
// How this HSS chooses SQNs:
//  - SEQ is one counter per subscriber, incremented by exactly 1 for every vector handed
//    out (C.1.2 "SEQ_HE is incremented by one"): every new vector is fresh in every slot of
//    the card, and the counter never races ahead of the card's delta window.
//  - IND = SEQ mod 2^ind_bits: IND cycles through the array (C.3.2 allows any allocation
//    policy). Consecutive vectors land in different slots, so when several challenges are
//    outstanding and the UE answers them out of order, the older ones stay fresh in their
//    own slot: that is what the array is for.
//  - Resynchronisation (C.3.4, TS 33.102 §6.3.5): SEQ_HE is reset to SEQ_MS, so the next
//    vector carries SEQ_MS + 1, above everything the card has accepted.
// The store keeps the whole last SQN issued; SEQ is derived from it, so a change of
// ind_bits between runs still yields strictly increasing SQNs.
#ifndef GBABRIDGE_BSF_SIM_SQN_SCHEME_H_
#define GBABRIDGE_BSF_SIM_SQN_SCHEME_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "uicc/base/milenage.h"

namespace gbabridge::bsf {

inline constexpr int kDefaultIndBits = 5;
inline constexpr int kMaxIndBits = 16;
inline constexpr uint64_t kMaxSqn = (uint64_t{1} << 48) - 1;

uint64_t SqnFromBytes(const Sqn& sqn);
Sqn SqnToBytes(uint64_t sqn);

uint64_t SeqOf(uint64_t sqn, int ind_bits);
uint64_t IndOf(uint64_t sqn, int ind_bits);

// The SQN of the next vector after `last_sqn` (the last one issued, or SQN_MS after a
// resynchronisation): SEQ + 1 with IND = (SEQ + 1) mod 2^ind_bits. Always greater than
// `last_sqn`. ResourceExhausted when SEQ would leave the 48-bit range.
absl::StatusOr<uint64_t> NextSqn(uint64_t last_sqn, int ind_bits);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_SQN_SCHEME_H_
