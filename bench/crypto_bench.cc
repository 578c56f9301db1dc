// Micro-benchmarks of the crypto on gbabridge's hot paths, each paired with a bare OpenSSL
// loop that does the same primitive work with everything set up in advance. The bare loop
// is the limit: the gap between the two is what our wrappers cost (parameter checks,
// NafId encoding, per-call re-keying, allocation of SecretBytes).
//
//   Ks_NAF (TS 33.220 B.3)       vs  one HMAC-SHA-256 over an S of the same length
//   Milenage f1..f5 (one vector) vs  5 AES-128 block encryptions (TEMP, OUT1..OUT4)
//   Digest AKA response (auth-int) vs 4 MD5 computations (H(A1), H(body), H(A2), KD)
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "bootstrap/protocol/digest_aka.h"
#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/naf_id.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

constexpr std::string_view kImpi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
constexpr std::string_view kNafFqdn = "naf.example.org";
constexpr std::string_view kRealm = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
constexpr std::string_view kNonce = "gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8=";

SecretBytes Filled(size_t size, uint8_t first) {
  SecretBytes out(size);
  for (size_t i = 0; i < size; ++i) out.data()[i] = static_cast<uint8_t>(first + i);
  return out;
}

Bytes RandBytes() {
  Bytes rand(16);
  for (size_t i = 0; i < rand.size(); ++i) rand[i] = static_cast<uint8_t>(0x80 + i);
  return rand;
}

