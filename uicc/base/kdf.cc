#include "uicc/base/kdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {
namespace {

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// Fetched once per process (EVP_MAC_fetch walks the provider store); never freed.
EVP_MAC* Hmac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// One context per thread, re-keyed on every call, so that calls neither allocate nor
// contend on a lock.
//
// The digest is set once, when the context is made: passing it to every EVP_MAC_init
// would look SHA-256 up by name (a fetch) on every derivation.
EVP_MAC_CTX* ThreadHmacContext() {
  thread_local MacCtxPtr ctx;
  if (ctx == nullptr && Hmac() != nullptr) {
    MacCtxPtr fresh(EVP_MAC_CTX_new(Hmac()));
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (fresh != nullptr && EVP_MAC_CTX_set_params(fresh.get(), params) == 1) {
      ctx = std::move(fresh);
    }
  }
  return ctx.get();
}

// OpenSSL's HMAC keeps a copy of the key in the context until the next EVP_MAC_init.
// Re-keying with a constant after each derivation keeps Ks (or K_AKMA, ...) from lingering
// in the thread's context between calls. A null key pointer would instead mean "reuse the
// previous key", so the pointer is never null.
class RekeyOnExit {
 public:
  explicit RekeyOnExit(EVP_MAC_CTX* ctx) : ctx_(ctx) {}
  RekeyOnExit(const RekeyOnExit&) = delete;
  RekeyOnExit& operator=(const RekeyOnExit&) = delete;
  ~RekeyOnExit() {
    static constexpr uint8_t kPlaceholder = 0;
    EVP_MAC_init(ctx_, &kPlaceholder, 0, nullptr);
  }

 private:
  EVP_MAC_CTX* ctx_;
};

// S up to this size is assembled on the stack (a NAF key's S is about 100 bytes).
constexpr size_t kInlineSSize = 512;

// Relaxed: a statistic, not a synchronisation point.
std::atomic<uint64_t> kdf_invocations{0};

}  // namespace

uint64_t KdfInvocationCount() { return kdf_invocations.load(std::memory_order_relaxed); }

absl::StatusOr<SecretBytes> Kdf(const SecretBytes& key, uint8_t fc,
                                std::initializer_list<ByteView> parameters) {
  // TS 33.220 Annex B.2.1: each Li is 2 octets, so no Pi may exceed 65535 octets.
  size_t index = 0;
  for (ByteView p : parameters) {
    if (p.size() > kMaxKdfParameterSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("KDF parameter P", index, " is ", p.size(),
                       " bytes; TS 33.220 B.2 allows at most 65535 bytes per parameter"));
    }
    ++index;
  }

  kdf_invocations.fetch_add(1, std::memory_order_relaxed);
  EVP_MAC_CTX* ctx = ThreadHmacContext();
  if (ctx == nullptr) {
    return absl::InternalError("OpenSSL has no HMAC (is the default provider loaded?)");
  }
  // An empty SecretBytes has a null data pointer, which EVP_MAC_init would take as
  // "keep the previous key": point at a placeholder instead (HMAC with an empty key).
  static constexpr uint8_t kEmpty = 0;
  const uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  RekeyOnExit rekey(ctx);
  if (EVP_MAC_init(ctx, key_data, key.size(), nullptr) != 1) {
    return absl::InternalError("OpenSSL failed to initialise HMAC-SHA-256 for the KDF");
  }

  // S = FC || P0 || L0 || ... || Pn || Ln (TS 33.220 B.2.1), assembled first and fed to
  // HMAC in one update: each EVP_MAC_update goes through the provider's dispatch, which
  // costs as much as hashing the short parameters themselves. S of a NAF key is ~100 bytes.
  size_t s_size = 1;
  for (ByteView p : parameters) s_size += p.size() + 2;
  std::array<uint8_t, kInlineSSize> inline_s;
  Bytes heap_s;
  uint8_t* s = inline_s.data();
  if (s_size > inline_s.size()) {
    heap_s.resize(s_size);
    s = heap_s.data();
  }
  size_t at = 0;
  s[at++] = fc;
  for (ByteView p : parameters) {
    if (!p.empty()) std::memcpy(s + at, p.data(), p.size());
    at += p.size();
    s[at++] = static_cast<uint8_t>(p.size() >> 8);
    s[at++] = static_cast<uint8_t>(p.size() & 0xff);
  }
  bool ok = EVP_MAC_update(ctx, s, s_size) == 1;
  // The inputs of B.3 are public (RAND, IMPI, NAF_Id), but the KDF does not know that of
  // every caller: wipe the copy.
  Cleanse(std::span<uint8_t>(s, s_size));
  SecretBytes out(kKdfOutputSize);
  size_t out_len = 0;
  ok = ok && EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1;
  if (!ok || out_len != kKdfOutputSize) {
    return absl::InternalError("OpenSSL failed to compute HMAC-SHA-256 for the KDF");
  }
  return out;
}

}  // namespace gbabridge
