#include "proto/zn_diameter/zn_messages.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
// clang-format on

#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"

namespace gbabridge::zn_diameter {
namespace {

// RFC 6733 §4.3.1 (Time), RFC 5905: seconds from 1900-01-01 to 1970-01-01.
constexpr int64_t kNtpUnixOffset = 2208988800LL;

absl::Status Check(int rc, std::string_view what) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("Diameter: cannot ", std::string(what), ": ", std::strerror(rc)));
}

absl::Status AddAvp(msg_or_avp* parent, dict_object* model, union avp_value* value,
                    std::string_view what) {
  avp* a = nullptr;
  if (absl::Status s =
          Check(fd_msg_avp_new(model, 0, &a), absl::StrCat("create ", std::string(what)));
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          Check(fd_msg_avp_setvalue(a, value), absl::StrCat("set ", std::string(what)));
      !s.ok()) {
    fd_msg_free(a);
    return s;
  }
  if (absl::Status s = Check(fd_msg_avp_add(parent, MSG_BRW_LAST_CHILD, a),
                             absl::StrCat("add ", std::string(what)));
      !s.ok()) {
    fd_msg_free(a);
    return s;
  }
  return absl::OkStatus();
}

absl::Status AddOctets(msg_or_avp* parent, dict_object* model, ByteView bytes,
                       std::string_view what) {
  union avp_value value;
  std::memset(&value, 0, sizeof(value));
  // fd_msg_avp_setvalue copies the octets.
  value.os.data = const_cast<uint8_t*>(bytes.data());
  value.os.len = bytes.size();
  return AddAvp(parent, model, &value, what);
}

absl::Status AddText(msg_or_avp* parent, dict_object* model, std::string_view text,
                     std::string_view what) {
  return AddOctets(parent, model,
                   ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()), what);
}

absl::Status AddU32(msg_or_avp* parent, dict_object* model, uint32_t v, std::string_view what) {
  union avp_value value;
  std::memset(&value, 0, sizeof(value));
  value.u32 = v;
  return AddAvp(parent, model, &value, what);
}

absl::Status AddI32(msg_or_avp* parent, dict_object* model, int32_t v, std::string_view what) {
  union avp_value value;
  std::memset(&value, 0, sizeof(value));
  value.i32 = v;
  return AddAvp(parent, model, &value, what);
}

// fd_msg_browse's C cast (to void*) does not compile as C++.
avp* Browse(msg_or_avp* from, msg_brw_dir direction) {
  msg_or_avp* found = nullptr;
  if (fd_msg_browse_internal(from, direction, &found, nullptr) != 0) return nullptr;
  return static_cast<avp*>(found);
}

// The first top-level AVP of `model` with a value, or null when absent or not understood.
avp* FindAvp(msg* message, dict_object* model) {
  avp* a = nullptr;
  if (fd_msg_search_avp(message, model, &a) != 0 || a == nullptr) return nullptr;
  avp_hdr* header = nullptr;
  if (fd_msg_avp_hdr(a, &header) != 0 || header == nullptr || header->avp_value == nullptr) {
    return nullptr;
  }
  return a;
}

avp_hdr* HeaderOf(avp* a) {
  avp_hdr* header = nullptr;
  if (a == nullptr || fd_msg_avp_hdr(a, &header) != 0) return nullptr;
  return header;
}

avp_hdr* Find(msg* message, dict_object* model) { return HeaderOf(FindAvp(message, model)); }

ByteView OctetsOf(const avp_hdr* header) {
  return ByteView(header->avp_value->os.data, header->avp_value->os.len);
}

std::string TextOf(const avp_hdr* header) {
  return std::string(reinterpret_cast<const char*>(header->avp_value->os.data),
                     header->avp_value->os.len);
}

void Wipe(avp_hdr* header) {
  if (header == nullptr || header->avp_value->os.data == nullptr) return;
  Cleanse(std::span<uint8_t>(header->avp_value->os.data, header->avp_value->os.len));
}

