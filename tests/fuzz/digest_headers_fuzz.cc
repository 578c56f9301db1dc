// Fuzz target: the HTTP Digest AKA headers on both sides of Ub (RFC 2617, RFC 3310,
// TS 24.109): WWW-Authenticate and Authentication-Info as the device parses them,
// Authorization as the BSF parses it, and the AKA nonce inside. A parsed header must also
// survive formatting and parsing again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bootstrap/protocol/digest_aka.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto challenge = gbabridge::ParseWwwAuthenticate(text); challenge.ok()) {
    (void)gbabridge::DecodeAkaNonce(challenge->nonce);
    if (!gbabridge::ParseWwwAuthenticate(gbabridge::FormatWwwAuthenticate(*challenge)).ok()) {
      std::abort();
    }
  }
  if (auto authorization = gbabridge::ParseAuthorization(text); authorization.ok()) {
    if (!gbabridge::ParseAuthorization(gbabridge::FormatAuthorization(*authorization)).ok()) {
      std::abort();
    }
  }
  if (auto info = gbabridge::ParseAuthenticationInfo(text); info.ok()) {
    if (!gbabridge::ParseAuthenticationInfo(gbabridge::FormatAuthenticationInfo(*info)).ok()) {
      std::abort();
    }
  }
  (void)gbabridge::DecodeAkaNonce(text);
  return 0;
}
