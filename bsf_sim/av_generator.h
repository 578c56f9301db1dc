// AvGenerator: the HSS's authentication vectors (TS 33.102 §6.3.2) with Milenage, for
// bootstrapping over Ub (TS 33.220 §4.5.2), and resynchronisation from AUTS (§6.3.5).
//
// Generate(): SQN from SubscriberStore::AllocateSqn (committed before anything is
// computed; see sqn_scheme.h for SEQ/IND), RAND from RAND_bytes, then
//   AK = f5(RAND), AUTN = (SQN xor AK) || AMF || MAC-A, XRES = f2, CK = f3, IK = f4.
// For GBA_U (TS 33.220 §5.3.2, Annex G; gba-facts §6) the MAC field carries
//   MAC* = MAC-A xor Trunc64(SHA-1(IK)),
// which a GBA-aware USIM unmasks in the GBA context; a 3G-context AKA on the same card
// then fails, so a GBA_U challenge cannot be used to read CK/IK out of the card.
// Whether a vector is GBA_U: the subscriber's UICC is GBA-aware (GUSS UICC type) AND the
// UE asked for it (product token 3gpp-gba-uicc, TS 24.109 §4.2 / TS 33.220 §5.3.2): a
// GBA_ME client on a GBA-aware card runs the 3G context, which needs a plain AUTN.
//
// Resync(): AK* = f5*(RAND), SQN_MS = AUTS[0..5] xor AK*, MAC-S checked in constant time
// against f1*(SQN_MS, RAND, AMF = 00 00) (TS 33.102 §6.3.3, "dummy AMF"); then the store
// continues from SEQ_MS.
//
// Milenage is set up per call (one AES key schedule; Milenage fetches the cipher once per
// process), so no per-subscriber cache of key material sits in memory.
#ifndef GBABRIDGE_BSF_SIM_AV_GENERATOR_H_
#define GBABRIDGE_BSF_SIM_AV_GENERATOR_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim/subscriber_store.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf {

using Autn = std::array<uint8_t, kAutnSize>;

struct AuthVector {
  std::string impi;
  Rand rand{};
  Autn autn{};       // AUTN, or AUTN* for GBA_U
  SecretBytes xres;  // f2, 8 bytes
  SecretBytes ck;    // f3
  SecretBytes ik;    // f4
  uint64_t sqn = 0;
  bool gba_u = false;
};

struct AvGeneratorOptions {
  int ind_bits = kDefaultIndBits;
};

class AvGenerator {
 public:
  explicit AvGenerator(SubscriberStore& store, AvGeneratorOptions options = {});

  // NotFound: unknown IMPI. Unavailable: the SQN could not be committed (no vector).
  absl::StatusOr<AuthVector> Generate(std::string_view impi, bool ue_requests_gba_u);

  // Verifies AUTS (14 bytes) for the RAND of the challenge the UE rejected and, when
  // MAC-S is right, records SQN_MS. Returns SQN_MS. Unauthenticated: wrong MAC-S (the
  // store is untouched). InvalidArgument: AUTS not 14 bytes.
  absl::StatusOr<uint64_t> Resync(std::string_view impi, const Rand& rand, ByteView auts);

  SubscriberStore& store() { return store_; }

 private:
  SubscriberStore& store_;
  AvGeneratorOptions options_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_AV_GENERATOR_H_
