#include "uicc/base/identifiers.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gbabridge {
namespace {

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

}  // namespace

absl::Status CheckImsiDigits(std::string_view digits) {
  if (digits.size() < kMinImsiDigits || digits.size() > kMaxImsiDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("an IMSI has 6 to 15 digits, got ", digits.size()));
  }
  if (!AllDigits(digits)) return absl::InvalidArgumentError("an IMSI has only decimal digits");
  return absl::OkStatus();
}

namespace {

// The MCC and 3-digit MNC labels shared by the IMPI and the BSF FQDN (TS 23.003 §13.3,
// §16.2: a 2-digit MNC gets a leading zero). Tolerates an Imsi built by hand with too few
// digits rather than throwing from substr.
std::string MncMccLabels(const Imsi& imsi) {
  const absl::string_view digits = imsi.digits;
  const absl::string_view mcc = digits.substr(0, std::min<size_t>(3, digits.size()));
  const absl::string_view mnc =
      digits.size() > 3 ? digits.substr(3, imsi.mnc_length == 3 ? 3 : 2) : "";
  return absl::StrCat("mnc", mnc.size() == 2 ? "0" : "", mnc, ".mcc", mcc);
}

}  // namespace

std::string Imsi::Masked() const {
  // Keep MCC+MNC (they name the operator, not the subscriber) and the last two digits;
  // never show the whole MSIN, even for a very short IMSI.
  const size_t mnc = mnc_length == 3 ? 3 : 2;
  const size_t prefix = std::min(digits.size(), 3 + mnc);
  const size_t rest = digits.size() - prefix;
  const size_t suffix = rest > 2 ? 2 : 0;
  return absl::StrCat(absl::string_view(digits).substr(0, prefix), std::string(rest - suffix, '*'),
                      absl::string_view(digits).substr(digits.size() - suffix));
}

absl::StatusOr<Imsi> MakeImsi(std::string_view digits, int mnc_length) {
  if (absl::Status s = CheckImsiDigits(digits); !s.ok()) return s;
  if (mnc_length != 2 && mnc_length != 3) {
    return absl::InvalidArgumentError(absl::StrCat("MNC length must be 2 or 3, got ", mnc_length));
  }
  if (digits.size() <= 3u + static_cast<size_t>(mnc_length)) {
    return absl::InvalidArgumentError("IMSI has no MSIN digits after MCC and MNC");
  }
  return Imsi{.digits = std::string(digits), .mnc_length = mnc_length};
}

std::string DeriveImpi(const Imsi& imsi) {
  return absl::StrCat(imsi.digits, "@ims.", MncMccLabels(imsi), ".3gppnetwork.org");
}

std::string DeriveBsfFqdn(const Imsi& imsi) {
  return absl::StrCat("bsf.", MncMccLabels(imsi), ".pub.3gppnetwork.org");
}

}  // namespace gbabridge
