#include "bootstrap/client/gba_client.h"

#include <openssl/rand.h>

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_error.h"
#include "bootstrap/client/naf_key_derivation.h"
#include "bootstrap/client/ub_client.h"
#include "bootstrap/protocol/base64.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/digest_aka.h"
#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/product_tokens.h"
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

// One bootstrap's exchange with the BSF over Ub (TS 24.109 §4.4, RFC 3310), in the three
// steps of TS 33.220 §4.5.2: request a challenge, answer it with the card, verify the BSF.
class UbExchange {
 public:
  UbExchange(Usim& usim, UbClient& ub, GbaMode mode, std::string impi, std::string user_agent,
             BootstrapStats& stats)
      : usim_(usim),
        ub_(ub),
        mode_(mode),
        impi_(std::move(impi)),
        user_agent_(std::move(user_agent)),
        uri_(ub.RequestUri()),
        stats_(stats) {}

  // Step 1 (TS 24.109 §4.4.2): a request with the IMPI as username and no response; the
  // BSF answers 401 with the AKA challenge.
  absl::StatusOr<UbHttpResponse> RequestChallenge(const std::string& username) {
    username_ = username;
    // TS 24.109 §4.4.2: the initial request's realm is the home network domain of the IMPI.
    const size_t at = impi_.find('@');
    const std::string home_realm = at == std::string::npos ? impi_ : impi_.substr(at + 1);
    return Send({.username = username_,
                 .realm = home_realm,
                 .nonce = "",
                 .uri = uri_,
                 .response = "",
                 .algorithm = {},
                 .qop = {},
                 .nc = {},
                 .cnonce = {},
                 .opaque = {},
                 .auts = {}});
  }

  struct Answered {
    UbHttpResponse reply;  // the BSF's reply to our answer
    DigestAuthorization answer;
    Bytes rand;
    AkaOutcome aka;
  };

  // Step 2 (TS 33.220 §4.5.2 steps 3-4): one AUTHENTICATE on the card, and the Digest answer:
  // RES, or AUTS on a synchronisation failure (RFC 3310 §3.4), which `may_resynchronise`
  // allows once.
  absl::StatusOr<Answered> AnswerChallenge(const UbHttpResponse& challenge_reply,
                                           bool may_resynchronise) {
    absl::StatusOr<DigestChallenge> challenge = ReadChallenge(ub_, challenge_reply);
    if (!challenge.ok()) return challenge.status();
    absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(challenge->nonce);
    if (!nonce.ok()) {
      return Malformed(ub_, absl::StrCat("bad AKA nonce: ", nonce.status().message()));
    }

    ++stats_.card_authentications;
    const absl::Time card_start = absl::Now();
    absl::StatusOr<AkaOutcome> aka = RunAka(usim_, mode_, nonce->rand, nonce->autn);
    stats_.card_time += absl::Now() - card_start;
    if (!aka.ok()) {
      if (GetCardErrorReason(aka.status()) == CardErrorReason::kAuthMacFailure) {
        // TS 33.102 §6.3.3: the network is not authentic. Do not answer the challenge.
        return GbaError(
            GbaErrorReason::kNetworkAuthFailed,
            absl::StrCat("network authentication failed: AUTN MAC invalid (the BSF at ", ub_.url(),
                         " did not prove it knows the subscriber key); bootstrap stopped"));
      }
      return aka.status();
    }
    if (aka->sync_failure && !may_resynchronise) {
      return GbaError(GbaErrorReason::kSyncFailed,
                      "the card still reports a synchronisation failure after one "
                      "resynchronisation with the BSF");
    }

    absl::StatusOr<std::string> cnonce = RandomCnonce();
    if (!cnonce.ok()) return cnonce.status();
    Answered answered{.reply = {},
                      .answer = {.username = username_,
                                 .realm = challenge->realm,
                                 .nonce = challenge->nonce,
                                 .uri = uri_,
                                 .response = "",
                                 .algorithm = kAkaV1Md5,
                                 .qop = kQopAuthInt,
                                 .nc = kNonceCount,
                                 .cnonce = *cnonce,
                                 .opaque = challenge->opaque,
                                 .auts = {}},
                      .rand = nonce->rand,
                      .aka = std::move(*aka)};
    if (answered.aka.sync_failure) {
      // RFC 3310 §3.4: send AUTS, with the response computed over an empty password.
      stats_.resynchronised = true;
      answered.answer.auts = Base64Encode(answered.aka.auts);
    }
    const SecretBytes no_password;
    absl::StatusOr<std::string> response = ComputeDigestResponse(
        answered.answer, answered.aka.sync_failure ? no_password : answered.aka.res, "GET", {});
    if (!response.ok()) return response.status();
    answered.answer.response = *response;
    absl::StatusOr<UbHttpResponse> reply = Send(answered.answer);
    if (!reply.ok()) return reply.status();
    answered.reply = *std::move(reply);
    return answered;
  }

