#include "uicc/base/milenage.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gbabridge {
namespace {

constexpr size_t kBlockSize = 16;  // AES-128 block and key size (TS 35.206 §2).

// memset + a compiler barrier (as BoringSSL's OPENSSL_cleanse): the store cannot be elided,
// and unlike a call through OpenSSL 3's volatile memset pointer it is inlined; a vector
// wipes about ten blocks.
inline void WipeInline(uint8_t* p, size_t n) {
  std::memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

// A 128-bit intermediate value (TEMP, OUTi, ...) that is wiped when it goes out of scope,
// so that no key-derived block is left on the stack.
struct SecretBlock {
  std::array<uint8_t, kBlockSize> bytes{};

  SecretBlock() = default;
  SecretBlock(const SecretBlock&) = delete;
  SecretBlock& operator=(const SecretBlock&) = delete;
  ~SecretBlock() { WipeInline(bytes.data(), bytes.size()); }

  uint8_t& operator[](size_t i) { return bytes[i]; }
  uint8_t operator[](size_t i) const { return bytes[i]; }
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Fetched once per process: EVP_CIPHER_fetch goes through the provider lookup, which is
// far more costly than one block encryption. Never freed (it lives as long as the process).
const EVP_CIPHER* Aes128Ecb() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  return cipher;
}

// An encryption context keyed with `key`; padding is off because every call encrypts
// exactly one block.
absl::StatusOr<CipherCtxPtr> NewAesContext(ByteView key) {
  const EVP_CIPHER* cipher = Aes128Ecb();
  if (cipher == nullptr) {
    return absl::InternalError("OpenSSL has no AES-128-ECB (is the default provider loaded?)");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr || EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return absl::InternalError("OpenSSL failed to set up the AES-128 key for Milenage");
  }
  return ctx;
}

// N consecutive 128-bit blocks, wiped like SecretBlock: the inputs or outputs of several
// f-functions encrypted in one call.
template <size_t N>
struct SecretBlocks {
  std::array<uint8_t, N * kBlockSize> bytes{};

  SecretBlocks() = default;
  SecretBlocks(const SecretBlocks&) = delete;
  SecretBlocks& operator=(const SecretBlocks&) = delete;
  ~SecretBlocks() { WipeInline(bytes.data(), bytes.size()); }
  uint8_t* block(size_t i) { return bytes.data() + i * kBlockSize; }
};

// E_K on N independent blocks in one ECB call: one pass through the EVP dispatch, and
// AES-NI pipelines the blocks. Aborts on failure, as Encrypt below.
template <size_t N>
void EncryptBlocks(EVP_CIPHER_CTX* ctx, const SecretBlocks<N>& in, SecretBlocks<N>& out) {
  int out_len = 0;
  if (EVP_EncryptUpdate(ctx, out.bytes.data(), &out_len, in.bytes.data(),
                        static_cast<int>(in.bytes.size())) != 1 ||
      out_len != static_cast<int>(in.bytes.size())) {
    std::abort();
  }
}

// E_K: one AES-128 block. With a keyed ECB context and padding off this cannot fail short
// of memory corruption; the f-functions return plain values, so a failure aborts rather
// than yielding a wrong MAC or key.
void Encrypt(EVP_CIPHER_CTX* ctx, const SecretBlock& in, SecretBlock& out) {
  int out_len = 0;
  if (EVP_EncryptUpdate(ctx, out.bytes.data(), &out_len, in.bytes.data(),
                        static_cast<int>(kBlockSize)) != 1 ||
      out_len != static_cast<int>(kBlockSize)) {
    std::abort();
  }
}

// out = a xor b, 16 bytes, as two 64-bit words.
void Xor(const uint8_t* a, const uint8_t* b, uint8_t* out) {
  uint64_t x[2], y[2];
  std::memcpy(x, a, kBlockSize);
  std::memcpy(y, b, kBlockSize);
  x[0] ^= y[0];
  x[1] ^= y[1];
  std::memcpy(out, x, kBlockSize);
}

// out = rot(x, r): a cyclic left rotation by r whole bytes (every ri of TS 35.206 §4.1 is
// a multiple of 8 bits): out[i] = x[(i + r) mod 16].
void RotateBytes(const uint8_t* x, size_t r, uint8_t* out) {
  std::memcpy(out, x + r, kBlockSize - r);
  std::memcpy(out + kBlockSize - r, x, r);
}

absl::Status CheckSize(const SecretBytes& value, absl::string_view name) {
  if (value.size() != kBlockSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Milenage ", name, " must be 16 bytes, got ", value.size()));
  }
  return absl::OkStatus();
}

}  // namespace

struct Milenage::State {
  CipherCtxPtr ctx;
  SecretBlock opc;

