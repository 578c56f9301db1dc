#include "tests/integration/test_vectors.h"

namespace gbabridge::testing {

TestVector MakeTestVector(uint64_t sqn_value, uint8_t rand_seed) {
  absl::StatusOr<SecretBytes> k = SecretBytes::FromHex("465b5ce8b199b49faa5f0a2ee238a6bc");
  absl::StatusOr<SecretBytes> opc = SecretBytes::FromHex("cd63cb71954a9f4e48a5994e37a02baf");
  absl::StatusOr<Milenage> milenage = Milenage::Create(*k, *opc);
  TestVector v;
  for (size_t i = 0; i < v.rand.size(); ++i) v.rand[i] = static_cast<uint8_t>(rand_seed + i);
  Sqn sqn;
  for (int i = 0; i < 6; ++i) sqn[5 - i] = static_cast<uint8_t>(sqn_value >> (8 * i));
  const Amf amf = {0x80, 0x00};
  MilenageF2345 out = milenage->F2345(v.rand);
  const Mac mac = milenage->F1(v.rand, sqn, amf);
  // AUTN = SQN xor AK || AMF || MAC-A (TS 33.102 §6.3.2).
  for (int i = 0; i < 6; ++i) v.autn.push_back(sqn[i] ^ out.ak[i]);
  v.autn.insert(v.autn.end(), amf.begin(), amf.end());
  v.autn.insert(v.autn.end(), mac.begin(), mac.end());
  v.xres = std::move(out.res);
  v.ck = std::move(out.ck);
  v.ik = std::move(out.ik);
  return v;
}

}  // namespace gbabridge::testing
