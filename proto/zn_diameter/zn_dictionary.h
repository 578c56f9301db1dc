// The Diameter Zn dictionary (TS 29.109 §6): the 3GPP vendor, the Zn application, the GBA
// AVPs and the Bootstrapping-Info-Request/Answer commands with their ABNF as rules.
// freeDiameter ships no 3GPP Zn dictionary and none is public, so it is defined here, once,
// and used by both ends: bsf-sim's Zn server and the NAF client.
//
// Clause numbers follow the Release 7 to 9 layout of TS 29.109 (§6.1.1/§6.1.2 the BIR/BIA
// commands, §6.2 the result codes, §6.3.1-§6.3.11 the AVPs from GBA-UserSecSettings to
// GBA-Type). Later releases keep the codes and move the text: the AVPs are §6.3.1.1 onwards
// there, the result codes §6.2.2.1-§6.2.2.3.
#ifndef GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DICTIONARY_H_
#define GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DICTIONARY_H_

#include <cstdint>

#include "absl/status/statusor.h"

struct dictionary;
struct dict_object;

namespace gbabridge::zn_diameter {

inline constexpr uint32_t kVendor3gpp = 10415;              // TS 29.230 §7.1 (IANA: 3GPP)
inline constexpr uint32_t kZnApplicationId = 16777220;      // TS 29.109 §6.1 (IANA: 3GPP Zn)
inline constexpr uint32_t kBootstrappingInfoCommand = 310;  // TS 29.109 §6.1.1, §6.1.2

// AVP codes, TS 29.109 §6.3 (all vendor 10415, V and M bits set).
namespace avp_code {
inline constexpr uint32_t kGbaUserSecSettings = 400;
inline constexpr uint32_t kTransactionIdentifier = 401;  // the B-TID
inline constexpr uint32_t kNafId = 402;                  // FQDN || Ua id, binary
inline constexpr uint32_t kGaaServiceIdentifier = 403;   // GSID
inline constexpr uint32_t kKeyExpiryTime = 404;
inline constexpr uint32_t kMeKeyMaterial = 405;    // Ks_NAF / Ks_ext_NAF
inline constexpr uint32_t kUiccKeyMaterial = 406;  // Ks_int_NAF
inline constexpr uint32_t kGbaUAwarenessIndicator = 407;
inline constexpr uint32_t kBootstrapInfoCreationTime = 408;
inline constexpr uint32_t kGussTimestamp = 409;
inline constexpr uint32_t kGbaType = 410;
inline constexpr uint32_t kUeId = 411;
inline constexpr uint32_t kUeIdType = 412;
inline constexpr uint32_t kUiccAppLabel = 413;
inline constexpr uint32_t kUiccMe = 414;
inline constexpr uint32_t kRequestedKeyLifetime = 415;
inline constexpr uint32_t kPrivateIdentityRequest = 416;
inline constexpr uint32_t kGbaPushInfo = 417;
inline constexpr uint32_t kNafSaIdentifier = 418;
inline constexpr uint32_t kSecurityFeatureRequest = 419;
inline constexpr uint32_t kSecurityFeatureResponse = 420;
}  // namespace avp_code

// GBA_U-Awareness-Indicator (TS 29.109 §6.3.8) and GBA-Type (§6.3.11) values.
inline constexpr int32_t kGbaUAwareNo = 0;
inline constexpr int32_t kGbaUAwareYes = 1;
inline constexpr int32_t kGbaType3g = 0;
inline constexpr int32_t kGbaType2g = 1;

// Result codes. Base protocol (RFC 6733 §7.1) in Result-Code, Zn's own (TS 29.109 §6.2.2,
// permanent failures) in Experimental-Result with Vendor-Id 10415.
inline constexpr uint32_t kDiameterSuccess = 2001;
inline constexpr uint32_t kDiameterUnableToDeliver = 3002;
inline constexpr uint32_t kDiameterTooBusy = 3004;
inline constexpr uint32_t kDiameterInvalidAvpValue = 5004;
inline constexpr uint32_t kDiameterMissingAvp = 5005;
inline constexpr uint32_t kDiameterUnableToComply = 5012;
// 5401 is DIAMETER_ERROR_IDENTITY_UNKNOWN (DIAMETER_ERROR_IMPI_UNKNOWN in early releases).
inline constexpr uint32_t kErrorIdentityUnknown = 5401;
inline constexpr uint32_t kErrorNotAuthorized = 5402;
inline constexpr uint32_t kErrorTransactionIdentifierInvalid = 5403;

// Handles to the dictionary objects the Zn messages use (owned by the dictionary).
struct ZnDictionary {
  dict_object* vendor = nullptr;
  dict_object* application = nullptr;
  dict_object* request = nullptr;  // Bootstrapping-Info-Request
  dict_object* answer = nullptr;   // Bootstrapping-Info-Answer
  // Base protocol AVPs (RFC 6733).
  dict_object* session_id = nullptr;
  dict_object* origin_host = nullptr;
  dict_object* origin_realm = nullptr;
  dict_object* destination_host = nullptr;
  dict_object* destination_realm = nullptr;
  dict_object* vendor_specific_application_id = nullptr;
  dict_object* vendor_id = nullptr;
  dict_object* auth_application_id = nullptr;
  dict_object* result_code = nullptr;
  dict_object* experimental_result = nullptr;
  dict_object* experimental_result_code = nullptr;
  dict_object* user_name = nullptr;
  dict_object* error_message = nullptr;
  dict_object* failed_avp = nullptr;
  // Zn AVPs (TS 29.109 §6.3).
  dict_object* gba_user_sec_settings = nullptr;
  dict_object* transaction_identifier = nullptr;
  dict_object* naf_id = nullptr;
  dict_object* gaa_service_identifier = nullptr;
  dict_object* key_expiry_time = nullptr;
  dict_object* me_key_material = nullptr;
  dict_object* uicc_key_material = nullptr;
  dict_object* gba_u_awareness_indicator = nullptr;
  dict_object* bootstrap_info_creation_time = nullptr;
  dict_object* gba_type = nullptr;
};

// Adds the vendor, the application, the Zn AVPs and the two commands with their rules to
// `dict`, which must already hold the base protocol (fd_core_initialize loads it). Defining
// the same objects again is harmless: freeDiameter returns the existing ones.
absl::StatusOr<ZnDictionary> LoadZnDictionary(dictionary* dict);

// A dictionary outside any core, holding the base protocol and Zn: for parsing raw
// messages in tests and fuzz targets (never together with a DiameterNode in one process).
// libfdproto is initialised on the first call; the dictionary lives as long as the process.
struct StandaloneZnDictionary {
  dictionary* dict = nullptr;
  ZnDictionary zn;
};
absl::StatusOr<StandaloneZnDictionary> GetStandaloneZnDictionary();

}  // namespace gbabridge::zn_diameter

#endif  // GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DICTIONARY_H_
