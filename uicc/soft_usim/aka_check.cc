#include "uicc/soft_usim/aka_check.h"

#include <openssl/evp.h>

#include <algorithm>

#include "uicc/base/gba_u_mac.h"

namespace gbabridge {

SecretBytes DeriveKc(const SecretBytes& ck, const SecretBytes& ik) {
  SecretBytes kc(8);
  if (ck.size() != 16 || ik.size() != 16) return kc;
  for (size_t i = 0; i < 8; ++i) {
    kc.data()[i] = ck.data()[i] ^ ck.data()[i + 8] ^ ik.data()[i] ^ ik.data()[i + 8];
  }
  return kc;
}

Bytes ComputeAuts(const Milenage& milenage, const Rand& rand, uint64_t sqn_ms) {
  const Sqn sqn = SqnFromInt(sqn_ms);
  const Ak ak_star = milenage.F5Star(rand);
  // TS 33.102 §6.3.3: "the dummy value of AMF ... all zeros" for resynchronisation.
  const Mac mac_s = milenage.F1Star(rand, sqn, Amf{0x00, 0x00});
  Bytes auts;
  auts.reserve(kAutsSize);
  for (size_t i = 0; i < kSqnSize; ++i) auts.push_back(sqn[i] ^ ak_star[i]);
  auts.insert(auts.end(), mac_s.begin(), mac_s.end());
  return auts;
}

AkaCheckResult CheckAutn(const Milenage& milenage, const SqnArray& sqn_array, const Rand& rand,
                         ByteView autn, bool gba_u_mac_star) {
  AkaCheckResult result;
  if (autn.size() != kAutnSize) return result;  // kMacFailure
  result.keys = milenage.F2345(rand);
  Sqn sqn{};
  for (size_t i = 0; i < kSqnSize; ++i) sqn[i] = autn[i] ^ result.keys.ak[i];
  const Amf amf = {autn[6], autn[7]};
  Mac received{};
  std::copy_n(autn.begin() + 8, kMacSize, received.begin());
  if (gba_u_mac_star) {
    const Mac mask = GbaUMacMask(result.keys.ik.view());
    for (size_t i = 0; i < kMacSize; ++i) received[i] ^= mask[i];
  }
  const Mac expected = milenage.F1(rand, sqn, amf);
  if (!ConstantTimeEquals(expected, received)) {
    result.keys = MilenageF2345{};
    return result;
  }
  result.sqn = SqnToInt(sqn);
  if (sqn_array.Check(result.sqn) != SqnArray::Verdict::kFresh) {
    result.outcome = AkaOutcome::kSyncFailure;
    result.keys = MilenageF2345{};
    result.auts = ComputeAuts(milenage, rand, sqn_array.HighestAcceptedSqn());
    return result;
  }
  result.outcome = AkaOutcome::kAccepted;
  return result;
}

}  // namespace gbabridge
