// CardProfile: what a soft USIM is personalised with, loaded from a TOML file.
//
//   imsi        = "001010123456789"   # 6..15 digits
//   iccid       = "8988211000000000017"  # 10..20 digits
//   k           = "<32 hex digits>"   # subscriber key
//   opc         = "<32 hex digits>"   # exactly one of op / opc
//   amf         = "8000"              # 4 hex digits, default 8000
//   pin         = "0000"              # 4..8 digits, default 0000
//   pin_enabled = false               # default false
//   pin_tries   = 3                   # 1..15, default 3
//   mnc_length  = 2                   # 2 or 3
//   gba_u       = true                # GBA-aware card (UST n°68, GBA context)
//   impi        = "user@realm"        # optional: the card gets an ISIM with EF_IMPI
//   ind_bits    = 5                   # 0..16, default 5 (TS 33.102 Annex C.3.2)
//   sqn_delta   = 268435456           # 1..2^43, default 2^28 (TS 33.102 Annex C.2.1)
//
// pin_enabled and pin_tries set up a fresh card; once the state file exists, the PIN
// enabled flag and retry counter are the card's own (pin_tries stays the maximum).
//
// Unknown keys are rejected (a misspelt `opc` must not silently fall back to a default).
// Errors name the file and the field and never show a key value.
#ifndef GBABRIDGE_UICC_SOFT_USIM_CARD_PROFILE_H_
#define GBABRIDGE_UICC_SOFT_USIM_CARD_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

struct CardProfile {
  std::string imsi;
  std::string iccid;
  SecretBytes k;    // 16 bytes
  SecretBytes opc;  // 16 bytes; computed from OP when the profile gives `op`
  Amf amf = {0x80, 0x00};
  // PIN1 as VERIFY sends it: ASCII digits padded with FF to 8 bytes (TS 102 221 §9.5.1).
  SecretBytes pin_block;
  bool pin_enabled = false;
  int pin_tries = 3;
  int mnc_length = 2;
  bool gba_u = false;
  std::optional<std::string> impi;
  int ind_bits = 5;
  uint64_t sqn_delta = uint64_t{1} << 28;

  CardProfile() = default;
  CardProfile(CardProfile&&) = default;
  CardProfile& operator=(CardProfile&&) = default;
  CardProfile Clone() const;

  // `source` names the input in error messages (usually the file path).
  static absl::StatusOr<CardProfile> Parse(std::string_view toml_text, std::string_view source);
  static absl::StatusOr<CardProfile> LoadFile(const std::string& path);
};

// Encodes a PIN ("0000".."99999999") as the 8-byte VERIFY block.
absl::StatusOr<SecretBytes> EncodePinBlock(std::string_view pin);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_CARD_PROFILE_H_
