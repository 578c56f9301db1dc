#include "bsf_sim/in_memory_session_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {

BsfSession BsfSession::Clone() const {
  BsfSession copy;
  copy.btid = btid;
  copy.impi = impi;
  copy.rand = rand;
  copy.ks = ks.Clone();
  copy.gba_type = gba_type;
  copy.created = created;
  copy.expiry = expiry;
  copy.deadline = deadline;
  return copy;
}

void InMemorySessionStore::EraseLocked(SessionMap::iterator it) {
  if (auto list = by_impi_.find(*it->second.impi); list != by_impi_.end()) {
    std::erase(list->second, &it->first);
    if (list->second.empty()) by_impi_.erase(list);
  }
  sessions_.erase(it);
}

size_t InMemorySessionStore::SweepLocked(std::chrono::steady_clock::time_point now) {
  // Erasing destroys the Stored session, whose SecretBytes wipes Ks.
  size_t swept = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    if (it->second.deadline <= now) {
      EraseLocked(it);
      ++swept;
    }
    it = next;
  }
  return swept;
}

absl::Status InMemorySessionStore::Insert(BsfSession session) {
  if (session.rand.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("RAND must be 16 bytes, got ", session.rand.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.count(session.btid) != 0) return absl::AlreadyExistsError("B-TID already in use");
  // One subscriber may not crowd out the others: past its share, its oldest session goes.
  if (auto list = by_impi_.find(session.impi); list != by_impi_.end()) {
    while (list->second.size() >= max_sessions_per_impi_ && !list->second.empty()) {
      const auto oldest = sessions_.find(*list->second.front());
      list->second.erase(list->second.begin());
      if (oldest != sessions_.end()) sessions_.erase(oldest);
    }
  }
  if (sessions_.size() >= max_sessions_) {
    // Make room from expired sessions before refusing.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_full_sweep_ >= std::chrono::seconds(1)) {
      last_full_sweep_ = now;
      SweepLocked(now);
    }
    if (sessions_.size() >= max_sessions_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the BSF holds ", sessions_.size(), " bootstrapping sessions, its maximum"));
    }
  }
  // The subscriber's entry first (it may have been erased with its last session above).
  const auto list = by_impi_.try_emplace(session.impi).first;
  Stored stored;
  stored.impi = &list->first;
  std::copy(session.rand.begin(), session.rand.end(), stored.rand.begin());
  stored.ks = std::move(session.ks);
  stored.gba_type = session.gba_type;
  stored.created_unix = absl::ToUnixSeconds(session.created);
  stored.expiry_unix = absl::ToUnixSeconds(session.expiry);
  stored.deadline = session.deadline;
  const auto it = sessions_.try_emplace(std::move(session.btid), std::move(stored)).first;
  list->second.push_back(&it->first);
  return absl::OkStatus();
}

absl::StatusOr<BsfSession> InMemorySessionStore::Lookup(std::string_view btid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(btid));
  if (it == sessions_.end() || it->second.deadline <= std::chrono::steady_clock::now()) {
    return absl::NotFoundError(absl::StrCat("no bootstrapping session for B-TID ", AbslView(btid)));
  }
  const Stored& stored = it->second;
  BsfSession copy;
  copy.btid = it->first;
  copy.impi = *stored.impi;
  copy.rand = Bytes(stored.rand.begin(), stored.rand.end());
  copy.ks = stored.ks.Clone();
  copy.gba_type = stored.gba_type;
  copy.created = absl::FromUnixSeconds(stored.created_unix);
  copy.expiry = absl::FromUnixSeconds(stored.expiry_unix);
  copy.deadline = stored.deadline;
  return copy;
}

size_t InMemorySessionStore::SweepExpired(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  return SweepLocked(now);
}

size_t InMemorySessionStore::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace gbabridge::bsf
