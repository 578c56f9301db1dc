// DeviceClient: what an M2M application does to talk TLS-PSK to its NAF with a GBA key.
//
//   1. Ask gbabridged for the key: GetNafKey(NAF FQDN, Ua id 01 00 01 00 AE)
//      (proto/gbabridge/v1/gbabridge.proto). The daemon bootstraps over Ub if needed.
//   2. Connect to the NAF and run TLS 1.2 with TLS_PSK_WITH_AES_128_CBC_SHA256: identity
//      "3GPP-bootstrapping." + B-TID ("-uicc." for a GBA_U key), PSK = the key
//      (TS 33.222 §5.4).
//   3. If the NAF answers that it does not know the B-TID (TLS alert unknown_psk_identity),
//      the BSF has lost or expired our bootstrapping session even though our copy looks
//      valid (BSF restart, shorter lifetime on its side). TS 33.220 §4.5.3: the UE then runs
//      a new bootstrap; here GetNafKey(force_bootstrap = true), which yields a new B-TID and
//      key. Retry once only: if the NAF still does not know the fresh B-TID, the NAF and the
//      daemon do not use the same BSF, and retrying again would only burn AKA runs.
//
// The key lives in SecretBytes from the daemon's answer to the end of the handshake, and
// is wiped then; it is never printed.
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_DEVICE_CLIENT_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_DEVICE_CLIENT_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "examples/tls_psk/tcp.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"

namespace gbabridge::examples {

struct DeviceOptions {
  std::string naf_fqdn;  // the NAF_Id's FQDN, e.g. "mef.example.com"
  HostPort naf_address;  // where the NAF's TLS server listens
  std::string message;   // one line
  // GetNafKey may bootstrap (card + network): give it time.
  std::chrono::milliseconds daemon_timeout{60000};
  std::chrono::milliseconds naf_timeout{10000};
  // Progress lines for people (no keys). Null: silent.
  std::function<void(std::string_view)> log;
};

struct DeviceResult {
  std::string reply;     // the NAF's answer
  std::string identity;  // the PSK identity presented
  std::string btid;
  gbabridge::v1::GbaMode gba_mode = gbabridge::v1::GBA_MODE_UNSPECIFIED;
  absl::Time key_expiry;
  std::string cipher;
  std::string protocol;
  bool bootstrapped_again = false;  // the NAF did not know the first B-TID
};

// Which step failed.
enum class DeviceStep { kGetKey, kConnect, kTls };

// Runs steps 1-3. On failure, `failed_step` (if not null) tells where; the status message
// says what to do. A daemon error carries its reason (trailer gbabridge-error-reason).
absl::StatusOr<DeviceResult> RunDevice(gbabridge::v1::GbaBridge::StubInterface& daemon,
                                       const DeviceOptions& options,
                                       DeviceStep* failed_step = nullptr);

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_DEVICE_CLIENT_H_
