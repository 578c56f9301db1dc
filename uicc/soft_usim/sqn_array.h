// The USIM side of the sequence number scheme of TS 33.102 Annex C.
//
// SQN (48 bits) = SEQ || IND, IND being the `ind_bits` low bits (C.1.2, C.3.2). The card
// keeps, per IND slot, the highest SEQ it accepted, SEQ_MS(i), all starting at zero (C.2.2).
// A received SQN is accepted when
//   (C.2.1) SEQ - SEQ_MS <= delta, SEQ_MS being the highest SEQ accepted in any slot: the
//           network may not jump arbitrarily far ahead (checked only when SEQ is above
//           SEQ_MS; an older SEQ that is fresh in its own slot is the point of the array), and
//   (C.2.2) SEQ > SEQ_MS(IND): it was never used in its slot.
// On rejection the card answers AUTS built on SQN_MS, "the highest previously accepted
// sequence number anywhere in the array" (C.2.2). We keep that number whole, SEQ and IND as
// they were received, so the HSS resynchronises to exactly what the card last accepted
// (C.3.4 only uses its SEQ part). Before anything is accepted, SQN_MS is zero.
//
// The optional age limit L of C.2.2 is not implemented. SEQ never wraps: the delta check
// rejects the jump from a high SEQ to a small one in a used slot, and a jump to the top of
// the range from far below.
#ifndef GBABRIDGE_UICC_SOFT_USIM_SQN_ARRAY_H_
#define GBABRIDGE_UICC_SOFT_USIM_SQN_ARRAY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/milenage.h"

namespace gbabridge {

inline constexpr uint64_t kSqnMask = (uint64_t{1} << 48) - 1;

uint64_t SqnToInt(const Sqn& sqn);
Sqn SqnFromInt(uint64_t value);

class SqnArray {
 public:
  enum class Verdict { kFresh, kReplayed, kTooFarAhead };

  // ind_bits 0..16; delta >= 1.
  static absl::StatusOr<SqnArray> Create(int ind_bits, uint64_t delta);
  // Restores persisted state; checks that it fits ind_bits.
  static absl::StatusOr<SqnArray> Restore(int ind_bits, uint64_t delta,
                                          std::vector<uint64_t> seq_ms, uint64_t highest_sqn);

  Verdict Check(uint64_t sqn) const;
  // Records an SQN that Check() found fresh.
  void Accept(uint64_t sqn);
  // SQN_MS for AUTS (TS 33.102 C.2.2, 6.3.3).
  uint64_t HighestAcceptedSqn() const { return highest_sqn_; }

  int ind_bits() const { return ind_bits_; }
  uint64_t delta() const { return delta_; }
  const std::vector<uint64_t>& seq_ms() const { return seq_ms_; }

 private:
  SqnArray(int ind_bits, uint64_t delta, std::vector<uint64_t> seq_ms, uint64_t highest_sqn)
      : ind_bits_(ind_bits), delta_(delta), seq_ms_(std::move(seq_ms)), highest_sqn_(highest_sqn) {}
  uint64_t Seq(uint64_t sqn) const { return (sqn & kSqnMask) >> ind_bits_; }
  size_t Ind(uint64_t sqn) const { return sqn & ((uint64_t{1} << ind_bits_) - 1); }

  int ind_bits_;
  uint64_t delta_;
  std::vector<uint64_t> seq_ms_;  // SEQ_MS(i), size 2^ind_bits
  uint64_t highest_sqn_;          // SQN_MS
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_SQN_ARRAY_H_