// An HMAC context with SHA-256 set once (as the KDF's thread context), or null.
EVP_MAC_CTX* NewHmacSha256Context(EVP_MAC* mac) {
  EVP_MAC_CTX* ctx = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// (a) Ks_NAF through the project's KDF.
void BM_KsNafDerivation(benchmark::State& state) {
  const SecretBytes ks = Filled(32, 0x10);
  const Bytes rand = RandBytes();
  const NafId naf = *NafId::Create(kNafFqdn, UaSecurityProtocolId::Tls(0x00AE));
  for (auto _ : state) {
    absl::StatusOr<SecretBytes> key = DeriveKsNaf(ks, rand, kImpi, naf);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KsNafDerivation);

// (b) The limit for (a): HMAC-SHA-256 of an S of the same length, with the MAC fetched
// once, one context, the digest set once, and only the key set per iteration.
void BM_HmacSha256Bare(benchmark::State& state) {
  const SecretBytes ks = Filled(32, 0x10);
  // |S| = FC + (P0 + L0) + (RAND + L1) + (IMPI + L2) + (NAF_Id + L3), as in (a).
  const size_t s_size = 1 + (6 + 2) + (16 + 2) + (kImpi.size() + 2) + (kNafFqdn.size() + 5 + 2);
  const Bytes s(s_size, 0x5a);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = NewHmacSha256Context(mac);
  if (ctx == nullptr) {
    state.SkipWithError("OpenSSL HMAC unavailable");
  } else {
    std::array<uint8_t, 32> out{};
    for (auto _ : state) {
      size_t out_len = 0;
      EVP_MAC_init(ctx, ks.data(), ks.size(), nullptr);
      EVP_MAC_update(ctx, s.data(), s.size());
      EVP_MAC_final(ctx, out.data(), &out_len, out.size());
      benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}
BENCHMARK(BM_HmacSha256Bare);

// (b') What (a) spends on purpose beyond (b): after each derivation the KDF re-keys its
// thread's HMAC context with a constant, because OpenSSL keeps the key (and the key-derived
// ipad/opad states) in the context until the next init, and Ks must not outlive its
// session there. This is that one EVP_MAC_init, for the report's explanation.
void BM_HmacContextWipe(benchmark::State& state) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = NewHmacSha256Context(mac);
  if (ctx == nullptr) {
    state.SkipWithError("OpenSSL HMAC unavailable");
  } else {
    static constexpr uint8_t kPlaceholder = 0;
    for (auto _ : state) {
      EVP_MAC_init(ctx, &kPlaceholder, 0, nullptr);
      benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}
BENCHMARK(BM_HmacContextWipe);

// (c) Milenage f1 (MAC-A) and f2..f5 (RES, CK, IK, AK) in one call, as the HSS does per
// authentication vector.
void BM_MilenageF1F2345(benchmark::State& state) {
  absl::StatusOr<Milenage> milenage = Milenage::Create(Filled(16, 0x46), Filled(16, 0xcd));
  if (!milenage.ok()) {
    state.SkipWithError("Milenage::Create failed");
    return;
  }
  Rand rand{};
  for (size_t i = 0; i < rand.size(); ++i) rand[i] = static_cast<uint8_t>(0x23 + i);
  const Sqn sqn = {0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07};
  const Amf amf = {0xb9, 0xb9};
  // One output reused: this row is the Milenage computation. Storing a vector's keys (three
  // SecretBytes per vector in bsf-sim) is part of the bsf-sim bootstraps/s row instead.
  MilenageAuthOutputs out;
  for (auto _ : state) {
    milenage->F1F2345Into(rand, sqn, amf, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MilenageF1F2345);

// (d) The limit for (c): the 5 AES-128 block encryptions one vector needs (TEMP, OUT1,
// OUT2, OUT3, OUT4; TS 35.206 §4.1), one call each, with one key schedule set up in
// advance. (c) does the same 5 blocks but in 2 calls: OUT1..OUT4 depend only on TEMP, so
// they are encrypted together, which lets AES-NI pipeline them; (c) can beat this limit.
void BM_Aes128Bare(benchmark::State& state) {
  const SecretBytes key = Filled(16, 0x46);
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (cipher == nullptr || ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    state.SkipWithError("OpenSSL AES-128-ECB unavailable");
  } else {
    std::array<uint8_t, 16> block{};
    for (auto _ : state) {
      for (int i = 0; i < 5; ++i) {
        int out_len = 0;
        EVP_EncryptUpdate(ctx, block.data(), &out_len, block.data(), 16);
      }
      benchmark::DoNotOptimize(block);
    }
    state.SetItemsProcessed(state.iterations());
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
}
BENCHMARK(BM_Aes128Bare);

// (e) The Ub digest response: AKAv1-MD5, qop=auth-int, empty body (TS 24.109 §4.4.3).
void BM_DigestResponse(benchmark::State& state) {
  DigestAuthorization a;
  a.username = std::string(kImpi);
  a.realm = std::string(kRealm);
  a.nonce = std::string(kNonce);
  a.uri = "/";
  a.algorithm = kAkaV1Md5;
  a.qop = kQopAuthInt;
  a.nc = "00000001";
  a.cnonce = "0a4f113b09c5d2e1";
  const SecretBytes res = Filled(8, 0xa5);
  for (auto _ : state) {
    absl::StatusOr<std::string> response = ComputeDigestResponse(a, res, "GET", {});
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DigestResponse);

// (f) The limit for (e): 4 MD5 computations over inputs of the same lengths (A1, the
// empty body, A2, the KD string), with MD5 fetched once and one context.
void BM_Md5Bare(benchmark::State& state) {
  const size_t a1 = kImpi.size() + 1 + kRealm.size() + 1 + 8;
  const size_t a2 = 3 + 1 + 1 + 1 + 32;  // "GET" ":" "/" ":" H(body)
  const size_t kd = 32 + 1 + kNonce.size() + 1 + 8 + 1 + 16 + 1 + 8 + 1 + 32;
  const std::array<size_t, 4> sizes = {a1, 0, a2, kd};
  const Bytes input(kd, 0x61);
  EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (md == nullptr || ctx == nullptr) {
    state.SkipWithError("OpenSSL MD5 unavailable");
  } else {
    std::array<uint8_t, 16> out{};
    for (auto _ : state) {
      for (size_t size : sizes) {
        unsigned int out_len = 0;
        EVP_DigestInit_ex2(ctx, md, nullptr);
        EVP_DigestUpdate(ctx, input.data(), size);
        EVP_DigestFinal_ex(ctx, out.data(), &out_len);
      }
      benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_Md5Bare);

}  // namespace
}  // namespace gbabridge

BENCHMARK_MAIN();
