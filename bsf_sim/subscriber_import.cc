#include "bsf_sim/subscriber_import.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/protocol/base64.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim/string_views.h"
#include "uicc/base/identifiers.h"
#include "uicc/base/milenage.h"

namespace gbabridge::bsf {
namespace {

using Json = nlohmann::json;

constexpr const char* kKnownFields[] = {"impi", "imsi", "mnc_length", "k",     "opc",
                                        "op",   "amf",  "sqn",        "gba_u", "uss"};

bool IsHexString(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Wipes a string that held secret hex once it has been copied into SecretBytes.
void WipeString(std::string& s) {
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
}

class EntryParser {
 public:
  EntryParser(size_t index, Json& entry) : index_(index), entry_(entry) {
    // Name the subscriber by what identifies it best, before anything is validated.
    for (const char* field : {"impi", "imsi"}) {
      auto it = entry_.find(field);
      if (it != entry_.end() && it->is_string() && it->get_ref<const std::string&>().size() < 64) {
        label_ = absl::StrCat(" (", field, " \"", it->get_ref<const std::string&>(), "\")");
        break;
      }
    }
  }

  absl::Status Error(std::string_view field, std::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat("subscribers[", index_, "]", label_,
                                                   ": field \"", AbslView(field), "\" ",
                                                   AbslView(problem)));
  }

  // A required or optional string field; nullptr when absent and optional.
  absl::StatusOr<std::string*> String(const char* field, bool required) {
    auto it = entry_.find(field);
    if (it == entry_.end()) {
      if (required) return Error(field, "is missing");
      return nullptr;
    }
    if (!it->is_string()) return Error(field, "must be a string");
    return &it->get_ref<std::string&>();
  }

  // A secret of `bytes` bytes given as hex. The error never shows the value.
  absl::StatusOr<SecretBytes> SecretHex(const char* field, size_t bytes) {
    absl::StatusOr<std::string*> text = String(field, true);
    if (!text.ok()) return text.status();
    std::string& hex = **text;
    if (hex.size() != 2 * bytes || !IsHexString(hex)) {
      WipeString(hex);
      return Error(field, absl::StrCat("must be ", 2 * bytes, " hex digits (", bytes,
                                       " bytes); the value is not shown"));
    }
    absl::StatusOr<SecretBytes> secret = SecretBytes::FromHex(hex);
    WipeString(hex);
    if (!secret.ok()) return Error(field, "is not valid hex; the value is not shown");
    return secret;
  }

  absl::StatusOr<Subscriber> Parse() {
    if (!entry_.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("subscribers[", index_, "] must be a JSON object"));
    }
    for (const auto& [key, value] : entry_.items()) {
      bool known = false;
      for (const char* field : kKnownFields) known = known || key == field;
      if (!known) {
        return Error(
            key,
            absl::StrCat("is not a known field (known: ", absl::StrJoin(kKnownFields, ", "), ")"));
      }
    }

    Subscriber sub;
    // IMSI (TS 23.003 §2.2) and, when absent, the IMPI derived from it (§13.3).
    absl::StatusOr<std::string*> imsi_text = String("imsi", true);
    if (!imsi_text.ok()) return imsi_text.status();
    int mnc_length = 2;
    if (auto it = entry_.find("mnc_length"); it != entry_.end()) {
      if (!it->is_number_integer() || (it->get<int64_t>() != 2 && it->get<int64_t>() != 3)) {
        return Error("mnc_length", "must be 2 or 3");
      }
      mnc_length = static_cast<int>(it->get<int64_t>());
    }
    absl::StatusOr<Imsi> imsi = MakeImsi(**imsi_text, mnc_length);
    if (!imsi.ok()) return Error("imsi", absl::StrCat("is invalid: ", imsi.status().message()));
    sub.imsi = imsi->digits;

    absl::StatusOr<std::string*> impi = String("impi", false);
    if (!impi.ok()) return impi.status();
    sub.impi = *impi != nullptr ? **impi : DeriveImpi(*imsi);
    if (absl::Status s = ValidateImpi(sub.impi); !s.ok()) {
      return Error("impi", absl::StrCat("is invalid: ", s.message()));
    }
    label_ = absl::StrCat(" (impi \"", sub.impi, "\")");

    absl::StatusOr<SecretBytes> k = SecretHex("k", 16);
    if (!k.ok()) return k.status();
    sub.k = *std::move(k);

    const bool has_opc = entry_.contains("opc");
    const bool has_op = entry_.contains("op");
    if (has_opc == has_op) {
      return Error(has_op ? "op" : "opc", "give exactly one of \"opc\" and \"op\"");
    }
    if (has_opc) {
      absl::StatusOr<SecretBytes> opc = SecretHex("opc", 16);
      if (!opc.ok()) return opc.status();
      sub.opc = *std::move(opc);
    } else {
      absl::StatusOr<SecretBytes> op = SecretHex("op", 16);
      if (!op.ok()) return op.status();
      // TS 35.206 §4.1: the HSS keeps OPc = OP xor E_K(OP), never OP itself.
      absl::StatusOr<SecretBytes> opc = Milenage::ComputeOpc(sub.k, *op);
      if (!opc.ok()) return Error("op", "could not be turned into OPc");
      sub.opc = *std::move(opc);
    }

    sub.amf = {0x80, 0x00};
    absl::StatusOr<std::string*> amf = String("amf", false);
    if (!amf.ok()) return amf.status();
    if (*amf != nullptr) {
      absl::StatusOr<Bytes> bytes =
          IsHexString(**amf) ? HexDecode(**amf) : absl::InvalidArgumentError("");
      if ((**amf).size() != 4 || !bytes.ok()) return Error("amf", "must be 4 hex digits");
      sub.amf = {(*bytes)[0], (*bytes)[1]};
    }

    absl::StatusOr<std::string*> sqn = String("sqn", false);
    if (!sqn.ok()) return sqn.status();
    if (*sqn != nullptr) {
      absl::StatusOr<Bytes> bytes =
          IsHexString(**sqn) ? HexDecode(**sqn) : absl::InvalidArgumentError("");
      if ((**sqn).size() != 12 || !bytes.ok()) {
        return Error("sqn", "must be 12 hex digits (the 48-bit SQN last handed out)");
      }
      Sqn value{};
      std::copy(bytes->begin(), bytes->end(), value.begin());
      sub.sqn = SqnFromBytes(value);
    }

    if (auto it = entry_.find("gba_u"); it != entry_.end()) {
      if (!it->is_boolean()) return Error("gba_u", "must be true or false");
      sub.gba_u = it->get<bool>();
    }

    if (auto it = entry_.find("uss"); it != entry_.end()) {
      if (!it->is_object()) {
        return Error("uss", "must be an object mapping NAF FQDNs to base64 USS");
      }
      for (const auto& [naf, value] : it->items()) {
        // TS 33.220 §4.4.6: USS belong to a GAA service ("gsid:<number>") or, for NAFs that
        // name no service, to the NAF FQDN.
        const bool service = absl::StartsWith(naf, "gsid:");
        if (service) {
          const std::string id = naf.substr(5);
          if (id.empty() || id.size() > 10 ||
              !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return Error("uss",
                         absl::StrCat("key \"", naf, "\" is not gsid:<decimal GAA service id>"));
          }
        } else if (absl::Status s = ValidateFqdn(naf); !s.ok()) {
          return Error("uss", absl::StrCat("key \"", naf, "\" is neither a NAF FQDN (", s.message(),
                                           ") nor gsid:<GAA service id>"));
        }
        if (!value.is_string()) return Error("uss", absl::StrCat("\"", naf, "\" must be base64"));
        absl::StatusOr<Bytes> uss = Base64Decode(value.get_ref<const std::string&>());
        if (!uss.ok()) {
          return Error("uss", absl::StrCat("\"", naf, "\" is not valid base64"));
        }
        const std::string key = absl::AsciiStrToLower(naf);
        if (!sub.uss.emplace(key, *std::move(uss)).second) {
          return Error("uss", absl::StrCat("names NAF ", key, " twice"));
        }
      }
    }
    return sub;
  }

