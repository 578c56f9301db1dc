#include "bsf_sim/ub_authenticator.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bootstrap/protocol/base64.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/product_tokens.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {
namespace {

UbReply Plain(int status, std::string text) {
  UbReply reply;
  reply.status = status;
  reply.body = std::move(text);
  reply.body += "\n";
  return reply;
}

// 503 for "try again later" conditions (database not writable, tables full), 500 for the
// rest of the server-side failures. Never a key in the message.
UbReply ServerError(const absl::Status& status) {
  const bool unavailable = status.code() == absl::StatusCode::kUnavailable ||
                           status.code() == absl::StatusCode::kResourceExhausted;
  UbReply reply = Plain(unavailable ? 503 : 500,
                        unavailable ? "BSF temporarily unable to authenticate; try again later"
                                    : "BSF internal error");
  if (unavailable) reply.headers.emplace_back("Retry-After", "5");
  return reply;
}

bool IsHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// RFC 7616 §3.4.6: the digest-uri must name the resource of the request line. Accepted:
// the request-target as sent, its path, or an absolute http(s) URI with that path (some
// UEs send uri="http://bsf:port/", TS 24.109 Annex A shows only "/").
bool UriMatches(std::string_view uri, const UbRequest& request) {
  if (uri == request.target || uri == request.path) return true;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (uri.substr(0, scheme.size()) != scheme) continue;
    const std::string_view rest = uri.substr(scheme.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return request.path == "/";
    const std::string_view path = rest.substr(slash);
    return path == request.target || path == request.path;
  }
  return false;
}

}  // namespace

UbAuthenticator::UbAuthenticator(UbAuthenticatorOptions options, AvGenerator& generator,
                                 SessionStore& sessions)
    : options_(std::move(options)),
      generator_(generator),
      sessions_(sessions),
      pending_(options_.max_pending, options_.max_pending_per_impi) {
  if (options_.realm.empty()) options_.realm = options_.bsf_name;
}

size_t UbAuthenticator::SweepPending() {
  const auto cutoff =
      std::chrono::steady_clock::now() - 2 * absl::ToChronoNanoseconds(options_.nonce_timeout);
  return pending_.SweepIssuedBefore(cutoff);
}

UbReply UbAuthenticator::Handle(const UbRequest& request) {
  UbReply reply = Dispatch(request);
  // TS 24.109 §4.4.2 / TS 33.220 §4.5.2: the product token tells the UE this BSF takes a TMPI.
  reply.headers.emplace_back("Server", options_.tmpi
                                           ? absl::StrCat(options_.server, " ", kTokenGbaTmpi)
                                           : options_.server);
  return reply;
}

UbReply UbAuthenticator::Dispatch(const UbRequest& request) {
  if (request.authorization.empty()) {
    return Plain(400,
                 "missing Authorization header: the first request must carry "
                 "Authorization: Digest username=\"<IMPI>\", realm, nonce=\"\", uri, "
                 "response=\"\" (TS 24.109 §4.2)");
  }
  if (request.authorization.size() > 1) {
    return Plain(400, "more than one Authorization header");
  }
  absl::StatusOr<DigestAuthorization> auth = ParseAuthorization(request.authorization.front());
  if (!auth.ok()) {
    spdlog::info("Ub {}: malformed Authorization: {}", request.peer,
                 ToString(auth.status().message()));
    return Plain(400, absl::StrCat("malformed Authorization header: ", auth.status().message()));
  }
  if (auth->username.empty()) {
    return Plain(400, "the Authorization header has no username (the IMPI)");
  }
  if (!auth->algorithm.empty() && !absl::EqualsIgnoreCase(auth->algorithm, kAkaV1Md5)) {
    return Plain(400, absl::StrCat("unsupported digest algorithm \"", auth->algorithm,
                                   "\"; this BSF speaks AKAv1-MD5 (RFC 3310)"));
  }
  const bool ue_gba_u = HasProductToken(request.user_agent, kTokenGbaUicc);
  std::string impi = auth->username;
  if (IsTmpi(auth->username)) {
    std::optional<std::string> known =
        options_.tmpi ? tmpis_.Resolve(auth->username) : std::nullopt;
    if (!known.has_value()) {
      spdlog::info("Ub {}: unknown TMPI {}: 403", request.peer, auth->username);
      return Plain(403, "unknown TMPI: bootstrap again with the IMPI");
    }
    impi = *std::move(known);
  }
  if (auth->nonce.empty()) {
    // The initial request (TS 24.109 §4.2 / gba-facts §3 step 1). Its realm is the home
    // network domain of the IMPI, not necessarily ours: not checked.
    return Challenge(request, auth->username, impi, ue_gba_u, /*stale=*/false);
  }
  return Answer(request, *auth, impi, ue_gba_u);
}