  // TEMP = E_K(RAND xor OPc) (TS 35.206 §4.1).
  void Temp(const Rand& rand, SecretBlock& temp) const {
    SecretBlock in;
    Xor(rand.data(), opc.bytes.data(), in.bytes.data());
    Encrypt(ctx.get(), in, temp);
  }

  // OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF,
  // r1 = 64, c1 = 0 (TS 35.206 §4.1). This writes the block that E_K takes.
  void Out1Input(const SecretBlock& temp, const Sqn& sqn, const Amf& amf, uint8_t* in) const {
    SecretBlock in1;
    std::memcpy(&in1[0], sqn.data(), kSqnSize);
    std::memcpy(&in1[kSqnSize], amf.data(), kAmfSize);
    std::memcpy(&in1[8], sqn.data(), kSqnSize);
    std::memcpy(&in1[8 + kSqnSize], amf.data(), kAmfSize);
    Xor(in1.bytes.data(), opc.bytes.data(), in1.bytes.data());
    RotateBytes(in1.bytes.data(), 8, in);  // r1 = 64 bits
    Xor(in, temp.bytes.data(), in);
  }

  // OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc for i = 2..5 (TS 35.206 §4.1).
  // rot is a cyclic left rotation; all ri are whole bytes. ci has its value in the last
  // byte. This writes the block that E_K takes.
  void OutNInput(const SecretBlock& temp, size_t rot_bits, uint8_t c, uint8_t* in) const {
    SecretBlock masked;
    Xor(temp.bytes.data(), opc.bytes.data(), masked.bytes.data());
    RotateBytes(masked.bytes.data(), rot_bits / 8, in);
    in[kBlockSize - 1] ^= c;
  }

  void Out1(const SecretBlock& temp, const Sqn& sqn, const Amf& amf, SecretBlock& out) const {
    SecretBlock in;
    Out1Input(temp, sqn, amf, in.bytes.data());
    Encrypt(ctx.get(), in, out);
    Xor(out.bytes.data(), opc.bytes.data(), out.bytes.data());
  }

  void OutN(const SecretBlock& temp, size_t rot_bits, uint8_t c, SecretBlock& out) const {
    SecretBlock in;
    OutNInput(temp, rot_bits, c, in.bytes.data());
    Encrypt(ctx.get(), in, out);
    Xor(out.bytes.data(), opc.bytes.data(), out.bytes.data());
  }

