#include "uicc/soft_usim/card_state.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFormat = "gbabridge-soft-usim-state";
constexpr int kVersion = 1;

// Overwrites every string in a JSON tree before it is freed: some of them are secrets in
// hex. (Best effort: nlohmann::json gives no control over its intermediate buffers.)
void WipeStrings(Json& json) {
  if (json.is_string()) {
    std::string& s = json.get_ref<std::string&>();
    Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  } else if (json.is_structured()) {
    for (Json& child : json) WipeStrings(child);
  }
}

class JsonWiper {
 public:
  explicit JsonWiper(Json& json) : json_(json) {}
  JsonWiper(const JsonWiper&) = delete;
  JsonWiper& operator=(const JsonWiper&) = delete;
  ~JsonWiper() { WipeStrings(json_); }

 private:
  Json& json_;
};

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("soft USIM state is corrupt (", what,
                   "); it is not reset automatically because that would let the card accept old "
                   "authentication vectors: restore it, or delete it to start a fresh card"));
}

absl::StatusOr<Bytes> HexField(const Json& object, const char* name) {
  absl::StatusOr<Bytes> bytes = HexDecode(object.at(name).get_ref<const std::string&>());
  if (!bytes.ok()) return Corrupt(absl::StrCat("'", name, "' is not hex"));
  return bytes;
}

absl::StatusOr<SecretBytes> SecretField(const Json& object, const char* name) {
  absl::StatusOr<SecretBytes> bytes =
      SecretBytes::FromHex(object.at(name).get_ref<const std::string&>());
  if (!bytes.ok()) return Corrupt(absl::StrCat("'", name, "' is not hex"));
  return bytes;
}

absl::StatusOr<CardState> Decode(const Json& root, uint64_t sqn_delta) {
  if (!root.is_object() || root.value("format", "") != kFormat) {
    return Corrupt("not a soft USIM state file");
  }
  if (root.at("version").get<int>() != kVersion) {
    return Corrupt(absl::StrCat("unsupported version ", root.at("version").dump()));
  }
  const Json& sqn = root.at("sqn");
  absl::StatusOr<Bytes> highest = HexField(sqn, "highest_sqn");
  if (!highest.ok()) return highest.status();
  if (highest->size() != kSqnSize) return Corrupt("'highest_sqn' is not 6 bytes");
  Sqn highest_sqn{};
  std::copy(highest->begin(), highest->end(), highest_sqn.begin());
  absl::StatusOr<SqnArray> array =
      SqnArray::Restore(sqn.at("ind_bits").get<int>(), sqn_delta,
                        sqn.at("seq_ms").get<std::vector<uint64_t>>(), SqnToInt(highest_sqn));
  if (!array.ok()) return Corrupt(array.status().message());

  CardState state(*std::move(array));
  const Json& pin = root.at("pin");
  state.pin_enabled = pin.at("enabled").get<bool>();
  state.pin_tries_left = pin.at("tries_left").get<int>();
  if (state.pin_tries_left < 0 || state.pin_tries_left > 15) {
    return Corrupt("PIN retry counter outside 0..15");
  }

  const Json& gba = root.at("gba");
  absl::StatusOr<Bytes> rand = HexField(gba, "rand");
  if (!rand.ok()) return rand.status();
  state.gba_rand = *std::move(rand);
  absl::StatusOr<SecretBytes> ks = SecretField(gba, "ks");
  if (!ks.ok()) return ks.status();
  state.ks = *std::move(ks);
  if (!(state.ks.empty() && state.gba_rand.empty()) &&
      !(state.ks.size() == 32 && state.gba_rand.size() == 16)) {
    return Corrupt("GBA bootstrap needs a 16-byte RAND and a 32-byte Ks, or neither");
  }
  state.naf_use_counter = gba.at("naf_use_counter").get<uint64_t>();
  for (const Json& entry : gba.at("naf_keys")) {
    NafKeyEntry naf;
    naf.record = entry.at("record").get<int>();
    absl::StatusOr<Bytes> naf_id = HexField(entry, "naf_id");
    if (!naf_id.ok()) return naf_id.status();
    naf.naf_id = *std::move(naf_id);
    // Hex: the B-TID comes from what the terminal wrote into EF_GBABP and need not be
    // valid UTF-8, which JSON strings must be.
    absl::StatusOr<Bytes> btid = HexField(entry, "btid");
    if (!btid.ok()) return btid.status();
    naf.btid.assign(btid->begin(), btid->end());
    absl::StatusOr<SecretBytes> key = SecretField(entry, "ks_int_naf");
    if (!key.ok()) return key.status();
    if (key->size() != 32) return Corrupt("a Ks_int_NAF is not 32 bytes");
    naf.ks_int_naf = *std::move(key);
    naf.last_used = entry.at("last_used").get<uint64_t>();
    state.naf_keys.push_back(std::move(naf));
  }

  for (const auto& [path, hex] : root.at("updated_files").items()) {
    absl::StatusOr<Bytes> contents = HexDecode(hex.get_ref<const std::string&>());
    if (!contents.ok()) return Corrupt(absl::StrCat("file '", path, "' is not hex"));
    state.updated_files[path] = *std::move(contents);
  }
  return state;
}

}  // namespace

NafKeyEntry NafKeyEntry::Clone() const {
  NafKeyEntry out;
  out.record = record;
  out.naf_id = naf_id;
  out.btid = btid;
  out.ks_int_naf = ks_int_naf.Clone();
  out.last_used = last_used;
  return out;
}

CardState CardState::Clone() const {
  CardState out(sqn);
  out.pin_tries_left = pin_tries_left;
  out.pin_enabled = pin_enabled;
  out.gba_rand = gba_rand;
  out.ks = ks.Clone();
  for (const NafKeyEntry& entry : naf_keys) out.naf_keys.push_back(entry.Clone());
  out.naf_use_counter = naf_use_counter;
  out.updated_files = updated_files;
  return out;
}

std::string CardState::ToJson() const {
  Json root;
  JsonWiper wiper(root);
  root["format"] = kFormat;
  root["version"] = kVersion;
  root["sqn"] = {{"ind_bits", sqn.ind_bits()},
                 {"seq_ms", sqn.seq_ms()},
                 {"highest_sqn", HexEncode(SqnFromInt(sqn.HighestAcceptedSqn()))}};
  root["pin"] = {{"enabled", pin_enabled}, {"tries_left", pin_tries_left}};
  Json keys = Json::array();
  for (const NafKeyEntry& entry : naf_keys) {
    keys.push_back({{"record", entry.record},
                    {"naf_id", HexEncode(entry.naf_id)},
                    {"btid", HexEncode(AsBytes(entry.btid))},
                    {"ks_int_naf", entry.ks_int_naf.RevealHex()},
                    {"last_used", entry.last_used}});
  }
  root["gba"] = {{"rand", HexEncode(gba_rand)},
                 {"ks", ks.RevealHex()},
                 {"naf_use_counter", naf_use_counter},
                 {"naf_keys", std::move(keys)}};
  Json files = Json::object();
  for (const auto& [path, contents] : updated_files) files[path] = HexEncode(contents);
  root["updated_files"] = std::move(files);
  return root.dump(2) + "\n";
}

absl::StatusOr<CardState> CardState::FromJson(std::string_view json, uint64_t sqn_delta) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  JsonWiper wiper(root);
  if (root.is_discarded()) return Corrupt("not valid JSON");
  try {
    return Decode(root, sqn_delta);
  } catch (const Json::exception& e) {
    // nlohmann messages name types and keys, never values.
    return Corrupt(e.what());
  }
}

}  // namespace gbabridge
