// Subscriber identifiers: the IMSI, and the IMPI and BSF FQDN derived from it (3GPP
// TS 23.003 §13.3, §16.2). The card files that hold the IMSI are decoded in
// uicc/ef_imsi.h.
#ifndef GBABRIDGE_UICC_BASE_IDENTIFIERS_H_
#define GBABRIDGE_UICC_BASE_IDENTIFIERS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gbabridge {

// TS 23.003 §2.2: an IMSI has at most 15 digits; 6 is the shortest that still holds
// MCC, a 2-digit MNC and one MSIN digit.
inline constexpr size_t kMinImsiDigits = 6;
inline constexpr size_t kMaxImsiDigits = 15;

struct Imsi {
  std::string digits;  // 6..15 decimal digits
  int mnc_length = 2;  // 2 or 3, from EF_AD byte 4

  // Empty views (never a throw) when `digits` is too short; MakeImsi guarantees it is not.
  std::string_view mcc() const { return Part(0, 3); }
  std::string_view mnc() const { return Part(3, static_cast<size_t>(mnc_length)); }
  // "001010*******89": MCC+MNC and the last two digits, for logs and default output.
  std::string Masked() const;

 private:
  std::string_view Part(size_t pos, size_t len) const {
    return pos + len <= digits.size() ? std::string_view(digits).substr(pos, len)
                                      : std::string_view();
  }
};

// 6 to 15 decimal digits (TS 23.003 §2.2), else InvalidArgument naming the fault.
absl::Status CheckImsiDigits(std::string_view digits);

absl::StatusOr<Imsi> MakeImsi(std::string_view digits, int mnc_length);

// <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org, MNC padded to 3 digits (TS 23.003 §13.3).
std::string DeriveImpi(const Imsi& imsi);
// bsf.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org (TS 23.003 §16.2).
std::string DeriveBsfFqdn(const Imsi& imsi);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_IDENTIFIERS_H_
