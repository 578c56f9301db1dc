// Milenage (3GPP TS 35.206), the f1..f5, f1*, f5* authentication functions.
//
// The AES-128 key schedule for K is set up once per instance (one EVP_CIPHER_CTX, cipher
// fetched once per process) and reused for every block. An instance is not thread-safe;
// use one per thread or guard it.
#ifndef GBABRIDGE_UICC_BASE_MILENAGE_H_
#define GBABRIDGE_UICC_BASE_MILENAGE_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

inline constexpr size_t kRandSize = 16;
inline constexpr size_t kSqnSize = 6;
inline constexpr size_t kAmfSize = 2;
inline constexpr size_t kMacSize = 8;
inline constexpr size_t kAkSize = 6;
inline constexpr size_t kResSize = 8;  // Milenage f2 gives 64 bits.
inline constexpr size_t kCkSize = 16;
inline constexpr size_t kIkSize = 16;
inline constexpr size_t kAutnSize = 16;
inline constexpr size_t kAutsSize = 14;

using Rand = std::array<uint8_t, kRandSize>;
using Sqn = std::array<uint8_t, kSqnSize>;
using Amf = std::array<uint8_t, kAmfSize>;
using Mac = std::array<uint8_t, kMacSize>;
using Ak = std::array<uint8_t, kAkSize>;

struct MilenageF2345 {
  SecretBytes res;  // f2, 8 bytes
  SecretBytes ck;   // f3, 16 bytes
  SecretBytes ik;   // f4, 16 bytes
  Ak ak{};          // f5
};

// f1 and f2..f5 for one RAND: what the HSS needs for an authentication vector.
struct MilenageAuthOutputs {
  Mac mac_a{};         // f1
  MilenageF2345 keys;  // f2..f5
};

class Milenage {
 public:
  // k and opc must be 16 bytes each.
  static absl::StatusOr<Milenage> Create(const SecretBytes& k, const SecretBytes& opc);
  // OPc = OP xor E_K(OP) (TS 35.206 §4.1).
  static absl::StatusOr<SecretBytes> ComputeOpc(const SecretBytes& k, const SecretBytes& op);

  Milenage(Milenage&&) noexcept;
  Milenage& operator=(Milenage&&) noexcept;
  ~Milenage();

  Mac F1(const Rand& rand, const Sqn& sqn, const Amf& amf) const;      // MAC-A
  Mac F1Star(const Rand& rand, const Sqn& sqn, const Amf& amf) const;  // MAC-S
  MilenageF2345 F2345(const Rand& rand) const;
  // F1 and F2345 together, sharing TEMP: 5 AES blocks instead of 6.
  MilenageAuthOutputs F1F2345(const Rand& rand, const Sqn& sqn, const Amf& amf) const;
  // The same into `outputs`, overwriting key buffers that already have the right size
  // rather than allocating new ones (a generator that reuses one output).
  void F1F2345Into(const Rand& rand, const Sqn& sqn, const Amf& amf,
                   MilenageAuthOutputs& outputs) const;
  Ak F5Star(const Rand& rand) const;  // AK for resynchronisation

 private:
  struct State;
  explicit Milenage(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_MILENAGE_H_
