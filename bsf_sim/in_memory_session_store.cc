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

absl::Status InMemorySessionStore::Insert(BsfSession session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= max_sessions_) {
    // Make room from expired sessions before refusing.
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(sessions_, [now](const auto& entry) { return entry.second.deadline <= now; });
    if (sessions_.size() >= max_sessions_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the BSF holds ", sessions_.size(), " bootstrapping sessions, its maximum"));
    }
  }
  std::string btid = session.btid;
  if (!sessions_.try_emplace(std::move(btid), std::move(session)).second) {
    return absl::AlreadyExistsError("B-TID already in use");
  }
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
  return std::erase_if(sessions_,
                       [now](const auto& entry) { return entry.second.deadline <= now; });
}

size_t InMemorySessionStore::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace gbabridge::bsf
