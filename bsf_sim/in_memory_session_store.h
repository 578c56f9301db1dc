// InMemorySessionStore: the SessionStore of a single bsf-sim process. A mutex guards one
// hash map; erased sessions wipe Ks (SecretBytes). Sessions do not survive a restart,
// which is what a UE sees from a real BSF that lost its state: the NAF gets NOT_FOUND on
// Zn and tells the UE to bootstrap again.
#ifndef GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_
#define GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "bsf_sim/session_store.h"

namespace gbabridge::bsf {

class InMemorySessionStore final : public SessionStore {
 public:
  // `max_sessions` bounds memory against a flood of bootstraps (oneM2M SER-001).
  // `max_sessions_per_impi` keeps one subscriber from filling the table: a new bootstrap
  // beyond it replaces (and wipes) that subscriber's oldest session, as a new bootstrap
  // supersedes the old Ks on the UE side anyway (TS 33.220 §4.5.2).
  explicit InMemorySessionStore(size_t max_sessions = 100000, size_t max_sessions_per_impi = 4)
      : max_sessions_(max_sessions), max_sessions_per_impi_(max_sessions_per_impi) {}

  absl::Status Insert(BsfSession session) override;
  absl::StatusOr<BsfSession> Lookup(std::string_view btid) const override;
  size_t SweepExpired() override { return SweepExpired(std::chrono::steady_clock::now()); }
  size_t Size() const override;

  // For tests: sweeps as if the monotonic clock read `now`.
  size_t SweepExpired(std::chrono::steady_clock::time_point now);

 private:
  // Erases one session (its SecretBytes wipes Ks) and unlinks it from its IMPI's list.
  void EraseLocked(std::unordered_map<std::string, BsfSession>::iterator it);

  const size_t max_sessions_;
  const size_t max_sessions_per_impi_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, BsfSession> sessions_;
  std::unordered_map<std::string, std::deque<std::string>> btids_by_impi_;  // oldest first
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_