  // Step 3 (TS 24.109 §4.4.4): the BSF accepted RES and proves with rspauth that it knew
  // XRES; its body carries the B-TID and the key lifetime (TS 24.109 Annex C).
  absl::StatusOr<BootstrapSession> Verify(Answered& answered) {
    const UbHttpResponse& reply = answered.reply;
    if (reply.status == 403 || reply.status == 401) {
      return GbaError(
          GbaErrorReason::kBsfForbidden,
          absl::StrCat("BSF at ", ub_.url(), " did not accept the authentication response (",
                       reply.status, ")"));
    }
    if (reply.status != 200) {
      return Malformed(ub_, absl::StrCat("HTTP ", reply.status, " after the digest response"));
    }
    // Mutual authentication (RFC 2617 §3.2.3): rspauth over the response body.
    std::vector<std::string> info_headers = reply.Values("authentication-info");
    if (info_headers.empty()) {
      return GbaError(GbaErrorReason::kBsfNotAuthentic,
                      "BSF sent 200 without Authentication-Info: it did not prove it knows RES");
    }
    absl::StatusOr<AuthenticationInfo> info = ParseAuthenticationInfo(info_headers.front());
    if (!info.ok()) {
      return Malformed(ub_, absl::StrCat("Authentication-Info: ", info.status().message()));
    }
    absl::StatusOr<std::string> expected =
        ComputeRspauth(answered.answer, answered.aka.res, AsBytes(reply.body));
    if (!expected.ok()) return expected.status();
    if (!DigestEquals(info->rspauth, *expected) ||
        (info->cnonce.has_value() && *info->cnonce != *answered.answer.cnonce) ||
        (info->nc.has_value() && *info->nc != kNonceCount)) {
      return GbaError(GbaErrorReason::kBsfNotAuthentic,
                      "BSF's rspauth is wrong: it did not prove it knows RES (possible "
                      "man in the middle)");
    }
    absl::StatusOr<BootstrappingInfo> bootstrapping = ParseBootstrappingInfo(reply.body);
    if (!bootstrapping.ok()) return Malformed(ub_, bootstrapping.status().message());
    const absl::Time now = absl::Now();
    if (bootstrapping->lifetime <= now) return Malformed(ub_, "the key lifetime is already over");

    BootstrapSession session;
    session.btid = bootstrapping->btid;
    session.rand = std::move(answered.rand);
    session.impi = impi_;
    session.mode = mode_;
    session.expiry = bootstrapping->lifetime;
    session.bootstrapped_at = now;
    session.ks = std::move(answered.aka.ks);
    return session;
  }

 private:
  absl::StatusOr<UbHttpResponse> Send(const DigestAuthorization& authorization) {
    ++stats_.ub_requests;
    const absl::Time start = absl::Now();
    absl::StatusOr<UbHttpResponse> r =
        ub_.Get({"Authorization: " + FormatAuthorization(authorization)}, user_agent_);
    stats_.ub_time += absl::Now() - start;
    return r;
  }

  Usim& usim_;
  UbClient& ub_;
  const GbaMode mode_;
  const std::string impi_;
  std::string username_;  // the IMPI, or the TMPI standing for it
  const std::string user_agent_;
  const std::string uri_;
  BootstrapStats& stats_;
};

