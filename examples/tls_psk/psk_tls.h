// PskTls: one GBA TLS-PSK session on a connected socket, either side (OpenSSL, TLS 1.2,
// TLS_PSK_WITH_AES_128_CBC_SHA256 only; see gba_psk.h for the names and the spec clauses).
//
//  - Client (the device, RunClientSession): checks the NAF's identity hint, presents
//    "3GPP-bootstrapping[-uicc]." + B-TID and the NAF key, sends one line, reads one line.
//  - Server (the NAF, NafTlsServer): looks the identity's B-TID up through a NafKeySource
//    (Zn in naf_server.cc, a fake in tests), reads one line, answers
//    "hello <identity>, you sent: <line>".
//
// Error model, the same on both sides (absl::Status codes):
//   NotFound          the NAF does not know the B-TID (or it expired): TLS alert
//                     unknown_psk_identity (RFC 4279 §2). The device should bootstrap again
//                     (TS 33.220 §4.5.3) and retry once.
//   Unauthenticated   the handshake failed on the keys: the two sides hold different PSKs
//                     (wrong NAF FQDN, Ua id or cipher suite, or a stale key).
//   FailedPrecondition / InvalidArgument  a protocol mismatch (no "3GPP-bootstrapping"
//                     hint, a malformed identity, no common cipher suite).
//   Unavailable       the connection failed, timed out, or the NAF could not fetch the key
//                     (TLS alert internal_error).
//
// Keys: the PSK is copied into OpenSSL's buffer by the callback and wiped from ours as
// soon as the handshake is over (OpenSSL wipes its own copy). Nothing here logs a key.
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_PSK_TLS_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_PSK_TLS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "examples/tls_psk/gba_psk.h"
#include "uicc/base/secret_bytes.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace gbabridge::examples {

// Longest line either side reads; a longer one ends the session.
inline constexpr size_t kMaxLineLength = 4096;

struct ClientSessionOptions {
  std::string identity;     // MakePskIdentity(btid, gba_u)
  SecretBytes psk;          // Ks_NAF / Ks_ext_NAF, kNafKeySize bytes; wiped after the handshake
  std::string server_name;  // the NAF FQDN, sent as SNI (TS 24.109 Annex F.3 step 1)
  std::string message;      // one line, without the newline
};

struct ClientSessionResult {
  std::string reply;     // the NAF's answer line, without the newline
  std::string cipher;    // e.g. "PSK-AES128-CBC-SHA256"
  std::string protocol;  // e.g. "TLSv1.2"
};

// Runs the device side on a connected socket (owned by the caller).
absl::StatusOr<ClientSessionResult> RunClientSession(int fd, ClientSessionOptions options);

// Where the NAF gets its keys.
class NafKeySource {
 public:
  virtual ~NafKeySource() = default;
  // The key for this identity's B-TID (kNafKeySize bytes), valid now.
  // NotFound: the B-TID is unknown or expired (the UE must bootstrap again). Any other
  // error: no key now (BSF unreachable, NAF not authorised, ...).
  virtual absl::StatusOr<SecretBytes> GetKey(const PskIdentity& identity) = 0;
};

struct ServerSessionResult {
  std::string identity;  // as received
  PskIdentity parsed;    // prefix and B-TID
  std::string cipher;
  std::string protocol;
  std::string line;  // what the device sent
};

class NafTlsServer {
 public:
  // `keys` must outlive the server.
  static absl::StatusOr<std::unique_ptr<NafTlsServer>> Create(NafKeySource& keys);
  ~NafTlsServer();
  NafTlsServer(const NafTlsServer&) = delete;
  NafTlsServer& operator=(const NafTlsServer&) = delete;

  // Serves one accepted connection (the socket stays the caller's): handshake, one line in,
  // one line out. On failure, the status says why (see the error model above); when the
  // identity was parsed, `parsed` (if not null) receives it, for the log line.
  absl::StatusOr<ServerSessionResult> Serve(int fd, PskIdentity* parsed = nullptr);

 private:
  NafTlsServer(NafKeySource& keys, SSL_CTX* ctx) : keys_(keys), ctx_(ctx) {}

  NafKeySource& keys_;
  SSL_CTX* ctx_;
};

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_PSK_TLS_H_
