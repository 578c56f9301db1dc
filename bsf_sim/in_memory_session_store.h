// InMemorySessionStore: the SessionStore of a single bsf-sim process. A mutex guards one
// hash map; erased sessions wipe Ks (SecretBytes). Sessions do not survive a restart,
// which is what a UE sees from a real BSF that lost its state: the NAF gets NOT_FOUND on
// Zn and tells the UE to bootstrap again.
//
// Memory: a load test keeps a million sessions, so a stored session is compact (about 250
// bytes with its B-TID): the B-TID is held once (as the map key), the IMPI once per
// subscriber (shared by its sessions), RAND inline, times as seconds; Lookup builds the
// full BsfSession copy.
#ifndef GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_
#define GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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
  // One session as stored. `impi` points at the key of its subscriber's entry in by_impi_
  // (map nodes do not move), which lives as long as the subscriber has a session.
  struct Stored {
    const std::string* impi = nullptr;
    std::array<uint8_t, 16> rand{};  // RAND (TS 33.102: 128 bits)
    SecretBytes ks;
    GbaMode gba_type = GbaMode::kGbaMe;
    int64_t created_unix = 0;  // UTC seconds
    int64_t expiry_unix = 0;
    std::chrono::steady_clock::time_point deadline;
  };
  using SessionMap = std::unordered_map<std::string, Stored>;

  // Erases one session (its SecretBytes wipes Ks) and unlinks it from its IMPI's list.
  void EraseLocked(SessionMap::iterator it);
  // Drops expired sessions; at most once a second when the table is full, so that a full
  // table of live sessions does not cost a scan per refused bootstrap.
  size_t SweepLocked(std::chrono::steady_clock::time_point now);

  const size_t max_sessions_;
  const size_t max_sessions_per_impi_;
  mutable std::mutex mu_;
  SessionMap sessions_;  // by B-TID
  // The B-TIDs (keys of sessions_) of each subscriber, oldest first.
  std::unordered_map<std::string, std::vector<const std::string*>> by_impi_;
  std::chrono::steady_clock::time_point last_full_sweep_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_IN_MEMORY_SESSION_STORE_H_
