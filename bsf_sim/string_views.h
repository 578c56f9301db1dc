// Debian's abseil is built without ABSL_USES_STD_STRING_VIEW: absl::string_view is its own
// class, and absl::StrCat / absl::Status do not take std::string_view. These two helpers
// make the conversions explicit and short.
#ifndef GBABRIDGE_BSF_SIM_STRING_VIEWS_H_
#define GBABRIDGE_BSF_SIM_STRING_VIEWS_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace gbabridge::bsf {

inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }
inline std::string ToString(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_STRING_VIEWS_H_