bool IsZnCode(uint32_t code) {
  return code == kErrorIdentityUnknown || code == kErrorNotAuthorized ||
         code == kErrorTransactionIdentifierInvalid;
}

}  // namespace

std::string_view ResultCodeName(uint32_t code) {
  switch (code) {
    case kDiameterSuccess:
      return "DIAMETER_SUCCESS";
    case kDiameterUnableToDeliver:
      return "DIAMETER_UNABLE_TO_DELIVER";
    case kDiameterTooBusy:
      return "DIAMETER_TOO_BUSY";
    case 3010:
      return "DIAMETER_UNKNOWN_PEER";
    case 5001:
      return "DIAMETER_AVP_UNSUPPORTED";
    case kDiameterInvalidAvpValue:
      return "DIAMETER_INVALID_AVP_VALUE";
    case kDiameterMissingAvp:
      return "DIAMETER_MISSING_AVP";
    case 5009:
      return "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES";
    case kDiameterUnableToComply:
      return "DIAMETER_UNABLE_TO_COMPLY";
    case 5014:
      return "DIAMETER_INVALID_AVP_LENGTH";
    case kErrorIdentityUnknown:
      return "DIAMETER_ERROR_IDENTITY_UNKNOWN";
    case kErrorNotAuthorized:
      return "DIAMETER_ERROR_NOT_AUTHORIZED";
    case kErrorTransactionIdentifierInvalid:
      return "DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID";
    default:
      return "unknown result code";
  }
}

Bytes EncodeNtpTime(absl::Time t) {
  // Era 0 only (to 2036-02-07), as RFC 6733 §4.3.1 leaves it; the wrap is modulo 2^32.
  const uint32_t ntp = static_cast<uint32_t>(absl::ToUnixSeconds(t) + kNtpUnixOffset);
  return Bytes{static_cast<uint8_t>(ntp >> 24), static_cast<uint8_t>(ntp >> 16),
               static_cast<uint8_t>(ntp >> 8), static_cast<uint8_t>(ntp)};
}

absl::StatusOr<absl::Time> DecodeNtpTime(ByteView octets) {
  if (octets.size() != 4) {
    return absl::DataLossError(
        absl::StrCat("a Diameter Time is 4 octets (RFC 6733 §4.3.1), not ", octets.size()));
  }
  const uint32_t ntp = (uint32_t{octets[0]} << 24) | (uint32_t{octets[1]} << 16) |
                       (uint32_t{octets[2]} << 8) | uint32_t{octets[3]};
  return absl::FromUnixSeconds(static_cast<int64_t>(ntp) - kNtpUnixOffset);
}

absl::StatusOr<msg*> ParseMessage(dictionary* dict, ByteView bytes) {
  // RFC 6733 §3: a 20-octet header at least; fd_msg_parse_buffer takes a malloc'd buffer
  // and owns it on success only.
  if (bytes.size() < 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("a Diameter message of ", bytes.size(), " octets: the header alone is 20"));
  }
  auto* buffer = static_cast<uint8_t*>(std::malloc(bytes.size()));
  if (buffer == nullptr) return absl::ResourceExhaustedError("out of memory");
  std::memcpy(buffer, bytes.data(), bytes.size());
  msg* message = nullptr;
  if (int rc = fd_msg_parse_buffer(&buffer, bytes.size(), &message); rc != 0) {
    std::free(buffer);
    return absl::InvalidArgumentError(
        absl::StrCat("not a well-formed Diameter message (", std::strerror(rc), ")"));
  }
  fd_pei error{};
  const int rc = fd_msg_parse_rules(message, dict, &error);
  if (error.pei_avp_free && error.pei_avp != nullptr) fd_msg_free(error.pei_avp);
  if (rc != 0) {
    fd_msg_free(message);
    return absl::InvalidArgumentError(absl::StrCat(
        "the message breaks the dictionary: ",
        error.pei_errcode != nullptr ? error.pei_errcode : std::strerror(rc),
        error.pei_message != nullptr ? absl::StrCat(" (", error.pei_message, ")") : ""));
  }
  return message;
}

