#include "uicc/soft_usim/card_profile.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {
namespace {

constexpr uint64_t kMaxSqnDelta = uint64_t{1} << 43;  // SEQ has at most 48 bits.

const std::set<std::string, std::less<>>& KnownKeys() {
  static const auto* const keys = new std::set<std::string, std::less<>>{
      "imsi",        "iccid",     "k",          "op",    "opc",  "amf",      "pin",
      "pin_enabled", "pin_tries", "mnc_length", "gba_u", "impi", "ind_bits", "sqn_delta"};
  return *keys;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class FieldReader {
 public:
  FieldReader(const toml::table& table, absl::string_view source)
      : table_(table), source_(source) {}

  absl::Status Error(std::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("profile ", source_, ": field '",
                                                   absl::string_view(field.data(), field.size()),
                                                   "' ", what));
  }

  bool Has(std::string_view field) const { return table_.contains(field); }

  absl::StatusOr<std::string> String(std::string_view field) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return Error(field, "is missing");
    if (!node->is_string()) return Error(field, "must be a string");
    return std::string(node->as_string()->get());
  }

  absl::StatusOr<bool> Bool(std::string_view field, bool fallback) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) return Error(field, "must be true or false");
    return node->as_boolean()->get();
  }

  absl::StatusOr<int64_t> Integer(std::string_view field, int64_t fallback, int64_t min,
                                  int64_t max) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return fallback;
    if (!node->is_integer()) return Error(field, "must be an integer");
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return Error(field, absl::StrCat("is ", value, "; must be in ", min, "..", max));
    }
    return value;
  }

  // A 16-byte secret in hex. The message never includes the value.
  absl::StatusOr<SecretBytes> Key(std::string_view field) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return Error(field, "is missing");
    if (!node->is_string()) return Error(field, "must be a string of 32 hex digits");
    absl::StatusOr<SecretBytes> key = SecretBytes::FromHex(node->as_string()->get());
    if (!key.ok() || key->size() != 16) {
      return Error(field, "must be 32 hex digits (value not shown)");
    }
    return key;
  }

 private:
  const toml::table& table_;
  absl::string_view source_;
};

}  // namespace

absl::StatusOr<SecretBytes> EncodePinBlock(std::string_view pin) {
  if (pin.size() < 4 || pin.size() > 8 || !AllDigits(pin)) {
    return absl::InvalidArgumentError("PIN must be 4 to 8 decimal digits");
  }
  SecretBytes block(8);
  for (size_t i = 0; i < 8; ++i) {
    block.data()[i] = i < pin.size() ? static_cast<uint8_t>(pin[i]) : 0xFF;
  }
  return block;
}

CardProfile CardProfile::Clone() const {
  CardProfile out;
  out.imsi = imsi;
  out.iccid = iccid;
  out.k = k.Clone();
  out.opc = opc.Clone();
  out.amf = amf;
  out.pin_block = pin_block.Clone();
  out.pin_enabled = pin_enabled;
  out.pin_tries = pin_tries;
  out.mnc_length = mnc_length;
  out.gba_u = gba_u;
  out.impi = impi;
  out.ind_bits = ind_bits;
  out.sqn_delta = sqn_delta;
  return out;
}

