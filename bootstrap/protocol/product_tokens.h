// HTTP product tokens on Ub (RFC 9110 §10.1.5, §10.2.4; TS 24.109 §4.4.2): the UE's
// User-Agent names what it supports (3gpp-gba-uicc, 3gpp-gba-tmpi), the BSF's Server header
// whether it takes a TMPI.
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_PRODUCT_TOKENS_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_PRODUCT_TOKENS_H_

#include <string_view>

namespace gbabridge {

inline constexpr char kTokenGbaUicc[] = "3gpp-gba-uicc";
inline constexpr char kTokenGbaTmpi[] = "3gpp-gba-tmpi";

// True when the header value carries this product token (with or without "/version";
// tokens separated by spaces, ';' or ','), compared case-insensitively.
bool HasProductToken(std::string_view header_value, std::string_view token);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_PRODUCT_TOKENS_H_
