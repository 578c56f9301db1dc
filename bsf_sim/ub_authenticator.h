// UbAuthenticator: the BSF side of bootstrapping over Ub (TS 33.220 §4.5.2, TS 24.109 §4,
// RFC 3310 HTTP Digest AKA), independent of the HTTP library: one request in, one reply
// out. UbServer carries it over cpp-httplib.
//
// Request handling (gba-facts §3):
//  - No Authorization header: 400. A challenge needs the IMPI (TS 24.109 §4.2: the UE's
//    first request carries username=IMPI), and a 401 without WWW-Authenticate would break
//    RFC 7235 §3.1, so the request is refused as malformed.
//  - Authorization that does not parse, or a second answer without qop=auth-int, nc,
//    cnonce, response (32 hex), or with a uri other than the request-URI: 400.
//  - Empty nonce (the first request): a new vector, 401 with
//    WWW-Authenticate: Digest realm, nonce = base64(RAND || AUTN || id), algorithm=AKAv1-MD5,
//    qop="auth-int", opaque. Unknown IMPI: 403 (TS 24.109 §4.3 user authentication
//    failure; *unverified* that §4.3 names 403 for an unknown user: we follow gba-facts §3
//    and do not reveal more than "forbidden").
//  - A nonce the BSF does not hold (never issued, already answered, dropped): a fresh 401.
//    One it holds but older than nonce_timeout: a fresh 401, with stale=true when the old
//    digest was right (RFC 7616 §3.3: stale only for a valid digest on an old nonce).
//  - auts=...: the digest is checked with an empty password (RFC 3310 §3.4), then MAC-S
//    (TS 33.102 §6.3.5); right: the SQN is resynchronised and a fresh 401 goes out; wrong:
//    403.
//  - Digest response right (password = XRES, RFC 3310 §3.3): 200 with Authentication-Info
//    (rspauth over the body, RFC 2617 §3.2.3), Content-Type application/vnd.3gpp.bsf+xml,
//    BootstrappingInfo {B-TID = base64(RAND)@bsf_name, lifetime} (TS 24.109 Annex C), and
//    the session (Ks = CK || IK) in the SessionStore.
//  - Digest response wrong, or username/realm/opaque not those of the challenge: 403
//    (TS 24.109 §4.3; *unverified* code, per gba-facts §3).
//  In every case the answered vector is removed first, so it serves exactly one answer.
//  - The database cannot record the SQN (read-only, full): 503, and no vector is sent.
//  - A TMPI as username (TS 33.220 §4.5.2): the IMPI it stands for gets the challenge, and
//    the answer must carry the same TMPI. An unknown or expired TMPI: 403 with the body
//    "unknown TMPI: bootstrap again with the IMPI" (*unverified* code: TS 24.109 leaves the
//    BSF's answer open here; the UE falls back once). Every reply carries
//    `Server: bsf-sim/<version> 3gpp-gba-tmpi` when TMPI is on.
//
// Logs name IMPIs and B-TIDs, never RES, XRES, CK, IK or Ks.
#ifndef GBABRIDGE_BSF_SIM_UB_AUTHENTICATOR_H_
#define GBABRIDGE_BSF_SIM_UB_AUTHENTICATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bootstrap/protocol/digest_aka.h"
#include "bsf_sim/av_generator.h"
#include "bsf_sim/pending_challenges.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/tmpi_registry.h"

namespace gbabridge::bsf {

struct UbAuthenticatorOptions {
  std::string bsf_name;  // the B-TID's domain part (TS 33.220 §4.5.2)
  std::string realm;     // the digest realm of the challenge
  absl::Duration lifetime = absl::Hours(1);
  absl::Duration nonce_timeout = absl::Seconds(60);
  size_t max_pending = 10000;
  size_t max_pending_per_impi = 4;
  // TMPI (TS 33.220 §4.5.2, Annex B.4): advertise the product token 3gpp-gba-tmpi in the
  // Server header, keep each bootstrap's TMPI -> IMPI for the key lifetime, and take a TMPI
  // as the Digest username of a later bootstrap.
  bool tmpi = true;
  // For the UE's fallback test: still advertise TMPI but forget every TMPI at once, so a UE
  // that tries one is told to bootstrap with its IMPI.
  bool forget_tmpis = false;
  std::string server = "bsf-sim/0.1.0";  // first product token of the Server header
};

struct UbRequest {
  std::string method;                      // "GET" or "POST"
  std::string target;                      // request-target as sent
  std::string path;                        // its path part
  std::vector<std::string> authorization;  // every Authorization header value
  std::string user_agent;
  std::string body;
  std::string peer;  // for logs
};

struct UbReply {
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "text/plain";
  std::string body;
};

class UbAuthenticator {
 public:
  UbAuthenticator(UbAuthenticatorOptions options, AvGenerator& generator, SessionStore& sessions);

  UbReply Handle(const UbRequest& request);

  // Drops challenges older than twice the nonce timeout (between one and two timeouts
  // they are still recognised, to answer stale=true).
  size_t SweepPending();
  size_t PendingCount() const { return pending_.Size(); }
  size_t TmpiCount() const { return tmpis_.Size(); }

  const UbAuthenticatorOptions& options() const { return options_; }

 private:
  UbReply Dispatch(const UbRequest& request);
  UbReply Challenge(const UbRequest& request, const std::string& username, const std::string& impi,
                    bool ue_gba_u, bool stale);
  UbReply Answer(const UbRequest& request, const DigestAuthorization& auth, const std::string& impi,
                 bool ue_gba_u);
  UbReply Resync(const UbRequest& request, const DigestAuthorization& auth,
                 PendingChallenge pending, bool ue_gba_u);
  UbReply Success(const UbRequest& request, const DigestAuthorization& auth,
                  PendingChallenge pending);

  UbAuthenticatorOptions options_;
  AvGenerator& generator_;
  SessionStore& sessions_;
  PendingChallenges pending_;
  TmpiRegistry tmpis_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_UB_AUTHENTICATOR_H_
