// CardStateStore: the soft USIM's non-volatile memory, one JSON file.
//
// Save() is atomic and durable: the new state goes to a temporary file in the same
// directory, which is fsync'ed, renamed over the old one, and the directory is fsync'ed.
// A crash leaves either the old or the new state, never a mix; and once Save() returns,
// the new state survives power loss. Callers save before they answer the command that
// changed the state (the SQN of an accepted AUTHENTICATE above all).
#ifndef GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_STORE_H_
#define GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_STORE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/soft_usim/card_state.h"

namespace gbabridge {

class CardStateStore {
 public:
  explicit CardStateStore(std::string path) : path_(std::move(path)) {}

  // nullopt when the file does not exist (a fresh card). A file that exists but cannot be
  // read or parsed is an error: resetting the SQN array silently would re-open replays.
  absl::StatusOr<std::optional<CardState>> Load(uint64_t sqn_delta) const;
  absl::Status Save(const CardState& state) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_STORE_H_