UbReply UbAuthenticator::Challenge(const UbRequest& request, const std::string& username,
                                   const std::string& impi, bool ue_gba_u, bool stale) {
  if (!pending_.HasRoomFor(impi)) {
    // Before the vector: a refused request must not use up an SQN.
    spdlog::warn("Ub {}: IMPI {} has the maximum of open challenges: 503", request.peer, impi);
    return ServerError(absl::ResourceExhaustedError("too many open challenges"));
  }
  absl::StatusOr<AuthVector> av = generator_.Generate(impi, ue_gba_u);
  if (!av.ok()) {
    if (av.status().code() == absl::StatusCode::kNotFound) {
      spdlog::info("Ub {}: unknown IMPI {}: 403", request.peer, impi);
      return Plain(403, "unknown subscriber");
    }
    spdlog::error("Ub {}: no vector for IMPI {}: {}", request.peer, impi,
                  ToString(av.status().message()));
    return ServerError(av.status());
  }
  PendingChallenge pending;
  pending.id.resize(kChallengeIdSize);
  if (RAND_bytes(reinterpret_cast<uint8_t*>(pending.id.data()),
                 static_cast<int>(pending.id.size())) != 1) {
    spdlog::error("Ub: RAND_bytes failed for the challenge id");
    return ServerError(absl::InternalError("RAND_bytes"));
  }
  const Bytes id(pending.id.begin(), pending.id.end());
  DigestChallenge challenge;
  challenge.realm = options_.realm;
  challenge.nonce = EncodeAkaNonce({.rand = Bytes(av->rand.begin(), av->rand.end()),
                                    .autn = Bytes(av->autn.begin(), av->autn.end()),
                                    .server_data = id});
  challenge.algorithm = kAkaV1Md5;
  challenge.qop = kQopAuthInt;
  challenge.opaque = HexEncode(id);
  challenge.stale = stale;
  const uint64_t sqn = av->sqn;
  const bool gba_u = av->gba_u;
  pending.av = *std::move(av);
  pending.username = username;
  pending.issued = std::chrono::steady_clock::now();
  if (absl::Status s = pending_.Add(std::move(pending)); !s.ok()) {
    spdlog::warn("Ub {}: {}", request.peer, ToString(s.message()));
    return ServerError(s);
  }
  spdlog::info("Ub {}: challenge for IMPI {} ({}, SQN {:012x}{})", request.peer, impi,
               gba_u ? "GBA_U" : "GBA_ME", sqn, stale ? ", stale=true" : "");
  UbReply reply = Plain(401, "authentication required");
  reply.headers.emplace_back("WWW-Authenticate", FormatWwwAuthenticate(challenge));
  return reply;
}