void FreeMessage(msg* message) {
  if (message != nullptr) fd_msg_free(message);
}

absl::StatusOr<ZnQuery> ReadZnRequest(const ZnDictionary& zn, msg* request, avp** offending) {
  avp* unused = nullptr;
  if (offending == nullptr) offending = &unused;
  *offending = nullptr;
  ZnQuery query;
  avp* btid_avp = FindAvp(request, zn.transaction_identifier);
  const avp_hdr* btid = HeaderOf(btid_avp);
  if (btid == nullptr) return absl::InvalidArgumentError("no Transaction-Identifier (B-TID)");
  // TS 33.220 §4.5.2: B-TID = base64(RAND)@BSF_servers_domain_name, at most 255 octets.
  if (btid->avp_value->os.len == 0 || btid->avp_value->os.len > 255) {
    *offending = btid_avp;
    return absl::InvalidArgumentError(absl::StrCat(
        "Transaction-Identifier of ", btid->avp_value->os.len, " octets: a B-TID has 1 to 255"));
  }
  query.btid = TextOf(btid);
  avp* naf_id_avp = FindAvp(request, zn.naf_id);
  const avp_hdr* naf_id = HeaderOf(naf_id_avp);
  if (naf_id == nullptr) return absl::InvalidArgumentError("no NAF-Id");
  // An FQDN of at most 255 octets, then the 5-octet Ua id (TS 33.220 Annex H).
  if (naf_id->avp_value->os.len < 6 || naf_id->avp_value->os.len > 255 + 5) {
    *offending = naf_id_avp;
    return absl::InvalidArgumentError(absl::StrCat(
        "NAF-Id of ", naf_id->avp_value->os.len,
        " octets: it is the NAF's FQDN followed by the 5-octet Ua security protocol id"));
  }
  const ByteView naf_octets = OctetsOf(naf_id);
  query.naf_id.assign(naf_octets.begin(), naf_octets.end());

  // Any number of GAA-Service-Identifier (TS 29.109 §6.1.1): walk the top level.
  for (avp* child = Browse(request, MSG_BRW_FIRST_CHILD); child != nullptr;
       child = Browse(child, MSG_BRW_NEXT)) {
    avp_hdr* header = nullptr;
    if (fd_msg_avp_hdr(child, &header) == 0 && header != nullptr &&
        header->avp_code == avp_code::kGaaServiceIdentifier &&
        (header->avp_flags & AVP_FLAG_VENDOR) != 0 && header->avp_vendor == kVendor3gpp &&
        header->avp_value != nullptr) {
      if (header->avp_value->os.len == 0 || header->avp_value->os.len > 255) {
        *offending = child;
        return absl::InvalidArgumentError("GAA-Service-Identifier must be 1 to 255 octets");
      }
      if (query.gsids.size() >= 16) {
        *offending = child;
        return absl::InvalidArgumentError("more than 16 GAA-Service-Identifier AVPs");
      }
      query.gsids.push_back(TextOf(header));
    }
  }
  avp* aware_avp = FindAvp(request, zn.gba_u_awareness_indicator);
  if (const avp_hdr* aware = HeaderOf(aware_avp); aware != nullptr) {
    const int32_t v = aware->avp_value->i32;
    if (v != kGbaUAwareNo && v != kGbaUAwareYes) {
      *offending = aware_avp;
      return absl::InvalidArgumentError(
          absl::StrCat("GBA_U-Awareness-Indicator ", v, " is neither NO (0) nor YES (1)"));
    }
    query.gba_u_aware = v == kGbaUAwareYes;
  }
  return query;
}

