// TmpiRegistry: the BSF's TMPI -> IMPI map (TS 33.220 §4.5.2, Annex B.4). After a
// bootstrap the BSF derives the TMPI from Ks as the UE does and keeps it, with the IMPI,
// for the key lifetime; a UE may then start its next bootstrap with the TMPI as Digest
// username instead of the IMPI, which keeps the IMPI off the air. Thread-safe.
#ifndef GBABRIDGE_BSF_SIM_TMPI_REGISTRY_H_
#define GBABRIDGE_BSF_SIM_TMPI_REGISTRY_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gbabridge::bsf {

class TmpiRegistry {
 public:
  explicit TmpiRegistry(size_t max_entries = 100000) : max_entries_(max_entries) {}

  // Keeps tmpi -> impi until `expiry`; an IMPI has one TMPI (a newer one replaces it).
  void Remember(const std::string& tmpi, const std::string& impi, absl::Time expiry);
  // The IMPI of a TMPI that has not expired.
  std::optional<std::string> Resolve(const std::string& tmpi, absl::Time now = absl::Now());
  // Forgets every TMPI (bsf-sim --forget-tmpis calls it after each bootstrap).
  void Clear();
  size_t Size() const;

 private:
  struct Entry {
    std::string impi;
    absl::Time expiry;
  };
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> by_tmpi_;
  std::map<std::string, std::string> tmpi_of_impi_;
};

// True when `username` has the TMPI form: "<base64>@tmpi.bsf.3gppnetwork.org" (B.4).
bool IsTmpi(std::string_view username);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_TMPI_REGISTRY_H_
