// HTTP Digest AKA (RFC 3310, AKAv1-MD5) as used on Ub (TS 24.109 §4; gba-facts §3):
// header parsing/formatting for WWW-Authenticate, Authorization and Authentication-Info,
// and the response / rspauth computations. Shared by the Ub client and bsf-sim.
//
// Parsing follows the auth-param grammar of RFC 7235 §2.1 / RFC 7616 §3.3 (token=token or
// token=quoted-string, comma separated, quoted-pair unescaping). Malformed input is an
// InvalidArgument error, never a crash; unknown parameters are ignored.
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_DIGEST_AKA_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_DIGEST_AKA_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

inline constexpr char kAkaV1Md5[] = "AKAv1-MD5";
inline constexpr char kQopAuthInt[] = "auth-int";

// 401 challenge: WWW-Authenticate: Digest realm=..., nonce=..., algorithm=AKAv1-MD5,
// qop="auth-int"[, opaque=...][, stale=true]
struct DigestChallenge {
  std::string realm;
  std::string nonce;  // base64(RAND || AUTN || server data) (RFC 3310 §3.2)
  std::string algorithm;
  std::string qop;  // as sent (may be a list: "auth,auth-int")
  std::optional<std::string> opaque;
  bool stale = false;
};

// Authorization: Digest username=..., realm=..., nonce=..., uri=..., response=...,
// algorithm=..., qop=auth-int, nc=00000001, cnonce=..., [opaque=...], [auts=...]
struct DigestAuthorization {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;  // 32 lower-case hex digits, or "" in the first request
  std::string algorithm;
  std::optional<std::string> qop;
  std::optional<std::string> nc;  // 8 hex digits
  std::optional<std::string> cnonce;
  std::optional<std::string> opaque;
  std::optional<std::string> auts;  // base64(AUTS) on synchronisation failure (RFC 3310 §3.4)
};

// Authentication-Info: qop=auth-int, rspauth="...", cnonce="...", nc=...
struct AuthenticationInfo {
  std::optional<std::string> qop;
  std::string rspauth;
  std::optional<std::string> cnonce;
  std::optional<std::string> nc;
  std::optional<std::string> nextnonce;
};

// Headers values are given without the header name, e.g. `Digest realm="x", ...`.
absl::StatusOr<DigestChallenge> ParseWwwAuthenticate(std::string_view value);
std::string FormatWwwAuthenticate(const DigestChallenge& challenge);
absl::StatusOr<DigestAuthorization> ParseAuthorization(std::string_view value);
std::string FormatAuthorization(const DigestAuthorization& authorization);
absl::StatusOr<AuthenticationInfo> ParseAuthenticationInfo(std::string_view value);
std::string FormatAuthenticationInfo(const AuthenticationInfo& info);

// The nonce of RFC 3310 §3.2: base64(RAND || AUTN || server-specific data).
struct AkaNonce {
  Bytes rand;         // 16
  Bytes autn;         // 16
  Bytes server_data;  // may be empty
};
absl::StatusOr<AkaNonce> DecodeAkaNonce(std::string_view nonce);
std::string EncodeAkaNonce(const AkaNonce& nonce);

// RFC 2617 §3.2.2 with RFC 3310 §3.3: the password is RES as raw bytes (empty when
// sending AUTS). HA1 = MD5(username ":" realm ":" password);
// HA2 = MD5(method ":" uri ":" MD5(body)) for qop=auth-int;
// response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2), lower-case hex.
// `password` is secret; the result is not (it is sent on the wire).
absl::StatusOr<std::string> ComputeDigestResponse(const DigestAuthorization& authorization,
                                                  const SecretBytes& password,
                                                  std::string_view method, ByteView entity_body);
// rspauth: as the response, with an empty method in HA2 and the response body
// (RFC 2617 §3.2.3).
absl::StatusOr<std::string> ComputeRspauth(const DigestAuthorization& authorization,
                                           const SecretBytes& password, ByteView response_body);

// Constant-time comparison of two digest hex strings (lower-cased first).
bool DigestEquals(std::string_view a, std::string_view b);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_DIGEST_AKA_H_