UbReply UbAuthenticator::Answer(const UbRequest& request, const DigestAuthorization& auth,
                                const std::string& impi, bool ue_gba_u) {
  // Syntax first, so that a malformed answer does not use up the challenge.
  if (!auth.qop.has_value() || *auth.qop != kQopAuthInt) {
    return Plain(400, "the digest answer must use qop=auth-int (TS 24.109 §4.2)");
  }
  if (!auth.nc.has_value() || !IsHex(*auth.nc, 8)) {
    return Plain(400, "the digest answer needs nc (8 hex digits)");
  }
  if (!auth.cnonce.has_value() || auth.cnonce->empty()) {
    return Plain(400, "the digest answer needs a cnonce");
  }
  if (!IsHex(auth.response, 32)) {
    return Plain(400, "the digest response must be 32 hex digits");
  }
  if (!UriMatches(auth.uri, request)) {
    return Plain(400, "the digest uri does not match the request-URI");
  }

  absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(auth.nonce);
  if (!nonce.ok() || nonce->server_data.size() != kChallengeIdSize) {
    spdlog::info("Ub {}: IMPI {} answered a nonce this BSF never issued: fresh challenge",
                 request.peer, auth.username);
    return Challenge(request, auth.username, impi, ue_gba_u, /*stale=*/false);
  }
  std::optional<PendingChallenge> pending = pending_.Take(nonce->server_data);
  if (!pending.has_value()) {
    spdlog::info("Ub {}: IMPI {} answered an unknown or used nonce: fresh challenge", request.peer,
                 auth.username);
    return Challenge(request, auth.username, impi, ue_gba_u, /*stale=*/false);
  }
  // From here on the vector is gone from the table: whatever happens, it answers once.
  const AuthVector& av = pending->av;
  if (!std::equal(nonce->rand.begin(), nonce->rand.end(), av.rand.begin(), av.rand.end()) ||
      !std::equal(nonce->autn.begin(), nonce->autn.end(), av.autn.begin(), av.autn.end())) {
    spdlog::warn("Ub {}: nonce id matches but RAND/AUTN were altered: 403", request.peer);
    return Plain(403, "the nonce was altered");
  }
  if (auth.username != pending->username || impi != av.impi) {
    spdlog::warn("Ub {}: challenge for IMPI {} answered as {}: 403", request.peer, av.impi,
                 auth.username);
    return Plain(403, "the username does not match the challenge");
  }
  if (auth.realm != options_.realm) {
    spdlog::info("Ub {}: IMPI {} answered with realm \"{}\": 403", request.peer, av.impi,
                 auth.realm);
    return Plain(403, "the realm does not match the challenge");
  }
  if (auth.opaque.has_value() && *auth.opaque != HexEncode(nonce->server_data)) {
    return Plain(403, "the opaque value does not match the challenge");
  }

  const bool expired = std::chrono::steady_clock::now() - pending->issued >
                       absl::ToChronoNanoseconds(options_.nonce_timeout);
  if (expired) {
    // RFC 7616 §3.3: stale=true only when the digest itself was right.
    bool digest_ok = false;
    if (!auth.auts.has_value()) {
      absl::StatusOr<std::string> expected =
          ComputeDigestResponse(auth, av.xres, request.method, AsBytes(request.body));
      digest_ok = expected.ok() && DigestEquals(*expected, auth.response);
    }
    spdlog::info("Ub {}: IMPI {} answered a timed-out nonce: fresh challenge", request.peer,
                 av.impi);
    return Challenge(request, auth.username, impi, ue_gba_u, digest_ok);
  }
  if (auth.auts.has_value()) return Resync(request, auth, *std::move(pending), ue_gba_u);

  absl::StatusOr<std::string> expected =
      ComputeDigestResponse(auth, av.xres, request.method, AsBytes(request.body));
  if (!expected.ok()) {
    spdlog::error("Ub {}: cannot compute the digest: {}", request.peer,
                  ToString(expected.status().message()));
    return ServerError(expected.status());
  }
  if (!DigestEquals(*expected, auth.response)) {
    spdlog::info("Ub {}: wrong digest response from IMPI {}: 403 (vector discarded)", request.peer,
                 av.impi);
    return Plain(403, "authentication failed");
  }
  return Success(request, auth, *std::move(pending));
}

UbReply UbAuthenticator::Resync(const UbRequest& request, const DigestAuthorization& auth,
                                PendingChallenge pending, bool ue_gba_u) {
  const AuthVector& av = pending.av;
  absl::StatusOr<Bytes> auts = Base64Decode(*auth.auts);
  if (!auts.ok() || auts->size() != kAutsSize) {
    return Plain(400, "auts must be base64 of 14 bytes (RFC 3310 §3.4)");
  }
  // RFC 3310 §3.4: with auts, the response is computed over an empty password.
  absl::StatusOr<std::string> expected =
      ComputeDigestResponse(auth, SecretBytes(), request.method, AsBytes(request.body));
  if (!expected.ok()) return ServerError(expected.status());
  if (!DigestEquals(*expected, auth.response)) {
    spdlog::info("Ub {}: AUTS answer from IMPI {} has a wrong digest: 403", request.peer, av.impi);
    return Plain(403, "authentication failed");
  }
  absl::StatusOr<uint64_t> sqn_ms = generator_.Resync(av.impi, av.rand, *auts);
  if (!sqn_ms.ok()) {
    switch (sqn_ms.status().code()) {
      case absl::StatusCode::kUnauthenticated:
      case absl::StatusCode::kNotFound:
        spdlog::warn("Ub {}: resynchronisation refused for IMPI {}: {}", request.peer, av.impi,
                     ToString(sqn_ms.status().message()));
        return Plain(403, "synchronisation failure not authentic (MAC-S)");
      case absl::StatusCode::kInvalidArgument:
        return Plain(400, ToString(sqn_ms.status().message()));
      default:
        spdlog::error("Ub {}: resynchronisation of IMPI {} failed: {}", request.peer, av.impi,
                      ToString(sqn_ms.status().message()));
        return ServerError(sqn_ms.status());
    }
  }
  spdlog::info("Ub {}: IMPI {} resynchronised to SQN_MS {:012x}", request.peer, av.impi, *sqn_ms);
  // TS 24.109 §4.5: after resynchronisation the BSF sends a new challenge.
  return Challenge(request, pending.username, av.impi, ue_gba_u, /*stale=*/false);
}

