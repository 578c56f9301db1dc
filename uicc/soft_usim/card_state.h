// CardState: everything a soft USIM must remember across restarts, i.e. what a real card
// keeps in its non-volatile memory: the SQN array, the PIN retry counter, the GBA_U
// bootstrap (RAND, Ks) and the NAF keys derived from it, and the EFs the terminal updated.
//
// The JSON form keeps secrets (Ks, Ks_int_NAF) in hex: the state file plays the role of the
// card's secure storage, so it is written with mode 0600 and must be protected like the
// profile that holds K.
#ifndef GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_H_
#define GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/soft_usim/sqn_array.h"

namespace gbabridge {

// One Ks_int_NAF entry, stored in the record `record` (1-based) of EF_GBANL
// (TS 33.220 Annex G.2, TS 31.102 §4.2.83).
struct NafKeyEntry {
  int record = 0;
  Bytes naf_id;
  std::string btid;
  SecretBytes ks_int_naf;
  uint64_t last_used = 0;  // for the least-recently-used overwrite rule of G.2

  NafKeyEntry Clone() const;
};

struct CardState {
  explicit CardState(SqnArray sqn_array) : sqn(std::move(sqn_array)) {}
  CardState(CardState&&) = default;
  CardState& operator=(CardState&&) = default;

  SqnArray sqn;
  int pin_tries_left = 3;
  bool pin_enabled = false;
  // GBA_U bootstrap (TS 33.220 Annex G.1); empty until the first one.
  Bytes gba_rand;
  SecretBytes ks;  // CK || IK
  std::vector<NafKeyEntry> naf_keys;
  uint64_t naf_use_counter = 0;
  // Transparent EFs changed by UPDATE BINARY, by path from the MF ("7fff/6fd6").
  std::map<std::string, Bytes> updated_files;

  CardState Clone() const;

  // Serialised form; secrets appear in hex (see the file comment).
  std::string ToJson() const;
  // Every field is checked; anything unexpected is an error (never a silent reset).
  static absl::StatusOr<CardState> FromJson(std::string_view json, uint64_t sqn_delta);
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_CARD_STATE_H_
