#include "uicc/secret_bytes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"

namespace gbabridge {

SecretBytes::SecretBytes(size_t size) : data_(new uint8_t[size]()), size_(size) {}

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
    : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() { Clear(); }

void SecretBytes::Clear() {
  if (data_ != nullptr) OPENSSL_cleanse(data_.get(), size_);
  data_.reset();
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