  // f2..f5 from TEMP: OUT2 (RES, AK), OUT3 (CK), OUT4 (IK).
  void F2345(const SecretBlock& temp, MilenageF2345& result) const;
};

absl::StatusOr<Milenage> Milenage::Create(const SecretBytes& k, const SecretBytes& opc) {
  if (absl::Status s = CheckSize(k, "K"); !s.ok()) return s;
  if (absl::Status s = CheckSize(opc, "OPc"); !s.ok()) return s;
  absl::StatusOr<CipherCtxPtr> ctx = NewAesContext(k.view());
  if (!ctx.ok()) return ctx.status();
  auto state = std::make_unique<State>();
  state->ctx = *std::move(ctx);
  std::memcpy(state->opc.bytes.data(), opc.data(), kBlockSize);
  return Milenage(std::move(state));
}

absl::StatusOr<SecretBytes> Milenage::ComputeOpc(const SecretBytes& k, const SecretBytes& op) {
  if (absl::Status s = CheckSize(k, "K"); !s.ok()) return s;
  if (absl::Status s = CheckSize(op, "OP"); !s.ok()) return s;
  absl::StatusOr<CipherCtxPtr> ctx = NewAesContext(k.view());
  if (!ctx.ok()) return ctx.status();
  // OPc = OP xor E_K(OP) (TS 35.206 §4.1).
  SecretBlock in;
  std::memcpy(in.bytes.data(), op.data(), kBlockSize);
  SecretBlock encrypted;
  Encrypt(ctx->get(), in, encrypted);
  SecretBytes opc(kBlockSize);
  for (size_t i = 0; i < kBlockSize; ++i) opc.data()[i] = op.data()[i] ^ encrypted[i];
  return opc;
}

Milenage::Milenage(std::unique_ptr<State> state) : state_(std::move(state)) {}
Milenage::Milenage(Milenage&&) noexcept = default;
Milenage& Milenage::operator=(Milenage&&) noexcept = default;
Milenage::~Milenage() = default;

Mac Milenage::F1(const Rand& rand, const Sqn& sqn, const Amf& amf) const {
  SecretBlock temp;
  state_->Temp(rand, temp);
  SecretBlock out1;
  state_->Out1(temp, sqn, amf, out1);
  Mac mac;  // f1 = MAC-A = OUT1[0..63]
  std::memcpy(mac.data(), &out1[0], kMacSize);
  return mac;
}

Mac Milenage::F1Star(const Rand& rand, const Sqn& sqn, const Amf& amf) const {
  SecretBlock temp;
  state_->Temp(rand, temp);
  SecretBlock out1;
  state_->Out1(temp, sqn, amf, out1);
  Mac mac;  // f1* = MAC-S = OUT1[64..127]
  std::memcpy(mac.data(), &out1[8], kMacSize);
  return mac;
}

MilenageF2345 Milenage::F2345(const Rand& rand) const {
  SecretBlock temp;
  state_->Temp(rand, temp);
  MilenageF2345 result;
  state_->F2345(temp, result);
  return result;
}

MilenageAuthOutputs Milenage::F1F2345(const Rand& rand, const Sqn& sqn, const Amf& amf) const {
  MilenageAuthOutputs outputs;
  F1F2345Into(rand, sqn, amf, outputs);
  return outputs;
}

void Milenage::F1F2345Into(const Rand& rand, const Sqn& sqn, const Amf& amf,
                           MilenageAuthOutputs& outputs) const {
  // One TEMP for all five functions: TEMP depends on RAND only (TS 35.206 §4.1), so a
  // vector costs 5 AES blocks rather than 6; and OUT1..OUT4 depend only on TEMP, so their
  // four blocks go through AES in one call.
  SecretBlock temp;
  state_->Temp(rand, temp);
  SecretBlocks<4> in;
  state_->Out1Input(temp, sqn, amf, in.block(0));
  state_->OutNInput(temp, 0, 0x01, in.block(1));   // OUT2: r2 = 0, c2 = 1
  state_->OutNInput(temp, 32, 0x02, in.block(2));  // OUT3: r3 = 32, c3 = 2
  state_->OutNInput(temp, 64, 0x04, in.block(3));  // OUT4: r4 = 64, c4 = 4
  SecretBlocks<4> out;
  EncryptBlocks(state_->ctx.get(), in, out);
  for (size_t i = 0; i < 4; ++i) Xor(out.block(i), state_->opc.bytes.data(), out.block(i));
  MilenageF2345& keys = outputs.keys;
  // Output buffers of the right size are overwritten in place (no allocation).
  if (keys.res.size() != kResSize) keys.res = SecretBytes(kResSize);
  if (keys.ck.size() != kCkSize) keys.ck = SecretBytes(kCkSize);
  if (keys.ik.size() != kIkSize) keys.ik = SecretBytes(kIkSize);
  std::memcpy(outputs.mac_a.data(), out.block(0), kMacSize);  // f1 = OUT1[0..63]
  std::memcpy(keys.ak.data(), out.block(1), kAkSize);         // f5 = OUT2[0..47]
  std::memcpy(keys.res.data(), out.block(1) + 8, kResSize);   // f2 = OUT2[64..127]
  std::memcpy(keys.ck.data(), out.block(2), kCkSize);         // f3 = OUT3
  std::memcpy(keys.ik.data(), out.block(3), kIkSize);         // f4 = OUT4
}

void Milenage::State::F2345(const SecretBlock& temp, MilenageF2345& result) const {
  // Output buffers of the right size are overwritten in place (no allocation).
  if (result.res.size() != kResSize) result.res = SecretBytes(kResSize);
  if (result.ck.size() != kCkSize) result.ck = SecretBytes(kCkSize);
  if (result.ik.size() != kIkSize) result.ik = SecretBytes(kIkSize);
  {
    SecretBlock out2;  // r2 = 0, c2 = 1
    OutN(temp, 0, 0x01, out2);
    std::memcpy(result.ak.data(), &out2[0], kAkSize);    // f5 = OUT2[0..47]
    std::memcpy(result.res.data(), &out2[8], kResSize);  // f2 = OUT2[64..127]
  }
  {
    SecretBlock out3;  // r3 = 32, c3 = 2; f3 = CK = OUT3
    OutN(temp, 32, 0x02, out3);
    std::memcpy(result.ck.data(), out3.bytes.data(), kCkSize);
  }
  {
    SecretBlock out4;  // r4 = 64, c4 = 4; f4 = IK = OUT4
    OutN(temp, 64, 0x04, out4);
    std::memcpy(result.ik.data(), out4.bytes.data(), kIkSize);
  }
}

Ak Milenage::F5Star(const Rand& rand) const {
  SecretBlock temp;
  state_->Temp(rand, temp);
  SecretBlock out5;  // r5 = 96, c5 = 8
  state_->OutN(temp, 96, 0x08, out5);
  Ak ak;  // f5* = OUT5[0..47]
  std::memcpy(ak.data(), &out5[0], kAkSize);
  return ak;
}

}  // namespace gbabridge
