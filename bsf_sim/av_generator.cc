#include "bsf_sim/av_generator.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bsf_sim/string_views.h"
#include "uicc/base/gba_u_mac.h"

namespace gbabridge::bsf {

namespace {

// The HSS's f1-f5 for this subscriber (TS 35.206), from its K and OPc.
absl::StatusOr<Milenage> SubscriberMilenage(const Subscriber& sub, std::string_view impi) {
  absl::StatusOr<Milenage> milenage = Milenage::Create(sub.k, sub.opc);
  if (!milenage.ok()) {
    return absl::InternalError(absl::StrCat(
        "subscriber ", AbslView(impi), ": cannot set up Milenage: ", milenage.status().message()));
  }
  return milenage;
}

}  // namespace

AvGenerator::AvGenerator(SubscriberStore& store, AvGeneratorOptions options)
    : store_(store), options_(options) {}

absl::StatusOr<AuthVector> AvGenerator::Generate(std::string_view impi, bool ue_requests_gba_u) {
  absl::StatusOr<Subscriber> sub = store_.Lookup(impi);
  if (!sub.ok()) return sub.status();
  absl::StatusOr<Milenage> milenage = SubscriberMilenage(*sub, impi);
  if (!milenage.ok()) return milenage.status();
  // The SQN is committed before the vector exists: a vector is never handed out on an SQN
  // that a crash could make the HSS issue again.
  absl::StatusOr<uint64_t> sqn = store_.AllocateSqn(impi, options_.ind_bits);
  if (!sqn.ok()) return sqn.status();

  AuthVector av;
  av.impi = std::string(impi);
  av.sqn = *sqn;
  if (RAND_bytes(av.rand.data(), static_cast<int>(av.rand.size())) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed: no RAND for the challenge");
  }
  const Sqn sqn_bytes = SqnToBytes(av.sqn);
  MilenageAuthOutputs outputs = milenage->F1F2345(av.rand, sqn_bytes, sub->amf);
  MilenageF2345& f2345 = outputs.keys;
  Mac& mac = outputs.mac_a;
  av.gba_u = sub->gba_u && ue_requests_gba_u;
  if (av.gba_u) {
    const Mac mask = GbaUMacMask(f2345.ik.view());
    for (size_t i = 0; i < kMacSize; ++i) mac[i] ^= mask[i];
  }
  // AUTN = SQN xor AK || AMF || MAC (TS 33.102 §6.3.2).
  for (size_t i = 0; i < kSqnSize; ++i) av.autn[i] = sqn_bytes[i] ^ f2345.ak[i];
  std::copy(sub->amf.begin(), sub->amf.end(), av.autn.begin() + kSqnSize);
  std::copy(mac.begin(), mac.end(), av.autn.begin() + kSqnSize + kAmfSize);
  av.xres = std::move(f2345.res);
  av.ck = std::move(f2345.ck);
  av.ik = std::move(f2345.ik);
  return av;
}

absl::StatusOr<uint64_t> AvGenerator::Resync(std::string_view impi, const Rand& rand,
                                             ByteView auts) {
  if (auts.size() != kAutsSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AUTS must be ", kAutsSize, " bytes, got ", auts.size()));
  }
  absl::StatusOr<Subscriber> sub = store_.Lookup(impi);
  if (!sub.ok()) return sub.status();
  absl::StatusOr<Milenage> milenage = SubscriberMilenage(*sub, impi);
  if (!milenage.ok()) return milenage.status();
  // TS 33.102 §6.3.3/§6.3.5: SQN_MS = (SQN_MS xor AK*) xor AK*, AK* = f5*(RAND).
  const Ak ak_star = milenage->F5Star(rand);
  Sqn sqn_ms{};
  for (size_t i = 0; i < kSqnSize; ++i) sqn_ms[i] = auts[i] ^ ak_star[i];
  // MAC-S = f1*(SQN_MS, RAND, AMF) with the dummy AMF 00 00 (§6.3.3).
  const Mac expected = milenage->F1Star(rand, sqn_ms, Amf{0x00, 0x00});
  if (!ConstantTimeEquals(expected, auts.subspan(kSqnSize, kMacSize))) {
    return absl::UnauthenticatedError(absl::StrCat("AUTS of subscriber ", AbslView(impi),
                                                   " has a wrong MAC-S; SQN not resynchronised"));
  }
  const uint64_t value = SqnFromBytes(sqn_ms);
  if (absl::Status s = store_.Resync(impi, value); !s.ok()) return s;
  return value;
}

}  // namespace gbabridge::bsf
