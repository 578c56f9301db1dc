// SimulatedUe: one UE of the bsf-sim load generator and fault tests. It runs a complete Ub
// bootstrap the way a GBA_ME device does (TS 33.220 §4.5.2, TS 24.109 §4.4): GET with the IMPI ->
// 401, the USIM's work in software (Milenage f1..f5 with the subscriber's K/OPc, AUTN MAC checked),
// the AKAv1-MD5 auth-int response -> 200, rspauth verified. One keep-alive HTTP connection per UE
// worker; not thread-safe (one per worker thread).
#ifndef GBABRIDGE_TESTS_INTEGRATION_SIMULATED_UE_H_
#define GBABRIDGE_TESTS_INTEGRATION_SIMULATED_UE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/base/secret_bytes.h"

namespace httplib {
class Client;
}

namespace gbabridge::testing {

// A subscriber as the load generator knows it: TEST KEYS ONLY, generated per run.
struct UeCredentials {
  std::string impi;
  SecretBytes k;
  SecretBytes opc;
};

// TEST KEYS ONLY: `count` subscribers with random K and OPc, made for one run.
std::vector<UeCredentials> MakeTestSubscribers(int count);
// bsf-sim's subscriber import file for them.
std::string SubscriberImportJson(const std::vector<UeCredentials>& ues);

class SimulatedUe {
 public:
  SimulatedUe(const std::string& host, int port);
  ~SimulatedUe();
  SimulatedUe(const SimulatedUe&) = delete;
  SimulatedUe& operator=(const SimulatedUe&) = delete;

  // One full bootstrap for `ue`; the B-TID once the BSF's 200 and rspauth have been
  // checked.
  // `sqn`, if given, receives the SQN the BSF put in the challenge's AUTN.
  absl::StatusOr<std::string> Bootstrap(const UeCredentials& ue, uint64_t* sqn = nullptr);
  // GET /healthz on the same connection: the HTTP server's trivial-request limit.
  absl::Status Healthz();

 private:
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_SIMULATED_UE_H_
