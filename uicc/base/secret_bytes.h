// SecretBytes: the one type for key material (K, OPc, CK, IK, Ks, Ks_NAF, RES, ...).
//
// - The buffer comes from SecureAllocate (locked, non-dumpable memory; see secure_memory.h)
//   and is cleansed (OPENSSL_cleanse) when freed or overwritten.
// - Move-only: a copy must be asked for by name (Clone()).
// - No stream operator and no implicit conversion to string, so it cannot be printed by
//   accident. Debug output shows only the length.
#ifndef GBABRIDGE_UICC_BASE_SECRET_BYTES_H_
#define GBABRIDGE_UICC_BASE_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

class SecretBytes {
 public:
  SecretBytes() = default;
  // size zero-initialised bytes.
  explicit SecretBytes(size_t size);
  static SecretBytes CopyFrom(ByteView bytes);
  // Parses hex (for profiles and test vectors); the error names no digits.
  static absl::StatusOr<SecretBytes> FromHex(std::string_view hex);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  SecretBytes Clone() const { return CopyFrom(view()); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<uint8_t> span() { return {data_, size_}; }
  ByteView view() const { return {data_, size_}; }

  // Wipes and releases the buffer.
  void Clear();

  // Hex of the secret, for the few places that must show it on explicit request
  // (e.g. `--show-key`). Named so that every use is easy to audit.
  std::string RevealHex() const;

 private:
  // Owned; from SecureAllocate(size_), nullptr when empty. A raw pointer because the
  // release needs the size (SecureFree), which a unique_ptr deleter would have to duplicate.
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Constant-time equality (CRYPTO_memcmp); lengths are not secret.
bool ConstantTimeEquals(ByteView a, ByteView b);

// Overwrites a buffer that held secret bytes.
void Cleanse(std::span<uint8_t> bytes);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_SECRET_BYTES_H_
