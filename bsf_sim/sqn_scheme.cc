#include "bsf_sim/sqn_scheme.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge::bsf {

uint64_t SqnFromBytes(const Sqn& sqn) {
  uint64_t value = 0;
  for (uint8_t byte : sqn) value = (value << 8) | byte;
  return value;
}

Sqn SqnToBytes(uint64_t sqn) {
  Sqn out{};
  for (int i = static_cast<int>(kSqnSize) - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(sqn & 0xff);
    sqn >>= 8;
  }
  return out;
}

uint64_t SeqOf(uint64_t sqn, int ind_bits) { return (sqn & kMaxSqn) >> ind_bits; }

uint64_t IndOf(uint64_t sqn, int ind_bits) { return sqn & ((uint64_t{1} << ind_bits) - 1); }

absl::StatusOr<uint64_t> NextSqn(uint64_t last_sqn, int ind_bits) {
  if (ind_bits < 0 || ind_bits > kMaxIndBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("ind_bits ", ind_bits, " outside 0..", kMaxIndBits));
  }
  if (last_sqn > kMaxSqn) return absl::InvalidArgumentError("stored SQN exceeds 48 bits");
  const uint64_t max_seq = kMaxSqn >> ind_bits;
  const uint64_t seq = SeqOf(last_sqn, ind_bits);
  if (seq >= max_seq) {
    // TS 33.102 C.1.2 leaves wrap-around to the operator; the card would reject a wrapped
    // SEQ as replayed, so refuse rather than hand out a vector that cannot succeed.
    return absl::ResourceExhaustedError(
        "the subscriber's SQN space is exhausted (SEQ at its 48-bit maximum); re-provision "
        "the subscriber with a new K");
  }
  const uint64_t next_seq = seq + 1;
  return (next_seq << ind_bits) | IndOf(next_seq, ind_bits);
}

}  // namespace gbabridge::bsf
