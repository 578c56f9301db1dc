#include "bsf_sim/in_memory_session_store.h"

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

void InMemorySessionStore::EraseLocked(std::unordered_map<std::string, BsfSession>::iterator it) {
  auto list = btids_by_impi_.find(it->second.impi);
  if (list != btids_by_impi_.end()) {
    std::erase(list->second, it->first);
    if (list->second.empty()) btids_by_impi_.erase(list);
  }
  sessions_.erase(it);
}

absl::Status InMemorySessionStore::Insert(BsfSession session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.count(session.btid) != 0) return absl::AlreadyExistsError("B-TID already in use");
  // One subscriber may not crowd out the others: past its share, its oldest session goes.
  if (auto list = btids_by_impi_.find(session.impi); list != btids_by_impi_.end()) {
    while (list->second.size() >= max_sessions_per_impi_ && !list->second.empty()) {
      const std::string oldest = list->second.front();
      list->second.pop_front();
      sessions_.erase(oldest);
    }
  }
  if (sessions_.size() >= max_sessions_) {
    // Make room from expired sessions before refusing.
    const auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (it->second.deadline <= now) EraseLocked(it);
      it = next;
    }
    if (sessions_.size() >= max_sessions_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the BSF holds ", sessions_.size(), " bootstrapping sessions, its maximum"));
    }
  }
  btids_by_impi_[session.impi].push_back(session.btid);
  std::string btid = session.btid;
  sessions_.try_emplace(std::move(btid), std::move(session));
  return absl::OkStatus();
}

absl::StatusOr<BsfSession> InMemorySessionStore::Lookup(std::string_view btid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(btid));
  if (it == sessions_.end() || it->second.deadline <= std::chrono::steady_clock::now()) {
    return absl::NotFoundError(absl::StrCat("no bootstrapping session for B-TID ", AbslView(btid)));
  }
  return it->second.Clone();
}

size_t InMemorySessionStore::SweepExpired(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Erasing destroys the BsfSession, whose SecretBytes wipes Ks.
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

size_t InMemorySessionStore::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace gbabridge::bsf