absl::Status AddFailedAvp(const ZnDictionary& zn, msg* answer, avp* offending) {
  // RFC 6733 §7.5, §7.1.5: Failed-AVP holds a copy of the AVP whose value was refused.
  avp_hdr* header = HeaderOf(offending);
  dict_object* model = nullptr;
  if (header == nullptr || header->avp_value == nullptr || fd_msg_model(offending, &model) != 0 ||
      model == nullptr) {
    return absl::InvalidArgumentError("no AVP to copy into Failed-AVP");
  }
  avp* group = nullptr;
  if (absl::Status s = Check(fd_msg_avp_new(zn.failed_avp, 0, &group), "create Failed-AVP");
      !s.ok()) {
    return s;
  }
  absl::Status s = AddAvp(group, model, header->avp_value, "the failed AVP's copy");
  if (s.ok()) s = Check(fd_msg_avp_add(answer, MSG_BRW_LAST_CHILD, group), "add Failed-AVP");
  if (!s.ok()) fd_msg_free(group);
  return s;
}

absl::Status AddZnApplicationId(const ZnDictionary& zn, msg* message) {
  avp* group = nullptr;
  if (absl::Status s = Check(fd_msg_avp_new(zn.vendor_specific_application_id, 0, &group),
                             "create Vendor-Specific-Application-Id");
      !s.ok()) {
    return s;
  }
  absl::Status s = AddU32(group, zn.vendor_id, kVendor3gpp, "Vendor-Id");
  if (s.ok()) s = AddU32(group, zn.auth_application_id, kZnApplicationId, "Auth-Application-Id");
  if (s.ok()) {
    s = Check(fd_msg_avp_add(message, MSG_BRW_LAST_CHILD, group),
              "add Vendor-Specific-Application-Id");
  }
  if (!s.ok()) fd_msg_free(group);
  return s;
}

void MarkProtocolError(msg* answer, uint32_t code) {
  // RFC 6733 §3 ('E' bit), §7.1.3: an answer with a protocol error (3xxx) sets E.
  if (code < 3000 || code > 3999) return;
  msg_hdr* header = nullptr;
  if (fd_msg_hdr(answer, &header) == 0 && header != nullptr) header->msg_flags |= CMD_FLAG_ERROR;
}

absl::Status SetZnResult(const ZnDictionary& zn, msg* answer, uint32_t code,
                         std::string_view error_message) {
  if (absl::Status s = Check(fd_msg_add_origin(answer, 0), "add Origin-Host/Realm"); !s.ok()) {
    return s;
  }
  MarkProtocolError(answer, code);
  if (!IsZnCode(code)) {
    if (absl::Status s = AddU32(answer, zn.result_code, code, "Result-Code"); !s.ok()) return s;
  } else {
    // TS 29.109 §6.2: the Zn codes are vendor-specific, in Experimental-Result.
    avp* group = nullptr;
    if (absl::Status s =
            Check(fd_msg_avp_new(zn.experimental_result, 0, &group), "create Experimental-Result");
        !s.ok()) {
      return s;
    }
    absl::Status s = AddU32(group, zn.vendor_id, kVendor3gpp, "Vendor-Id");
    if (s.ok()) s = AddU32(group, zn.experimental_result_code, code, "Experimental-Result-Code");
    if (s.ok()) s = Check(fd_msg_avp_add(answer, MSG_BRW_LAST_CHILD, group), "add it");
    if (!s.ok()) {
      fd_msg_free(group);
      return s;
    }
  }
  if (!error_message.empty() && code != kDiameterSuccess) {
    return AddText(answer, zn.error_message, error_message.substr(0, 200), "Error-Message");
  }
  return absl::OkStatus();
}

