#include "bootstrap/client/gba_client.h"

#include <openssl/rand.h>

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_error.h"
#include "bootstrap/client/ub_client.h"
#include "bootstrap/protocol/base64.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/digest_aka.h"
#include "bootstrap/protocol/gba_keys.h"
#include "uicc/base/identifiers.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

// nc is always 1: every challenge carries a fresh nonce (RFC 2617 §3.2.2).
constexpr char kNonceCount[] = "00000001";

// The outcome of AUTHENTICATE, whichever security context ran it.
struct AkaOutcome {
  bool sync_failure = false;
  SecretBytes res;
  SecretBytes ks;  // CK || IK, GBA_ME only
  Bytes auts;
};

absl::StatusOr<AkaOutcome> RunAka(Usim& usim, GbaMode mode, ByteView rand, ByteView autn) {
  AkaOutcome outcome;
  if (mode == GbaMode::kGbaU) {
    absl::StatusOr<GbaBootstrapResult> r = usim.AuthenticateGbaBootstrap(rand, autn);
    if (!r.ok()) return r.status();
    outcome.sync_failure = r->sync_failure;
    outcome.res = std::move(r->res);
    outcome.auts = std::move(r->auts);
    return outcome;
  }
  absl::StatusOr<Auth3gResult> r = usim.Authenticate3g(rand, autn);
  if (!r.ok()) return r.status();
  outcome.sync_failure = r->sync_failure;
  outcome.auts = std::move(r->auts);
  if (!r->sync_failure) {
    outcome.res = std::move(r->res);
    outcome.ks = MakeKs(r->ck, r->ik);
  }
  return outcome;
}

absl::StatusOr<std::string> RandomCnonce() {
  uint8_t bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("OpenSSL's random generator failed; cannot make a cnonce");
  }
  return HexEncode(bytes);
}

absl::Status Malformed(const UbClient& ub, absl::string_view what) {
  return GbaError(GbaErrorReason::kBsfMalformedReply,
                  absl::StrCat("unexpected reply from the BSF at ", ub.url(), ": ", what));
}

// Finds the AKAv1-MD5 Digest challenge among the 401's WWW-Authenticate headers.
absl::StatusOr<DigestChallenge> ReadChallenge(const UbClient& ub, const UbHttpResponse& r) {
  if (r.status == 403) {
    return GbaError(GbaErrorReason::kBsfForbidden,
                    absl::StrCat("BSF at ", ub.url(), " refused this subscriber (403)"));
  }
  if (r.status != 401) {
    return Malformed(ub, absl::StrCat("HTTP ", r.status, " where a 401 challenge was expected"));
  }
  for (const std::string& value : r.Values("www-authenticate")) {
    absl::StatusOr<DigestChallenge> c = ParseWwwAuthenticate(value);
    if (!c.ok() || !absl::EqualsIgnoreCase(c->algorithm, kAkaV1Md5)) continue;
    if (!absl::StrContains(c->qop, kQopAuthInt)) {
      return Malformed(ub, "the AKAv1-MD5 challenge does not offer qop=auth-int");
    }
    return c;
  }
  return Malformed(ub, "401 without a Digest AKAv1-MD5 challenge");
}

}  // namespace

GbaClient::GbaClient(Usim& usim, GbaClientOptions options)
    : usim_(usim), options_(std::move(options)) {}

absl::StatusOr<GbaMode> GbaClient::ChooseMode() {
  if (options_.force_gba_me) return GbaMode::kGbaMe;
  // TS 33.220 §5.3.1: a GBA-aware UICC (UST service n°68) runs GBA_U.
  absl::StatusOr<bool> gba_u = usim_.IsGbaCapable();
  if (!gba_u.ok()) return gba_u.status();
  return *gba_u ? GbaMode::kGbaU : GbaMode::kGbaMe;
}

absl::StatusOr<std::string> GbaClient::ResolveBsfUrl() {
  if (!options_.bsf_url.empty()) return options_.bsf_url;
  absl::StatusOr<Imsi> imsi = usim_.ReadImsi();
  if (!imsi.ok()) return imsi.status();
  return absl::StrCat("https://", DeriveBsfFqdn(*imsi), "/");
}

