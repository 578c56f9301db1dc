#include "proto/zn_diameter/zn_dictionary.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdproto.h>
// clang-format on

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

// Exported by libfdcore but not declared in its headers: the RFC 6733 base dictionary.
extern "C" int fd_dict_base_protocol(struct dictionary* dict);

namespace gbabridge::zn_diameter {
namespace {

// freeDiameter's structs take `char*` names; the literals are never written to.
char* Name(const char* s) { return const_cast<char*>(s); }

absl::Status Check(int rc, std::string_view what) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("the Diameter Zn dictionary: cannot define ",
                                          std::string(what), ": ", std::strerror(rc)));
}

absl::StatusOr<dict_object*> FindBaseAvp(dictionary* dict, const char* name) {
  dict_object* object = nullptr;
  const int rc = fd_dict_search(dict, DICT_AVP, AVP_BY_NAME, name, &object, ENOENT);
  if (rc != 0 || object == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Diameter dictionary lacks the base protocol AVP ", name));
  }
  return object;
}

absl::StatusOr<dict_object*> FindType(dictionary* dict, const char* name) {
  dict_object* object = nullptr;
  const int rc = fd_dict_search(dict, DICT_TYPE, TYPE_BY_NAME, name, &object, ENOENT);
  if (rc != 0 || object == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Diameter dictionary lacks the base type ", name));
  }
  return object;
}

// TS 29.109 §6.3: every Zn AVP has the V and M bits set (and P may be set).
constexpr uint8_t kZnAvpFlags = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;

absl::StatusOr<dict_object*> DefineAvp(dictionary* dict, uint32_t code, const char* name,
                                       dict_avp_basetype base, dict_object* type) {
  dict_avp_data data{code, kVendor3gpp, Name(name), kZnAvpFlags, kZnAvpFlags, base};
  dict_object* object = nullptr;
  if (absl::Status s = Check(fd_dict_new(dict, DICT_AVP, &data, type, &object), name); !s.ok()) {
    return s;
  }
  return object;
}

struct EnumValue {
  const char* name;
  int32_t value;
};

// An Enumerated AVP (RFC 6733 §4.3.1: Integer32 underneath) with its named values.
absl::StatusOr<dict_object*> DefineEnumAvp(dictionary* dict, uint32_t code, const char* name,
                                           std::initializer_list<EnumValue> values) {
  const std::string type_name = absl::StrCat("Enumerated(3GPP/", name, ")");
  dict_type_data type_data{
      AVP_TYPE_INTEGER32, Name(type_name.c_str()), nullptr, nullptr, nullptr, nullptr, nullptr};
  dict_object* type = nullptr;
  if (absl::Status s = Check(fd_dict_new(dict, DICT_TYPE, &type_data, nullptr, &type), type_name);
      !s.ok()) {
    return s;
  }
  for (const EnumValue& v : values) {
    dict_enumval_data value{Name(v.name), {}};
    value.enum_value.i32 = v.value;
    if (absl::Status s = Check(fd_dict_new(dict, DICT_ENUMVAL, &value, type, nullptr), v.name);
        !s.ok()) {
      return s;
    }
  }
  return DefineAvp(dict, code, name, AVP_TYPE_INTEGER32, type);
}

struct Rule {
  dict_object* avp;
  rule_position position;
  int min;
  int max;
};

