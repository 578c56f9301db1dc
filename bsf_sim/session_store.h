// SessionStore: the BSF's bootstrapping sessions, B-TID -> {IMPI, RAND, Ks, GBA type,
// creation, expiry} (TS 33.220 §4.5.2: "the BSF shall store the key material Ks ... until
// the lifetime expires"; §4.4.1: the BSF deletes it afterwards).
//
// An interface, so that a shared store (e.g. Redis for several BSF instances) can replace
// the in-memory one. Implementations are thread-safe: the Ub server inserts and the Zn
// service looks up from different threads.
//
// Time: `expiry` (UTC) goes on the wire (BootstrappingInfo lifetime, Zn key_expiry); the
// expiry decision uses `deadline` on the monotonic clock, so a wall-clock step cannot
// extend or cut a session short.
#ifndef GBABRIDGE_BSF_SIM_SESSION_STORE_H_
#define GBABRIDGE_BSF_SIM_SESSION_STORE_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf {

struct BsfSession {
  std::string btid;
  std::string impi;
  Bytes rand;
  SecretBytes ks;  // CK || IK, 32 bytes
  GbaMode gba_type = GbaMode::kGbaMe;
  absl::Time created;  // UTC, whole seconds
  absl::Time expiry;   // UTC, whole seconds: what the UE was told
  std::chrono::steady_clock::time_point deadline;

  BsfSession Clone() const;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // AlreadyExists when the B-TID is taken (B-TIDs must be unique, TS 33.220 §4.5.2);
  // ResourceExhausted when the store is full.
  virtual absl::Status Insert(BsfSession session) = 0;
  // A copy of the session; NotFound when unknown or past its deadline (even if not yet
  // swept).
  virtual absl::StatusOr<BsfSession> Lookup(std::string_view btid) const = 0;
  // Removes (and wipes) every session past its deadline; returns how many.
  virtual size_t SweepExpired() = 0;
  virtual size_t Size() const = 0;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_SESSION_STORE_H_
