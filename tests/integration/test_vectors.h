// Authentication vectors for the test profile, built as the HSS would (TS 33.102 §6.3.2)
// with the TS 35.208 test-set-1 keys that WriteTestProfile puts on the card.
#ifndef GBABRIDGE_TESTS_INTEGRATION_TEST_VECTORS_H_
#define GBABRIDGE_TESTS_INTEGRATION_TEST_VECTORS_H_

#include <cstdint>

#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::testing {

struct TestVector {
  Rand rand;
  Bytes autn;
  SecretBytes xres;
  SecretBytes ck;
  SecretBytes ik;
};

TestVector MakeTestVector(uint64_t sqn, uint8_t rand_seed);

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_TEST_VECTORS_H_