absl::StatusOr<CardProfile> CardProfile::Parse(std::string_view toml_text,
                                               std::string_view source_name) {
  const absl::string_view source(source_name.data(), source_name.size());
  toml::table table;
  try {
    table = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    // The parser's description can quote the offending token, which may be a key: give
    // only the position.
    return absl::InvalidArgumentError(absl::StrCat(
        "profile ", source, ": TOML syntax error at line ", uint32_t{error.source().begin.line},
        ", column ", uint32_t{error.source().begin.column}));
  }
  for (auto&& [key, value] : table) {
    if (!KnownKeys().contains(key.str())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "profile ", source, ": unknown field '", std::string(key.str()),
          "' (known: imsi, iccid, k, op, opc, amf, pin, pin_enabled, pin_tries, mnc_length, "
          "gba_u, impi, ind_bits, sqn_delta)"));
    }
  }
  const FieldReader in(table, source);
  CardProfile p;

  absl::StatusOr<std::string> imsi = in.String("imsi");
  if (!imsi.ok()) return imsi.status();
  if (imsi->size() < 6 || imsi->size() > 15 || !AllDigits(*imsi)) {
    return in.Error("imsi", "must be 6 to 15 decimal digits");
  }
  p.imsi = *imsi;

  absl::StatusOr<std::string> iccid = in.String("iccid");
  if (!iccid.ok()) return iccid.status();
  if (iccid->size() < 10 || iccid->size() > 20 || !AllDigits(*iccid)) {
    return in.Error("iccid", "must be 10 to 20 decimal digits");
  }
  p.iccid = *iccid;

  absl::StatusOr<SecretBytes> k = in.Key("k");
  if (!k.ok()) return k.status();
  p.k = *std::move(k);

  const bool has_op = in.Has("op");
  const bool has_opc = in.Has("opc");
  if (has_op == has_opc) {
    return absl::InvalidArgumentError(absl::StrCat("profile ", source,
                                                   ": give exactly one of 'op' and 'opc' (",
                                                   has_op ? "both" : "neither", " present)"));
  }
  if (has_opc) {
    absl::StatusOr<SecretBytes> opc = in.Key("opc");
    if (!opc.ok()) return opc.status();
    p.opc = *std::move(opc);
  } else {
    absl::StatusOr<SecretBytes> op = in.Key("op");
    if (!op.ok()) return op.status();
    absl::StatusOr<SecretBytes> opc = Milenage::ComputeOpc(p.k, *op);
    if (!opc.ok()) return in.Error("op", "could not be turned into OPc (value not shown)");
    p.opc = *std::move(opc);
  }

  if (in.Has("amf")) {
    absl::StatusOr<std::string> amf_hex = in.String("amf");
    if (!amf_hex.ok()) return amf_hex.status();
    absl::StatusOr<Bytes> amf = HexDecode(*amf_hex);
    if (!amf.ok() || amf->size() != kAmfSize) return in.Error("amf", "must be 4 hex digits");
    p.amf = {(*amf)[0], (*amf)[1]};
  }

  std::string pin = "0000";
  if (in.Has("pin")) {
    absl::StatusOr<std::string> value = in.String("pin");
    if (!value.ok()) return value.status();
    pin = *value;
  }
  absl::StatusOr<SecretBytes> pin_block = EncodePinBlock(pin);
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(pin.data()), pin.size()));
  if (!pin_block.ok()) return in.Error("pin", "must be 4 to 8 decimal digits (value not shown)");
  p.pin_block = *std::move(pin_block);

  absl::StatusOr<bool> pin_enabled = in.Bool("pin_enabled", false);
  if (!pin_enabled.ok()) return pin_enabled.status();
  p.pin_enabled = *pin_enabled;

  // The retry counter is reported in the low nibble of 63Cx (TS 102 221 §10.2.1.3).
  absl::StatusOr<int64_t> pin_tries = in.Integer("pin_tries", 3, 1, 15);
  if (!pin_tries.ok()) return pin_tries.status();
  p.pin_tries = static_cast<int>(*pin_tries);

  if (!in.Has("mnc_length")) return in.Error("mnc_length", "is missing (2 or 3)");
  absl::StatusOr<int64_t> mnc_length = in.Integer("mnc_length", 2, 2, 3);
  if (!mnc_length.ok()) return mnc_length.status();
  p.mnc_length = static_cast<int>(*mnc_length);

  absl::StatusOr<bool> gba_u = in.Bool("gba_u", false);
  if (!gba_u.ok()) return gba_u.status();
  p.gba_u = *gba_u;

  if (in.Has("impi")) {
    absl::StatusOr<std::string> impi = in.String("impi");
    if (!impi.ok()) return impi.status();
    // EF_IMPI holds it in one short TLV, and the GBA KDF takes it as a parameter.
    if (impi->empty() || impi->size() > 200) return in.Error("impi", "must be 1..200 characters");
    p.impi = *impi;
  }

  absl::StatusOr<int64_t> ind_bits = in.Integer("ind_bits", 5, 0, 16);
  if (!ind_bits.ok()) return ind_bits.status();
  p.ind_bits = static_cast<int>(*ind_bits);

  absl::StatusOr<int64_t> delta =
      in.Integer("sqn_delta", int64_t{1} << 28, 1, static_cast<int64_t>(kMaxSqnDelta));
  if (!delta.ok()) return delta.status();
  p.sqn_delta = static_cast<uint64_t>(*delta);
  return p;
}

absl::StatusOr<CardProfile> CardProfile::LoadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot open profile ", path, ": check the --profile path and permissions"));
  }
  // Read straight into one buffer (no stream copy) so that it can be wiped afterwards.
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  file.seekg(0, std::ios::beg);
  if (size < 0 || size > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("profile ", path, " is not a readable file of at most 1 MiB"));
  }
  std::string contents(static_cast<size_t>(size), '\0');
  if (!file.read(contents.data(), size)) {
    return absl::DataLossError(absl::StrCat("cannot read profile ", path));
  }
  absl::StatusOr<CardProfile> profile = Parse(contents, path);
  // The text holds K and OP/OPc in hex.
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(contents.data()), contents.size()));
  return profile;
}

}  // namespace gbabridge
