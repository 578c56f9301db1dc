#include "uicc/base/gba_u_mac.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

// Fetched once per process: EVP_sha1() would make EVP_Digest fetch on every call.
const EVP_MD* Sha1() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

}  // namespace

Mac GbaUMacMask(ByteView ik) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  Mac mask{};
  if (Sha1() == nullptr ||
      EVP_Digest(ik.data(), ik.size(), digest, &length, Sha1(), nullptr) != 1 ||
      length < mask.size()) {
    // A wrong mask would silently turn every GBA_U MAC check into a failure (or worse, on
    // the network side, send a MAC the card accepts for the wrong reason): stop instead.
    std::abort();
  }
  std::copy_n(digest, mask.size(), mask.begin());
  // A digest of IK is key material too.
  Cleanse(std::span<uint8_t>(digest, sizeof digest));
  return mask;
}

}  // namespace gbabridge
