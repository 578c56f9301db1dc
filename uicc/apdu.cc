#include "uicc/apdu.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed command APDU: ", what));
}

}  // namespace

int CommandApdu::Case() const {
  if (data.empty()) return le.has_value() ? 2 : 1;
  return le.has_value() ? 4 : 3;
}

bool CommandApdu::NeedsExtendedLength() const {
  return data.size() > kMaxShortLc || (le.has_value() && *le > kMaxShortLe);
}

absl::StatusOr<Bytes> CommandApdu::Encode() const {
  if (data.size() > kMaxExtendedLc) {
    return absl::InvalidArgumentError(
        absl::StrCat("command data of ", data.size(), " bytes exceeds 65535"));
  }
  if (le.has_value() && (*le == 0 || *le > kMaxExtendedLe)) {
    return absl::InvalidArgumentError(absl::StrCat("Le ", *le, " is outside 1..65536"));
  }
  Bytes out = {cla, ins, p1, p2};
  const bool extended = NeedsExtendedLength();
  // ISO 7816-4 §5.1: in the extended form Lc is 00 hi lo, and Le is hi lo after Lc
  // (or 00 hi lo when there is no Lc); the value 65536 (or 256 short) is encoded as 0.
  if (!data.empty()) {
    if (extended) {
      out.push_back(0x00);
      out.push_back(static_cast<uint8_t>(data.size() >> 8));
    }
    out.push_back(static_cast<uint8_t>(data.size() & 0xff));
    out.insert(out.end(), data.begin(), data.end());
  }
  if (le.has_value()) {
    const uint32_t encoded =
        extended ? (*le == kMaxExtendedLe ? 0 : *le) : (*le == kMaxShortLe ? 0 : *le);
    if (extended) {
      if (data.empty()) out.push_back(0x00);
      out.push_back(static_cast<uint8_t>(encoded >> 8));
    }
    out.push_back(static_cast<uint8_t>(encoded & 0xff));
  }
  return out;
}

absl::StatusOr<CommandApdu> CommandApdu::Parse(ByteView raw) {
  if (raw.size() < 4) return Malformed("shorter than the 4-byte header");
  CommandApdu apdu;
  apdu.cla = raw[0];
  apdu.ins = raw[1];
  apdu.p1 = raw[2];
  apdu.p2 = raw[3];
  const ByteView body = raw.subspan(4);
  if (body.empty()) return apdu;  // case 1
  if (body.size() == 1) {         // case 2 short
    apdu.le = body[0] == 0 ? kMaxShortLe : body[0];
    return apdu;
  }
  if (body[0] != 0) {  // short Lc
    const size_t lc = body[0];
    if (body.size() == 1 + lc) {  // case 3 short
      apdu.data.assign(body.begin() + 1, body.end());
      return apdu;
    }
    if (body.size() == 2 + lc) {  // case 4 short
      apdu.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<ptrdiff_t>(lc));
      apdu.le = body.back() == 0 ? kMaxShortLe : body.back();
      return apdu;
    }
    return Malformed(
        absl::StrCat("Lc ", lc, " does not match ", body.size() - 1, " bytes of body"));
  }
  // Extended forms start with 00.
  if (body.size() == 3) {  // case 2 extended
    const uint32_t le = (uint32_t{body[1]} << 8) | body[2];
    apdu.le = le == 0 ? kMaxExtendedLe : le;
    return apdu;
  }
  if (body.size() < 3) return Malformed("truncated extended length");
  const size_t lc = (size_t{body[1]} << 8) | body[2];
  if (lc == 0) return Malformed("extended Lc of zero");
  if (body.size() == 3 + lc) {  // case 3 extended
    apdu.data.assign(body.begin() + 3, body.end());
    return apdu;
  }
  if (body.size() == 5 + lc) {  // case 4 extended
    apdu.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<ptrdiff_t>(lc));
    const uint32_t le = (uint32_t{body[3 + lc]} << 8) | body[4 + lc];
    apdu.le = le == 0 ? kMaxExtendedLe : le;
    return apdu;
  }
  return Malformed(
      absl::StrCat("extended Lc ", lc, " does not match ", body.size() - 3, " bytes of body"));
}

ResponseApdu::~ResponseApdu() { Cleanse(std::span<uint8_t>(data)); }

ResponseApdu& ResponseApdu::operator=(ResponseApdu&& other) noexcept {
  if (this != &other) {
    Cleanse(std::span<uint8_t>(data));
    data = std::move(other.data);
    sw = other.sw;
  }
  return *this;
}

ResponseApdu& ResponseApdu::operator=(const ResponseApdu& other) {
  if (this != &other) {
    Cleanse(std::span<uint8_t>(data));
    data = other.data;
    sw = other.sw;
  }
  return *this;
}

absl::StatusOr<ResponseApdu> ResponseApdu::Parse(ByteView raw) {
  if (raw.size() < 2) {
    return absl::DataLossError(absl::StrCat("malformed response APDU: ", raw.size(),
                                            " bytes, need at least the 2-byte status word"));
  }
  ResponseApdu out;
  out.data.assign(raw.begin(), raw.end() - 2);
  out.sw = static_cast<uint16_t>((raw[raw.size() - 2] << 8) | raw[raw.size() - 1]);
  return out;
}

Bytes ResponseApdu::Encode() const {
  Bytes out = data;
  out.push_back(sw1());
  out.push_back(sw2());
  return out;
}

}  // namespace gbabridge