 private:
  size_t index_;
  Json& entry_;
  std::string label_;
};

// Wipes every string value of the parsed document (the secret hex among them), whatever
// path the parse took.
void WipeJson(Json& j) {
  if (j.is_string()) {
    WipeString(j.get_ref<std::string&>());
  } else if (j.is_structured()) {
    for (Json& child : j) WipeJson(child);
  }
}

}  // namespace

absl::Status ValidateImpi(std::string_view impi) {
  if (impi.empty()) return absl::InvalidArgumentError("the IMPI is empty");
  if (impi.size() > 255)
    return absl::InvalidArgumentError("the IMPI is longer than 255 characters");
  const size_t at = impi.find('@');
  if (at == std::string_view::npos || at == 0) {
    return absl::InvalidArgumentError("the IMPI must have the form user@realm (TS 23.003 §13.3)");
  }
  for (char c : impi.substr(0, at)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == ',') {
      return absl::InvalidArgumentError(
          "the IMPI user part must be printable ASCII without spaces, quotes, '\\' or ','");
    }
  }
  if (absl::Status s = ValidateFqdn(impi.substr(at + 1)); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the IMPI realm is not a domain name: ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Subscriber>> ParseSubscriberImport(const std::string& json) {
  Json doc;
  try {
    doc = Json::parse(json);
  } catch (const Json::parse_error& e) {
    // e.what() quotes the text around the error, which may be key digits: give only the
    // position.
    return absl::InvalidArgumentError(absl::StrCat(
        "the subscriber file is not valid JSON (syntax error near byte ", e.byte, ")"));
  } catch (const Json::exception&) {
    // e.g. out_of_range for a number beyond a double (found by fuzzing: it used to escape
    // and terminate bsf-sim). Its text also quotes the input.
    return absl::InvalidArgumentError(
        "the subscriber file is not usable JSON (a number is out of range)");
  }
  struct Wiper {
    Json& j;
    ~Wiper() { WipeJson(j); }
  } wiper{doc};

  if (!doc.is_object() || !doc.contains("subscribers") || !doc["subscribers"].is_array()) {
    return absl::InvalidArgumentError(
        "the subscriber file must be a JSON object with a \"subscribers\" array");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "subscribers") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown top-level field \"", key, "\" (only \"subscribers\")"));
    }
  }
  Json& list = doc["subscribers"];
  if (list.empty()) return absl::InvalidArgumentError("the \"subscribers\" array is empty");

  std::vector<Subscriber> out;
  std::set<std::string> impis;
  for (size_t i = 0; i < list.size(); ++i) {
    EntryParser parser(i, list[i]);
    absl::StatusOr<Subscriber> sub = parser.Parse();
    if (!sub.ok()) return sub.status();
    if (!impis.insert(sub->impi).second) {
      return absl::InvalidArgumentError(absl::StrCat("subscribers[", i, "] (impi \"", sub->impi,
                                                     "\"): this IMPI appears twice in the file"));
    }
    out.push_back(*std::move(sub));
  }
  return out;
}

}  // namespace gbabridge::bsf