absl::Status AddRules(dictionary* dict, dict_object* parent, std::string_view parent_name,
                      const std::vector<Rule>& rules) {
  unsigned head_order = 0;
  for (const Rule& r : rules) {
    dict_rule_data data{r.avp, r.position, r.position == RULE_FIXED_HEAD ? ++head_order : 0, r.min,
                        r.max};
    if (absl::Status s = Check(fd_dict_new(dict, DICT_RULE, &data, parent, nullptr),
                               absl::StrCat("a rule of ", std::string(parent_name)));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ZnDictionary> LoadZnDictionary(dictionary* dict) {
  if (dict == nullptr) return absl::InvalidArgumentError("no Diameter dictionary");
  ZnDictionary zn;

  dict_vendor_data vendor{kVendor3gpp, Name("3GPP")};
  if (absl::Status s =
          Check(fd_dict_new(dict, DICT_VENDOR, &vendor, nullptr, &zn.vendor), "the 3GPP vendor");
      !s.ok()) {
    return s;
  }
  dict_application_data application{kZnApplicationId, Name("3GPP Zn")};
  if (absl::Status s = Check(
          fd_dict_new(dict, DICT_APPLICATION, &application, zn.vendor, &zn.application), "Zn");
      !s.ok()) {
    return s;
  }

  // Base protocol AVPs (RFC 6733 §4.5), present in freeDiameter's base dictionary.
  struct BaseAvp {
    dict_object** slot;
    const char* name;
  };
  for (const BaseAvp& b :
       {BaseAvp{&zn.session_id, "Session-Id"}, BaseAvp{&zn.origin_host, "Origin-Host"},
        BaseAvp{&zn.origin_realm, "Origin-Realm"},
        BaseAvp{&zn.destination_host, "Destination-Host"},
        BaseAvp{&zn.destination_realm, "Destination-Realm"},
        BaseAvp{&zn.vendor_specific_application_id, "Vendor-Specific-Application-Id"},
        BaseAvp{&zn.vendor_id, "Vendor-Id"},
        BaseAvp{&zn.auth_application_id, "Auth-Application-Id"},
        BaseAvp{&zn.result_code, "Result-Code"},
        BaseAvp{&zn.experimental_result, "Experimental-Result"},
        BaseAvp{&zn.experimental_result_code, "Experimental-Result-Code"},
        BaseAvp{&zn.user_name, "User-Name"}, BaseAvp{&zn.error_message, "Error-Message"},
        BaseAvp{&zn.failed_avp, "Failed-AVP"}}) {
    absl::StatusOr<dict_object*> found = FindBaseAvp(dict, b.name);
    if (!found.ok()) return found.status();
    *b.slot = *found;
  }
  absl::StatusOr<dict_object*> time_type = FindType(dict, "Time");
  if (!time_type.ok()) return time_type.status();
  dict_object* proxy_info = nullptr;
  dict_object* route_record = nullptr;
  if (absl::StatusOr<dict_object*> p = FindBaseAvp(dict, "Proxy-Info"); p.ok()) {
    proxy_info = *p;
  } else {
    return p.status();
  }
  if (absl::StatusOr<dict_object*> r = FindBaseAvp(dict, "Route-Record"); r.ok()) {
    route_record = *r;
  } else {
    return r.status();
  }

  // TS 29.109 §6.3, the AVP table. OctetString unless noted; Time is the RFC 6733 §4.3.1
  // derived type (4 octets, NTP seconds).
  struct OctetAvp {
    dict_object** slot;
    uint32_t code;
    const char* name;
    bool time;
  };
  dict_object* unused = nullptr;
  for (const OctetAvp& a :
       {OctetAvp{&zn.gba_user_sec_settings, avp_code::kGbaUserSecSettings, "GBA-UserSecSettings",
                 false},  // §6.3.1: the USS (XML, TS 29.109 Annex A)
        OctetAvp{&zn.transaction_identifier, avp_code::kTransactionIdentifier,
                 "Transaction-Identifier", false},  // §6.3.2: the B-TID
        // §6.3.3: NAF_Id = the NAF's FQDN || the 5-octet Ua security protocol id
        // (TS 33.220 Annex H): binary, not UTF-8.
        OctetAvp{&zn.naf_id, avp_code::kNafId, "NAF-Id", false},
        OctetAvp{&zn.gaa_service_identifier, avp_code::kGaaServiceIdentifier,
                 "GAA-Service-Identifier", false},  // §6.3.4: GSID
        OctetAvp{&zn.key_expiry_time, avp_code::kKeyExpiryTime, "Key-ExpiryTime", true},  // §6.3.5
        OctetAvp{&zn.me_key_material, avp_code::kMeKeyMaterial, "ME-Key-Material",
                 false},  // §6.3.6: Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U)
        OctetAvp{&zn.uicc_key_material, avp_code::kUiccKeyMaterial, "UICC-Key-Material",
                 false},  // §6.3.7: Ks_int_NAF
        OctetAvp{&zn.bootstrap_info_creation_time, avp_code::kBootstrapInfoCreationTime,
                 "BootstrapInfoCreationTime", true},                          // §6.3.9
        OctetAvp{&unused, avp_code::kGussTimestamp, "GUSS-TimeStamp", true},  // Zh
        OctetAvp{&unused, avp_code::kUeId, "UE-Id", false},
        OctetAvp{&unused, avp_code::kUiccAppLabel, "UICC-App-Label", false},
        OctetAvp{&unused, avp_code::kRequestedKeyLifetime, "Requested-Key-Lifetime", true},
        OctetAvp{&unused, avp_code::kGbaPushInfo, "GBA-Push-Info", false},  // Zpn
        OctetAvp{&unused, avp_code::kNafSaIdentifier, "NAF-SA-Identifier", false},
        OctetAvp{&unused, avp_code::kSecurityFeatureRequest, "Security-Feature-Request", false},
        OctetAvp{&unused, avp_code::kSecurityFeatureResponse, "Security-Feature-Response",
                 false}}) {
    absl::StatusOr<dict_object*> object =
        DefineAvp(dict, a.code, a.name, AVP_TYPE_OCTETSTRING, a.time ? *time_type : nullptr);
    if (!object.ok()) return object.status();
    *a.slot = *object;
  }
  // §6.3.8 GBA_U-Awareness-Indicator: does the NAF take Ks_int_NAF.
  absl::StatusOr<dict_object*> aware =
      DefineEnumAvp(dict, avp_code::kGbaUAwarenessIndicator, "GBA_U-Awareness-Indicator",
                    {{"NO", kGbaUAwareNo}, {"YES", kGbaUAwareYes}});
  if (!aware.ok()) return aware.status();
  zn.gba_u_awareness_indicator = *aware;
  // §6.3.11 GBA-Type: the authentication the session came from.
  absl::StatusOr<dict_object*> gba_type = DefineEnumAvp(
      dict, avp_code::kGbaType, "GBA-Type", {{"3G GBA", kGbaType3g}, {"2G GBA", kGbaType2g}});
  if (!gba_type.ok()) return gba_type.status();
  zn.gba_type = *gba_type;
  // §6.3.12-§6.3.16 (UE-Id-Type, UICC-ME, Private-Identity-Request): Zh and Zpn use them.
  for (absl::StatusOr<dict_object*> object :
       {DefineEnumAvp(dict, avp_code::kUeIdType, "UE-Id-Type",
                      {{"PRIVATE_USER_IDENTITY", 0}, {"PUBLIC_USER_IDENTITY", 1}}),
        DefineEnumAvp(dict, avp_code::kUiccMe, "UICC-ME", {{"GBA_ME", 0}, {"GBA_U", 1}}),
        DefineEnumAvp(
            dict, avp_code::kPrivateIdentityRequest, "Private-Identity-Request",
            {{"PRIVATE_IDENTITY_REQUESTED", 0}, {"PRIVATE_IDENTITY_NOT_REQUESTED", 1}})}) {
    if (!object.ok()) return object.status();
  }

  // RFC 6733 §7.6: Experimental-Result ::= < AVP Header: 297 > { Vendor-Id }
  // { Experimental-Result-Code }. freeDiameter's base dictionary leaves it without rules.
  if (absl::Status s = AddRules(dict, zn.experimental_result, "Experimental-Result",
                                {{zn.vendor_id, RULE_REQUIRED, -1, 1},
                                 {zn.experimental_result_code, RULE_REQUIRED, -1, 1}});
      !s.ok()) {
    return s;
  }

  // TS 29.109 §6.1.1 / §6.1.2: command 310, the request with R and P, the answer with P.
  dict_cmd_data request{kBootstrappingInfoCommand, Name("Bootstrapping-Info-Request"),
                        CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
                        CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE};
  if (absl::Status s =
          Check(fd_dict_new(dict, DICT_COMMAND, &request, zn.application, &zn.request), "BIR");
      !s.ok()) {
    return s;
  }
  dict_cmd_data answer{kBootstrappingInfoCommand, Name("Bootstrapping-Info-Answer"),
                       CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE, CMD_FLAG_PROXIABLE};
  if (absl::Status s =
          Check(fd_dict_new(dict, DICT_COMMAND, &answer, zn.application, &zn.answer), "BIA");
      !s.ok()) {
    return s;
  }
  // TS 29.109 §6.1.1:
  //   < Bootstrapping-Info-Request > ::= < Diameter Header: 310, REQ, PXY, 16777220 >
  //     < Session-Id > { Vendor-Specific-Application-Id } { Origin-Host } { Origin-Realm }
  //     { Destination-Realm } [ Destination-Host ] *[ GAA-Service-Identifier ]
  //     { Transaction-Identifier } { NAF-Id } [ GBA_U-Awareness-Indicator ]
  //     *[ AVP ] *[ Proxy-Info ] *[ Route-Record ]
  if (absl::Status s = AddRules(dict, zn.request, "Bootstrapping-Info-Request",
                                {{zn.session_id, RULE_FIXED_HEAD, -1, 1},
                                 {zn.vendor_specific_application_id, RULE_REQUIRED, -1, 1},
                                 {zn.origin_host, RULE_REQUIRED, -1, 1},
                                 {zn.origin_realm, RULE_REQUIRED, -1, 1},
                                 {zn.destination_realm, RULE_REQUIRED, -1, 1},
                                 {zn.destination_host, RULE_OPTIONAL, -1, 1},
                                 {zn.gaa_service_identifier, RULE_OPTIONAL, -1, -1},
                                 {zn.transaction_identifier, RULE_REQUIRED, -1, 1},
                                 {zn.naf_id, RULE_REQUIRED, -1, 1},
                                 {zn.gba_u_awareness_indicator, RULE_OPTIONAL, -1, 1},
                                 {proxy_info, RULE_OPTIONAL, -1, -1},
                                 {route_record, RULE_OPTIONAL, -1, -1}});
      !s.ok()) {
    return s;
  }
  // TS 29.109 §6.1.2:
  //   < Bootstrapping-Info-Answer > ::= < Diameter Header: 310, PXY, 16777220 >
  //     < Session-Id > { Vendor-Specific-Application-Id } [ Result-Code ]
  //     [ Experimental-Result ] { Origin-Host } { Origin-Realm } [ User-Name ]
  //     [ ME-Key-Material ] [ UICC-Key-Material ] [ Key-ExpiryTime ]
  //     [ BootstrapInfoCreationTime ] [ GBA-UserSecSettings ] [ GBA-Type ]
  //     *[ AVP ] *[ Proxy-Info ] *[ Route-Record ]
  // Vendor-Specific-Application-Id is taken as optional on receipt: a peer's own error
  // answers (RFC 6733 §7.2, e.g. DIAMETER_UNABLE_TO_DELIVER) do not carry it.
  if (absl::Status s = AddRules(dict, zn.answer, "Bootstrapping-Info-Answer",
                                {{zn.session_id, RULE_FIXED_HEAD, -1, 1},
                                 {zn.vendor_specific_application_id, RULE_OPTIONAL, -1, 1},
                                 {zn.result_code, RULE_OPTIONAL, -1, 1},
                                 {zn.experimental_result, RULE_OPTIONAL, -1, 1},
                                 {zn.origin_host, RULE_REQUIRED, -1, 1},
                                 {zn.origin_realm, RULE_REQUIRED, -1, 1},
                                 {zn.user_name, RULE_OPTIONAL, -1, 1},
                                 {zn.me_key_material, RULE_OPTIONAL, -1, 1},
                                 {zn.uicc_key_material, RULE_OPTIONAL, -1, 1},
                                 {zn.key_expiry_time, RULE_OPTIONAL, -1, 1},
                                 {zn.bootstrap_info_creation_time, RULE_OPTIONAL, -1, 1},
                                 {zn.gba_user_sec_settings, RULE_OPTIONAL, -1, 1},
                                 {zn.gba_type, RULE_OPTIONAL, -1, 1},
                                 {proxy_info, RULE_OPTIONAL, -1, -1},
                                 {route_record, RULE_OPTIONAL, -1, -1}});
      !s.ok()) {
    return s;
  }
  return zn;
}

absl::StatusOr<StandaloneZnDictionary> GetStandaloneZnDictionary() {
  static const absl::StatusOr<StandaloneZnDictionary>* standalone = [] {
    auto* result = new absl::StatusOr<StandaloneZnDictionary>(
        absl::InternalError("libfdproto could not be initialised"));
    StandaloneZnDictionary d;
    // Parse errors are the caller's to report: freeDiameter's own lines would only be noise
    // (and slow a fuzzer down).
    fd_log_handler_register([](int, const char*, va_list) {});
    if (fd_libproto_init() != 0 || fd_dict_init(&d.dict) != 0 ||
        fd_dict_base_protocol(d.dict) != 0) {
      return result;
    }
    absl::StatusOr<ZnDictionary> zn = LoadZnDictionary(d.dict);
    if (!zn.ok()) {
      *result = zn.status();
      return result;
    }
    d.zn = *zn;
    *result = d;
    return result;
  }();
  return *standalone;
}

}  // namespace gbabridge::zn_diameter
