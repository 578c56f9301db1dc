#include "bsf_sim/tmpi_registry.h"

#include "absl/strings/match.h"
#include "bootstrap/protocol/key_derivation.h"

namespace gbabridge::bsf {

bool IsTmpi(std::string_view username) {
  constexpr std::string_view kRealm = kTmpiRealm;
  return username.size() > kRealm.size() &&
         absl::EndsWithIgnoreCase(absl::string_view(username.data(), username.size()),
                                  absl::string_view(kRealm.data(), kRealm.size()));
}

void TmpiRegistry::Remember(const std::string& tmpi, const std::string& impi, absl::Time expiry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto old = tmpi_of_impi_.find(impi); old != tmpi_of_impi_.end()) {
    by_tmpi_.erase(old->second);
  }
  if (by_tmpi_.size() >= max_entries_) {
    // Bounded: drop expired entries, then the oldest-expiring one.
    const absl::Time now = absl::Now();
    for (auto it = by_tmpi_.begin(); it != by_tmpi_.end();) {
      if (it->second.expiry <= now) {
        tmpi_of_impi_.erase(it->second.impi);
        it = by_tmpi_.erase(it);
      } else {
        ++it;
      }
    }
    if (by_tmpi_.size() >= max_entries_) {
      auto oldest = by_tmpi_.begin();
      for (auto it = by_tmpi_.begin(); it != by_tmpi_.end(); ++it) {
        if (it->second.expiry < oldest->second.expiry) oldest = it;
      }
      tmpi_of_impi_.erase(oldest->second.impi);
      by_tmpi_.erase(oldest);
    }
  }
  by_tmpi_[tmpi] = Entry{impi, expiry};
  tmpi_of_impi_[impi] = tmpi;
}

std::optional<std::string> TmpiRegistry::Resolve(const std::string& tmpi, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_tmpi_.find(tmpi);
  if (it == by_tmpi_.end()) return std::nullopt;
  if (it->second.expiry <= now) {
    tmpi_of_impi_.erase(it->second.impi);
    by_tmpi_.erase(it);
    return std::nullopt;
  }
  return it->second.impi;
}

void TmpiRegistry::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  by_tmpi_.clear();
  tmpi_of_impi_.clear();
}

size_t TmpiRegistry::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_tmpi_.size();
}

}  // namespace gbabridge::bsf
