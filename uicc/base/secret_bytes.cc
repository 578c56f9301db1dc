#include "uicc/base/secret_bytes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "absl/status/status.h"
#include "uicc/base/secure_memory.h"

namespace gbabridge {

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;  // empty secrets own no memory
  // SecureAllocate hands out zeroed memory, so the bytes are zero-initialised as before.
  data_ = static_cast<uint8_t*>(SecureAllocate(size));
  // Same failure contract as the new[] this replaces.
  if (data_ == nullptr) throw std::bad_alloc();
  size_ = size;
}

SecretBytes SecretBytes::CopyFrom(ByteView bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

absl::StatusOr<SecretBytes> SecretBytes::FromHex(std::string_view hex) {
  absl::StatusOr<Bytes> decoded = HexDecode(hex);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError("secret is not valid hex (value not shown)");
  }
  SecretBytes out = CopyFrom(*decoded);
  Cleanse(std::span<uint8_t>(*decoded));
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Clear(); }

void SecretBytes::Clear() {
  // SecureFree wipes before releasing.
  SecureFree(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

std::string SecretBytes::RevealHex() const { return HexEncode(view()); }

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Cleanse(std::span<uint8_t> bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

}  // namespace gbabridge
