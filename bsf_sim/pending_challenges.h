// PendingChallenges: the authentication vectors the BSF has sent in a 401 and not yet seen
// answered (TS 33.220 §4.5.2 steps 3-5).
//
// Each challenge is keyed by a random 16-byte id that the BSF puts into the nonce as its
// "server specific data" (RFC 3310 §3.2: nonce = base64(RAND || AUTN || server data)), so
// the answer finds its vector without trusting anything else the client sends. Take()
// removes the entry: a vector is used for one answer only, so a replayed answer (or a
// second try after a wrong one) finds nothing.
//
// Bounded (oneM2M SER-001): at most `max_per_impi` open challenges per IMPI and `max_total`
// overall. Past either, new challenges are refused (never the oldest evicted: the IMPI is
// not secret, and eviction would let anyone cancel a device's challenge in flight); open
// ones end when answered or swept after the nonce timeout.
#ifndef GBABRIDGE_BSF_SIM_PENDING_CHALLENGES_H_
#define GBABRIDGE_BSF_SIM_PENDING_CHALLENGES_H_

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "bsf_sim/av_generator.h"
#include "uicc/base/bytes.h"

namespace gbabridge::bsf {

inline constexpr size_t kChallengeIdSize = 16;

struct PendingChallenge {
  std::string id;  // kChallengeIdSize raw bytes
  AuthVector av;   // av.impi is the subscriber the challenge was issued to
  // The Digest username it was issued to: the IMPI, or the TMPI standing for it (the answer
  // must carry the same; TS 33.220 §4.5.2).
  std::string username;
  std::chrono::steady_clock::time_point issued;
};

class PendingChallenges {
 public:
  PendingChallenges(size_t max_total, size_t max_per_impi)
      : max_total_(max_total), max_per_impi_(max_per_impi) {}

  // ResourceExhausted when `max_total` challenges are open, or `max_per_impi` for this IMPI.
  absl::Status Add(PendingChallenge challenge);
  // Whether Add() would take a challenge for `impi` now: checked before a vector is made, so
  // that a refusal costs no SQN.
  bool HasRoomFor(const std::string& impi) const;
  // Removes and returns the challenge with this id.
  std::optional<PendingChallenge> Take(ByteView id);
  // Drops (and wipes) challenges issued before `cutoff`; returns how many.
  size_t SweepIssuedBefore(std::chrono::steady_clock::time_point cutoff);
  size_t Size() const;

 private:
  void EraseLocked(const std::string& id);
  void EraseFromImpiQueueLocked(const std::string& impi, const std::string& id);

  const size_t max_total_;
  const size_t max_per_impi_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PendingChallenge> by_id_;
  std::unordered_map<std::string, std::deque<std::string>> ids_by_impi_;  // oldest first
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_PENDING_CHALLENGES_H_