absl::StatusOr<BootstrapSession> GbaClient::Bootstrap(BootstrapStats* stats) {
  BootstrapStats local_stats;
  if (stats == nullptr) stats = &local_stats;
  *stats = BootstrapStats();

  absl::StatusOr<std::string> url = ResolveBsfUrl();
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> impi = usim_.ResolveImpi();
  if (!impi.ok()) return impi.status();
  absl::StatusOr<GbaMode> mode = ChooseMode();
  if (!mode.ok()) return mode.status();
  absl::StatusOr<std::unique_ptr<UbClient>> ub =
      UbClient::Create({.bsf_url = *url,
                        .ca_file = options_.ca_file,
                        .connect_timeout = options_.connect_timeout,
                        .total_timeout = options_.total_timeout});
  if (!ub.ok()) return ub.status();

  // TS 24.109 §4.4.2 / Annex B: the product tokens say what the UE supports; a GBA_U UE
  // also sends 3gpp-gba-uicc.
  const std::string user_agent = absl::StrCat(options_.product, " 3gpp-gba-tmpi",
                                              *mode == GbaMode::kGbaU ? " 3gpp-gba-uicc" : "");
  const std::string uri = (*ub)->RequestUri();
  const size_t at = impi->find('@');
  // TS 24.109 §4.4.2: the initial request's realm is the home network domain of the IMPI.
  const std::string home_realm = at == std::string::npos ? *impi : impi->substr(at + 1);

  auto send = [&](const DigestAuthorization& authorization) -> absl::StatusOr<UbHttpResponse> {
    ++stats->ub_requests;
    const absl::Time start = absl::Now();
    absl::StatusOr<UbHttpResponse> r =
        (*ub)->Get({"Authorization: " + FormatAuthorization(authorization)}, user_agent);
    stats->ub_time += absl::Now() - start;
    return r;
  };

  DigestAuthorization initial{.username = *impi,
                              .realm = home_realm,
                              .nonce = "",
                              .uri = uri,
                              .response = "",
                              .algorithm = {},
                              .qop = {},
                              .nc = {},
                              .cnonce = {},
                              .opaque = {},
                              .auts = {}};
  absl::StatusOr<UbHttpResponse> reply = send(initial);
  if (!reply.ok()) return reply.status();

  for (int round = 0;; ++round) {
    absl::StatusOr<DigestChallenge> challenge = ReadChallenge(**ub, *reply);
    if (!challenge.ok()) return challenge.status();
    absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(challenge->nonce);
    if (!nonce.ok())
      return Malformed(**ub, absl::StrCat("bad AKA nonce: ", nonce.status().message()));

    ++stats->card_authentications;
    const absl::Time card_start = absl::Now();
    absl::StatusOr<AkaOutcome> aka = RunAka(usim_, *mode, nonce->rand, nonce->autn);
    stats->card_time += absl::Now() - card_start;
    if (!aka.ok()) {
      if (GetCardErrorReason(aka.status()) == CardErrorReason::kAuthMacFailure) {
        // TS 33.102 §6.3.3: the network is not authentic. Do not answer the challenge.
        return GbaError(
            GbaErrorReason::kNetworkAuthFailed,
            absl::StrCat("network authentication failed: AUTN MAC invalid (the BSF at ", *url,
                         " did not prove it knows the subscriber key); "
                         "bootstrap stopped"));
      }
      return aka.status();
    }

    absl::StatusOr<std::string> cnonce = RandomCnonce();
    if (!cnonce.ok()) return cnonce.status();
    DigestAuthorization answer{.username = *impi,
                               .realm = challenge->realm,
                               .nonce = challenge->nonce,
                               .uri = uri,
                               .response = "",
                               .algorithm = kAkaV1Md5,
                               .qop = kQopAuthInt,
                               .nc = kNonceCount,
                               .cnonce = *cnonce,
                               .opaque = challenge->opaque,
                               .auts = {}};
    if (aka->sync_failure) {
      if (round > 0) {
        return GbaError(GbaErrorReason::kSyncFailed,
                        "the card still reports a synchronisation failure after one "
                        "resynchronisation with the BSF");
      }
      // RFC 3310 §3.4: send AUTS, with the response computed over an empty password.
      stats->resynchronised = true;
      answer.auts = Base64Encode(aka->auts);
      absl::StatusOr<std::string> response =
          ComputeDigestResponse(answer, SecretBytes(), "GET", {});
      if (!response.ok()) return response.status();
      answer.response = *response;
      reply = send(answer);
      if (!reply.ok()) return reply.status();
      continue;
    }

    absl::StatusOr<std::string> response = ComputeDigestResponse(answer, aka->res, "GET", {});
    if (!response.ok()) return response.status();
    answer.response = *response;
    reply = send(answer);
    if (!reply.ok()) return reply.status();
    if (reply->status == 403 || reply->status == 401) {
      return GbaError(GbaErrorReason::kBsfForbidden,
                      absl::StrCat("BSF at ", *url, " did not accept the authentication response (",
                                   reply->status, ")"));
    }
    if (reply->status != 200) {
      return Malformed(**ub, absl::StrCat("HTTP ", reply->status, " after the digest response"));
    }

    // Mutual authentication (TS 24.109 §4.4.4, RFC 2617 §3.2.3): the BSF proves it knew
    // XRES by rspauth over the response body.
    std::vector<std::string> info_headers = reply->Values("authentication-info");
    if (info_headers.empty()) {
      return GbaError(GbaErrorReason::kBsfNotAuthentic,
                      "BSF sent 200 without Authentication-Info: it did not prove it knows RES");
    }
    absl::StatusOr<AuthenticationInfo> info = ParseAuthenticationInfo(info_headers.front());
    if (!info.ok())
      return Malformed(**ub, absl::StrCat("Authentication-Info: ", info.status().message()));
    absl::StatusOr<std::string> expected = ComputeRspauth(answer, aka->res, AsBytes(reply->body));
    if (!expected.ok()) return expected.status();
    if (!DigestEquals(info->rspauth, *expected) ||
        (info->cnonce.has_value() && *info->cnonce != *answer.cnonce) ||
        (info->nc.has_value() && *info->nc != kNonceCount)) {
      return GbaError(GbaErrorReason::kBsfNotAuthentic,
                      "BSF's rspauth is wrong: it did not prove it knows RES (possible "
                      "man in the middle)");
    }
    absl::StatusOr<BootstrappingInfo> bootstrapping = ParseBootstrappingInfo(reply->body);
    if (!bootstrapping.ok()) return Malformed(**ub, bootstrapping.status().message());
    const absl::Time now = absl::Now();
    if (bootstrapping->lifetime <= now) {
      return Malformed(**ub, "the key lifetime is already over");
    }

    BootstrapSession session;
    session.btid = bootstrapping->btid;
    session.rand = nonce->rand;
    session.impi = *impi;
    session.mode = *mode;
    session.expiry = bootstrapping->lifetime;
    session.bootstrapped_at = now;
    session.ks = std::move(aka->ks);
    if (*mode == GbaMode::kGbaU) {
      // TS 33.220 §5.3.2 / TS 31.102 §4.2.79: the ME stores B-TID and lifetime on the card,
      // next to the RAND the card keeps with Ks.
      absl::Status stored = usim_.WriteGbaBootstrapParameters(
          {session.rand, session.btid, FormatUtcDateTime(session.expiry)});
      if (!stored.ok()) return stored;
    }
    return session;
  }
}

absl::StatusOr<SecretBytes> GbaClient::DeriveNafKey(const BootstrapSession& session,
                                                    const NafId& naf) {
  if (session.mode == GbaMode::kGbaU) {
    // TS 33.220 §5.3.2: Ks_ext_NAF is computed on the UICC (NAF derivation mode), from the
    // Ks of this session only (EF_GBABP must still name it).
    return usim_.DeriveKsExtNafForBootstrap(naf.Encode(), session.impi, session.rand, session.btid);
  }
  if (session.ks.empty()) {
    return absl::FailedPreconditionError("this GBA_ME session holds no Ks (was it wiped?)");
  }
  return DeriveKsNaf(session.ks, session.rand, session.impi, naf);
}

}  // namespace gbabridge
