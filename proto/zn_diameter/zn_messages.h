// Reading and writing the Zn messages (TS 29.109 §6.1) on freeDiameter `struct msg`:
// the BSF reads a Bootstrapping-Info-Request and fills the answer; the NAF builds the
// request and reads the answer. Every AVP is taken from the dictionary's handles
// (zn_dictionary.h), every length read is checked, and key material read from an answer
// goes into SecretBytes and is wiped in the message before the message is freed.
#ifndef GBABRIDGE_PROTO_ZN_DIAMETER_ZN_MESSAGES_H_
#define GBABRIDGE_PROTO_ZN_DIAMETER_ZN_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/zn_diameter/zn_dictionary.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

struct msg;
struct avp;
struct dictionary;

namespace gbabridge::zn_diameter {

// What a NAF asks (TS 29.109 §6.1.1).
struct ZnQuery {
  std::string btid;                // Transaction-Identifier
  Bytes naf_id;                    // NAF-Id: FQDN || 5-octet Ua id
  std::vector<std::string> gsids;  // GAA-Service-Identifier, any number
  bool gba_u_aware = false;        // GBA_U-Awareness-Indicator = YES
};

// What the BSF answers on success (TS 29.109 §6.1.2).
struct ZnKeyAnswer {
  std::string impi;                             // User-Name
  SecretBytes me_key;                           // ME-Key-Material: Ks_NAF or Ks_ext_NAF
  std::optional<SecretBytes> uicc_key;          // UICC-Key-Material: Ks_int_NAF
  absl::Time key_expiry;                        // Key-ExpiryTime
  absl::Time bootstrap_time;                    // BootstrapInfoCreationTime
  std::optional<Bytes> user_security_settings;  // GBA-UserSecSettings
  int32_t gba_type = kGbaType3g;                // GBA-Type
};

// The outcome code of an answer: Result-Code, or Experimental-Result-Code (vendor 10415).
struct ZnResult {
  uint32_t code = 0;
  bool experimental = false;
  std::string error_message;  // Error-Message, when the peer sent one
  bool success() const { return !experimental && code == kDiameterSuccess; }
};

// The name of a Zn or base result code, e.g. "DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID".
std::string_view ResultCodeName(uint32_t code);

// RFC 6733 §4.3.1 Time: NTP seconds (since 1900-01-01) in 4 octets, big-endian.
Bytes EncodeNtpTime(absl::Time t);
absl::StatusOr<absl::Time> DecodeNtpTime(ByteView octets);

// A raw Diameter message parsed and checked against `dict`'s rules, as the core does on
// receipt (RFC 6733 §3, §4; the command ABNF): the message (free it with FreeMessage), or
// InvalidArgument naming the result code the core would answer with (e.g.
// "DIAMETER_MISSING_AVP"). Never reads outside `bytes`.
absl::StatusOr<msg*> ParseMessage(dictionary* dict, ByteView bytes);
void FreeMessage(msg* message);

// --- BSF side -------------------------------------------------------------------------

// The request's fields. The core has checked the command's rules before dispatching it
// (a missing { } AVP is answered DIAMETER_MISSING_AVP without reaching us); this checks
// the values: a B-TID of 1..255 octets, a NAF-Id of at most 255 + 5 octets, and the
// awareness enum. InvalidArgument names the AVP; `offending` (if given) then points at the
// refused AVP inside `request`, for Failed-AVP.
absl::StatusOr<ZnQuery> ReadZnRequest(const ZnDictionary& zn, msg* request,
                                      avp** offending = nullptr);
// Adds Failed-AVP with a copy of `offending` (RFC 6733 §7.5; §7.1.5 requires it with
// DIAMETER_INVALID_AVP_VALUE).
absl::Status AddFailedAvp(const ZnDictionary& zn, msg* answer, avp* offending);
// Sets the E bit for a protocol error (3xxx, RFC 6733 §7.1.3); other codes leave it clear.
void MarkProtocolError(msg* answer, uint32_t code);

// Adds Vendor-Specific-Application-Id { Vendor-Id 10415, Auth-Application-Id 16777220 }.
absl::Status AddZnApplicationId(const ZnDictionary& zn, msg* message);
// Adds Origin-Host/Realm (the local identity) and either Result-Code (with the E bit for a
// 3xxx) or, for the Zn codes 5401-5403, Experimental-Result; `error_message` (if not empty) goes in
// Error-Message.
absl::Status SetZnResult(const ZnDictionary& zn, msg* answer, uint32_t code,
                         std::string_view error_message = {});
// Adds the success fields (User-Name, the key material, times, USS, GBA-Type).
absl::Status AddZnKeyAnswer(const ZnDictionary& zn, msg* answer, const ZnKeyAnswer& keys);
// Wipes and removes whatever AddZnKeyAnswer added (after it failed half-way).
void RemoveZnKeyAnswer(const ZnDictionary& zn, msg* answer);

// --- NAF side -------------------------------------------------------------------------

// A new Bootstrapping-Info-Request with a Session-Id, Origin-Host/Realm (the local node),
// Destination-Realm (and Destination-Host when not empty). Needs a running core.
absl::StatusOr<msg*> BuildZnRequest(const ZnDictionary& zn, const ZnQuery& query,
                                    std::string_view destination_realm,
                                    std::string_view destination_host);

absl::StatusOr<ZnResult> ReadZnResult(const ZnDictionary& zn, msg* answer);
// The success fields; DataLoss when one is missing or malformed (a 32-byte key, 4-octet
// times). Wipes the key material in the message after copying it.
absl::StatusOr<ZnKeyAnswer> ReadZnKeyAnswer(const ZnDictionary& zn, msg* answer);
// Overwrites ME-Key-Material and UICC-Key-Material in `message` (before freeing it).
void WipeKeyMaterial(const ZnDictionary& zn, msg* message);

}  // namespace gbabridge::zn_diameter

#endif  // GBABRIDGE_PROTO_ZN_DIAMETER_ZN_MESSAGES_H_
