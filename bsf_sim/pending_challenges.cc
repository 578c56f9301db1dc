#include "bsf_sim/pending_challenges.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gbabridge::bsf {

absl::Status PendingChallenges::Add(PendingChallenge challenge) {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<std::string>& ids = ids_by_impi_[challenge.av.impi];
  if (ids.size() >= max_per_impi_) {
    // Refused, not evicted: the IMPI is no secret, so evicting the oldest would let anyone
    // cancel the device's own challenge in flight by asking for a few more.
    return absl::ResourceExhaustedError(
        absl::StrCat("IMPI ", challenge.av.impi, " has ", ids.size(),
                     " open challenges, its maximum; they expire after the nonce timeout"));
  }
  if (by_id_.size() >= max_total_) {
    if (ids.empty()) ids_by_impi_.erase(challenge.av.impi);
    return absl::ResourceExhaustedError(
        absl::StrCat("the BSF has ", by_id_.size(), " open challenges, its maximum"));
  }
  ids.push_back(challenge.id);
  std::string id = challenge.id;
  by_id_.insert_or_assign(std::move(id), std::move(challenge));
  return absl::OkStatus();
}

void PendingChallenges::EraseFromImpiQueueLocked(const std::string& impi, const std::string& id) {
  auto ids = ids_by_impi_.find(impi);
  if (ids == ids_by_impi_.end()) return;
  std::erase(ids->second, id);
  if (ids->second.empty()) ids_by_impi_.erase(ids);
}

void PendingChallenges::EraseLocked(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  EraseFromImpiQueueLocked(it->second.av.impi, id);
  by_id_.erase(it);
}

std::optional<PendingChallenge> PendingChallenges::Take(ByteView id) {
  const std::string key(reinterpret_cast<const char*>(id.data()), id.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(key);
  if (it == by_id_.end()) return std::nullopt;
  // Unlink the id from its IMPI's queue before the challenge (and its IMPI) is moved out:
  // a stale id left in the queue would count against max_per_impi and could evict a live
  // challenge of the same subscriber.
  EraseFromImpiQueueLocked(it->second.av.impi, key);
  auto node = by_id_.extract(it);
  return std::move(node.mapped());
}

size_t PendingChallenges::SweepIssuedBefore(std::chrono::steady_clock::time_point cutoff) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> old;
  for (const auto& [id, challenge] : by_id_) {
    if (challenge.issued < cutoff) old.push_back(id);
  }
  for (const std::string& id : old) EraseLocked(id);
  return old.size();
}

bool PendingChallenges::HasRoomFor(const std::string& impi) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_id_.size() >= max_total_) return false;
  auto ids = ids_by_impi_.find(impi);
  return ids == ids_by_impi_.end() || ids->second.size() < max_per_impi_;
}

size_t PendingChallenges::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.size();
}

}  // namespace gbabridge::bsf