// TS 24.109 §4.4.2: the BSF's Server header carries the product token 3gpp-gba-tmpi when it
// takes a TMPI as username.
bool OffersTmpi(const UbHttpResponse& reply) {
  for (const std::string& server : reply.Values("server")) {
    if (HasProductToken(server, kTokenGbaTmpi)) return true;
  }
  return false;
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

absl::StatusOr<BootstrapSession> GbaClient::Bootstrap(BootstrapStats* stats, const TmpiHint* tmpi) {
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
  const std::string user_agent =
      absl::StrCat(options_.product, " ", kTokenGbaTmpi,
                   *mode == GbaMode::kGbaU ? absl::StrCat(" ", kTokenGbaUicc) : std::string());
  UbExchange exchange(usim_, **ub, *mode, *impi, user_agent, *stats);

  const bool try_tmpi = tmpi != nullptr && !tmpi->tmpi.empty() && tmpi->impi == *impi;
  absl::StatusOr<UbHttpResponse> challenge =
      exchange.RequestChallenge(try_tmpi ? tmpi->tmpi : *impi);
  if (!challenge.ok()) return challenge.status();
  stats->tmpi_used = try_tmpi;
  if (try_tmpi && (challenge->status == 403 || challenge->status == 404)) {
    // TS 33.220 §4.5.2: a BSF that cannot resolve the TMPI needs the IMPI; once.
    stats->tmpi_fallback = true;
    challenge = exchange.RequestChallenge(*impi);
    if (!challenge.ok()) return challenge.status();
  }
  bool bsf_offers_tmpi = OffersTmpi(*challenge);
  absl::StatusOr<UbExchange::Answered> answered =
      exchange.AnswerChallenge(*challenge, /*may_resynchronise=*/true);
  if (!answered.ok()) return answered.status();
  if (answered->aka.sync_failure) {
    // RFC 3310 §3.4: the BSF answers AUTS with a fresh challenge from the resynchronised HSS.
    answered = exchange.AnswerChallenge(answered->reply, /*may_resynchronise=*/false);
    if (!answered.ok()) return answered.status();
  }
  bsf_offers_tmpi = bsf_offers_tmpi || OffersTmpi(answered->reply);
  absl::StatusOr<BootstrapSession> session = exchange.Verify(*answered);
  if (!session.ok()) return session.status();

  if (*mode == GbaMode::kGbaU) {
    // TS 33.220 §5.3.2 / TS 31.102 §4.2.79: the ME stores B-TID and lifetime on the card,
    // next to the RAND the card keeps with Ks.
    absl::Status stored = usim_.WriteGbaBootstrapParameters(
        {session->rand, session->btid, FormatUtcDateTime(session->expiry)});
    if (!stored.ok()) return stored;
  }
  if (bsf_offers_tmpi) {
    // Not fatal: without a TMPI the next bootstrap names the IMPI, as before.
    absl::StatusOr<std::string> derived = DeriveSessionTmpi(*session, *stats);
    if (derived.ok()) session->tmpi = *std::move(derived);
  }
  return session;
}

absl::StatusOr<std::string> GbaClient::DeriveSessionTmpi(const BootstrapSession& session,
                                                         BootstrapStats& stats) {
  // TS 33.220 B.4: the BSF_Id is the BSF's DNS name as used in the B-TID.
  const size_t at = session.btid.rfind('@');
  if (at == std::string::npos) return absl::InvalidArgumentError("B-TID without a BSF name");
  const std::string bsf_fqdn = session.btid.substr(at + 1);
  if (session.mode == GbaMode::kGbaMe) {
    return DeriveTmpi(session.ks, session.rand, session.impi, bsf_fqdn);
  }
  // GBA_U: Ks stays on the card, which derives Ks_ext_NAF for the BSF's NAF_Id.
  absl::StatusOr<NafId> bsf_id = TmpiNafId(bsf_fqdn);
  if (!bsf_id.ok()) return bsf_id.status();
  ++stats.card_tmpi_derivations;
  absl::StatusOr<SecretBytes> key =
      usim_.DeriveKsExtNafForBootstrap(bsf_id->Encode(), session.impi, session.rand, session.btid);
  if (!key.ok()) return key.status();
  return TmpiFromKey(*key);
}

absl::StatusOr<SecretBytes> GbaClient::DeriveNafKey(const BootstrapSession& session,
                                                    const NafId& naf) {
  return DeriveSessionNafKey(session, naf, &usim_);
}

}  // namespace gbabridge
