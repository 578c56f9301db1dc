#include "uicc/soft_usim/sqn_array.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {

uint64_t SqnToInt(const Sqn& sqn) {
  uint64_t value = 0;
  for (uint8_t byte : sqn) value = (value << 8) | byte;
  return value;
}

Sqn SqnFromInt(uint64_t value) {
  Sqn out{};
  for (int i = kSqnSize - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
  return out;
}

absl::StatusOr<SqnArray> SqnArray::Create(int ind_bits, uint64_t delta) {
  if (ind_bits < 0 || ind_bits > 16) {
    return absl::InvalidArgumentError(absl::StrCat("ind_bits ", ind_bits, " outside 0..16"));
  }
  if (delta == 0) return absl::InvalidArgumentError("SQN delta must be at least 1");
  return SqnArray(ind_bits, delta, std::vector<uint64_t>(size_t{1} << ind_bits, 0), 0);
}

absl::StatusOr<SqnArray> SqnArray::Restore(int ind_bits, uint64_t delta,
                                           std::vector<uint64_t> seq_ms, uint64_t highest_sqn) {
  absl::StatusOr<SqnArray> array = Create(ind_bits, delta);
  if (!array.ok()) return array.status();
  if (seq_ms.size() != array->seq_ms_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("SQN array has ", seq_ms.size(),
                                                   " slots; ind_bits ", ind_bits, " needs ",
                                                   array->seq_ms_.size()));
  }
  const uint64_t max_seq = kSqnMask >> ind_bits;
  uint64_t highest_seq = 0;
  for (uint64_t seq : seq_ms) {
    if (seq > max_seq) return absl::InvalidArgumentError("SQN array entry exceeds 48 bits");
    highest_seq = std::max(highest_seq, seq);
  }
  if (highest_sqn > kSqnMask || array->Seq(highest_sqn) != highest_seq) {
    return absl::InvalidArgumentError("highest SQN does not match the SQN array");
  }
  array->seq_ms_ = std::move(seq_ms);
  array->highest_sqn_ = highest_sqn;
  return array;
}

SqnArray::Verdict SqnArray::Check(uint64_t sqn) const {
  const uint64_t seq = Seq(sqn);
  const uint64_t highest_seq = Seq(highest_sqn_);
  // C.2.1: "SEQ - SEQ_MS <= delta"; only meaningful when SEQ is ahead.
  if (seq > highest_seq && seq - highest_seq > delta_) return Verdict::kTooFarAhead;
  // C.2.2: fresh only if above what this IND slot already accepted.
  if (seq <= seq_ms_[Ind(sqn)]) return Verdict::kReplayed;
  return Verdict::kFresh;
}

void SqnArray::Accept(uint64_t sqn) {
  const uint64_t seq = Seq(sqn);
  uint64_t& slot = seq_ms_[Ind(sqn)];
  if (seq > slot) slot = seq;
  if (seq > Seq(highest_sqn_)) highest_sqn_ = sqn & kSqnMask;
}

}  // namespace gbabridge