absl::Status AddZnKeyAnswer(const ZnDictionary& zn, msg* answer, const ZnKeyAnswer& keys) {
  if (absl::Status s = AddText(answer, zn.user_name, keys.impi, "User-Name"); !s.ok()) return s;
  if (absl::Status s = AddOctets(answer, zn.me_key_material, keys.me_key.view(), "ME-Key-Material");
      !s.ok()) {
    return s;
  }
  if (keys.uicc_key.has_value()) {
    if (absl::Status s =
            AddOctets(answer, zn.uicc_key_material, keys.uicc_key->view(), "UICC-Key-Material");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s =
          AddOctets(answer, zn.key_expiry_time, EncodeNtpTime(keys.key_expiry), "Key-ExpiryTime");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddOctets(answer, zn.bootstrap_info_creation_time,
                                 EncodeNtpTime(keys.bootstrap_time), "BootstrapInfoCreationTime");
      !s.ok()) {
    return s;
  }
  if (keys.user_security_settings.has_value()) {
    if (absl::Status s = AddOctets(answer, zn.gba_user_sec_settings, *keys.user_security_settings,
                                   "GBA-UserSecSettings");
        !s.ok()) {
      return s;
    }
  }
  return AddI32(answer, zn.gba_type, keys.gba_type, "GBA-Type");
}

absl::StatusOr<msg*> BuildZnRequest(const ZnDictionary& zn, const ZnQuery& query,
                                    std::string_view destination_realm,
                                    std::string_view destination_host) {
  msg* request = nullptr;
  if (absl::Status s =
          Check(fd_msg_new(zn.request, MSGFL_ALLOC_ETEID, &request), "create the request");
      !s.ok()) {
    return s;
  }
  static constexpr char kSessionSuffix[] = "zn";
  absl::Status s =
      Check(fd_msg_new_session(request, reinterpret_cast<os0_t>(const_cast<char*>(kSessionSuffix)),
                               sizeof(kSessionSuffix) - 1),
            "create a Session-Id");
  if (s.ok()) s = AddZnApplicationId(zn, request);
  if (s.ok()) s = Check(fd_msg_add_origin(request, 0), "add Origin-Host/Realm");
  if (s.ok()) s = AddText(request, zn.destination_realm, destination_realm, "Destination-Realm");
  if (s.ok() && !destination_host.empty()) {
    s = AddText(request, zn.destination_host, destination_host, "Destination-Host");
  }
  for (const std::string& gsid : query.gsids) {
    if (s.ok()) s = AddText(request, zn.gaa_service_identifier, gsid, "GAA-Service-Identifier");
  }
  if (s.ok()) s = AddText(request, zn.transaction_identifier, query.btid, "Transaction-Identifier");
  if (s.ok()) s = AddOctets(request, zn.naf_id, query.naf_id, "NAF-Id");
  if (s.ok()) {
    s = AddI32(request, zn.gba_u_awareness_indicator,
               query.gba_u_aware ? kGbaUAwareYes : kGbaUAwareNo, "GBA_U-Awareness-Indicator");
  }
  if (!s.ok()) {
    fd_msg_free(request);
    return s;
  }
  return request;
}

absl::StatusOr<ZnResult> ReadZnResult(const ZnDictionary& zn, msg* answer) {
  ZnResult result;
  if (const avp_hdr* message = Find(answer, zn.error_message); message != nullptr) {
    result.error_message = TextOf(message).substr(0, 200);
  }
  if (const avp_hdr* code = Find(answer, zn.result_code); code != nullptr) {
    result.code = code->avp_value->u32;
    return result;
  }
  avp* group = nullptr;
  if (fd_msg_search_avp(answer, zn.experimental_result, &group) == 0 && group != nullptr) {
    // RFC 6733 §7.6: Experimental-Result ::= { Vendor-Id } { Experimental-Result-Code }; a
    // code is only Zn's when the vendor is 3GPP (TS 29.109 §6.2).
    std::optional<uint32_t> vendor;
    std::optional<uint32_t> code;
    for (avp* child = Browse(group, MSG_BRW_FIRST_CHILD); child != nullptr;
         child = Browse(child, MSG_BRW_NEXT)) {
      avp_hdr* header = HeaderOf(child);
      if (header == nullptr || header->avp_value == nullptr ||
          (header->avp_flags & AVP_FLAG_VENDOR) != 0) {
        continue;
      }
      if (header->avp_code == 266 /* Vendor-Id */) vendor = header->avp_value->u32;
      if (header->avp_code == 298 /* Experimental-Result-Code */) code = header->avp_value->u32;
    }
    if (code.has_value()) {
      if (vendor != kVendor3gpp) {
        return absl::DataLossError(
            absl::StrCat("Experimental-Result-Code ", *code, " from vendor ",
                         vendor.has_value() ? absl::StrCat(*vendor) : std::string("(none)"),
                         ", not 3GPP (10415)"));
      }
      result.code = *code;
      result.experimental = true;
      return result;
    }
  }
  return absl::DataLossError(
      "the Bootstrapping-Info-Answer has neither Result-Code nor Experimental-Result-Code");
}

absl::StatusOr<ZnKeyAnswer> ReadZnKeyAnswer(const ZnDictionary& zn, msg* answer) {
  ZnKeyAnswer keys;
  avp_hdr* me_key = Find(answer, zn.me_key_material);
  avp_hdr* uicc_key = Find(answer, zn.uicc_key_material);
  // TS 33.220 B.2.1: Ks_(ext/int)_NAF are 256-bit KDF outputs.
  constexpr size_t kKeySize = 32;
  absl::Status status = absl::OkStatus();
  if (me_key == nullptr) {
    status = absl::DataLossError("the answer has no ME-Key-Material");
  } else if (me_key->avp_value->os.len != kKeySize) {
    status = absl::DataLossError(absl::StrCat("ME-Key-Material of ", me_key->avp_value->os.len,
                                              " octets; Ks_NAF is ", kKeySize));
  } else {
    keys.me_key = SecretBytes::CopyFrom(OctetsOf(me_key));
  }
  if (status.ok() && uicc_key != nullptr) {
    if (uicc_key->avp_value->os.len != kKeySize) {
      status = absl::DataLossError(absl::StrCat(
          "UICC-Key-Material of ", uicc_key->avp_value->os.len, " octets; Ks_int_NAF is 32"));
    } else {
      keys.uicc_key = SecretBytes::CopyFrom(OctetsOf(uicc_key));
    }
  }
  Wipe(me_key);
  Wipe(uicc_key);
  if (!status.ok()) return status;

  const avp_hdr* impi = Find(answer, zn.user_name);
  if (impi == nullptr || impi->avp_value->os.len == 0 || impi->avp_value->os.len > 255) {
    return absl::DataLossError("the answer has no valid User-Name (IMPI)");
  }
  keys.impi = TextOf(impi);
  const avp_hdr* expiry = Find(answer, zn.key_expiry_time);
  if (expiry == nullptr) return absl::DataLossError("the answer has no Key-ExpiryTime");
  absl::StatusOr<absl::Time> expiry_time = DecodeNtpTime(OctetsOf(expiry));
  if (!expiry_time.ok()) return expiry_time.status();
  keys.key_expiry = *expiry_time;
  if (const avp_hdr* created = Find(answer, zn.bootstrap_info_creation_time); created != nullptr) {
    absl::StatusOr<absl::Time> t = DecodeNtpTime(OctetsOf(created));
    if (!t.ok()) return t.status();
    keys.bootstrap_time = *t;
  }
  if (const avp_hdr* uss = Find(answer, zn.gba_user_sec_settings); uss != nullptr) {
    const ByteView octets = OctetsOf(uss);
    keys.user_security_settings = Bytes(octets.begin(), octets.end());
  }
  if (const avp_hdr* type = Find(answer, zn.gba_type); type != nullptr) {
    keys.gba_type = type->avp_value->i32;
  }
  return keys;
}

void WipeKeyMaterial(const ZnDictionary& zn, msg* message) {
  Wipe(Find(message, zn.me_key_material));
  Wipe(Find(message, zn.uicc_key_material));
}

void RemoveZnKeyAnswer(const ZnDictionary& zn, msg* answer) {
  WipeKeyMaterial(zn, answer);
  for (dict_object* model :
       {zn.user_name, zn.me_key_material, zn.uicc_key_material, zn.key_expiry_time,
        zn.bootstrap_info_creation_time, zn.gba_user_sec_settings, zn.gba_type}) {
    // fd_msg_free unlinks an AVP from its message before freeing it (libfdproto.h).
    for (avp* a = FindAvp(answer, model); a != nullptr; a = FindAvp(answer, model)) {
      fd_msg_free(a);
    }
  }
}

}  // namespace gbabridge::zn_diameter