UbReply UbAuthenticator::Success(const UbRequest& request, const DigestAuthorization& auth,
                                 PendingChallenge pending) {
  AuthVector& av = pending.av;
  // Lifetimes go on the wire in whole seconds (xs:dateTime); keep the stored expiry equal
  // to what the UE is told.
  const absl::Time now = absl::Now();
  const absl::Time created = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  const absl::Time expiry = created + absl::Seconds(absl::ToInt64Seconds(options_.lifetime));

  BsfSession session;
  // TS 33.220 §4.5.2: B-TID = base64(RAND)@BSF_servers_domain_name; RAND is fresh per
  // vector, so the B-TID is unique (Insert checks anyway).
  session.btid = absl::StrCat(Base64Encode(av.rand), "@", options_.bsf_name);
  session.impi = av.impi;
  session.rand = Bytes(av.rand.begin(), av.rand.end());
  session.ks = MakeKs(av.ck, av.ik);
  session.gba_type = av.gba_u ? GbaMode::kGbaU : GbaMode::kGbaMe;
  session.created = created;
  session.expiry = expiry;
  session.deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(expiry - now);

  const std::string body = FormatBootstrappingInfo({.btid = session.btid, .lifetime = expiry});
  // RFC 2617 §3.2.3: rspauth proves to the UE that the BSF knew XRES (mutual
  // authentication, TS 24.109 §4.2).
  absl::StatusOr<std::string> rspauth = ComputeRspauth(auth, av.xres, AsBytes(body));
  if (!rspauth.ok()) {
    spdlog::error("Ub {}: cannot compute rspauth: {}", request.peer,
                  ToString(rspauth.status().message()));
    return ServerError(rspauth.status());
  }
  const std::string btid = session.btid;
  const GbaMode mode = session.gba_type;
  // TS 33.220 Annex B.4: the TMPI from this Ks, as the UE derives it (on the card for GBA_U:
  // Ks_ext_NAF with the BSF's NAF_Id is the same KDF).
  std::optional<std::string> tmpi;
  if (options_.tmpi) {
    absl::StatusOr<std::string> derived =
        DeriveTmpi(session.ks, session.rand, session.impi, options_.bsf_name);
    if (derived.ok()) tmpi = *std::move(derived);
  }
  if (absl::Status s = sessions_.Insert(std::move(session)); !s.ok()) {
    spdlog::error("Ub {}: cannot store the session of IMPI {}: {}", request.peer, av.impi,
                  ToString(s.message()));
    return ServerError(
        s.code() == absl::StatusCode::kAlreadyExists ? absl::InternalError("B-TID collision") : s);
  }
  spdlog::info("Ub {}: IMPI {} bootstrapped ({}), B-TID {}, expires {}", request.peer, av.impi,
               GbaModeName(mode), btid, FormatUtcDateTime(expiry));
  if (tmpi.has_value()) {
    if (options_.forget_tmpis) {
      tmpis_.Clear();
    } else {
      tmpis_.Remember(*tmpi, av.impi, expiry);
    }
  }

  AuthenticationInfo info;
  info.qop = kQopAuthInt;
  info.rspauth = *rspauth;
  info.cnonce = auth.cnonce;
  info.nc = auth.nc;
  UbReply reply;
  reply.status = 200;
  reply.headers.emplace_back("Authentication-Info", FormatAuthenticationInfo(info));
  reply.content_type = kBsfContentType;
  reply.body = body;
  return reply;
}

}  // namespace gbabridge::bsf
