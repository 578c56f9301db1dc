#include "bootstrap/protocol/product_tokens.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace gbabridge {

bool HasProductToken(std::string_view header_value, std::string_view token) {
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(header_value.data(), header_value.size()),
                      absl::ByAnyChar(" \t;,"), absl::SkipEmpty())) {
    const absl::string_view name = part.substr(0, part.find('/'));
    if (absl::EqualsIgnoreCase(name, absl::string_view(token.data(), token.size()))) return true;
  }
  return false;
}

}  // namespace gbabridge
