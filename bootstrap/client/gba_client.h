// GbaClient: runs one GBA bootstrap (TS 33.220 §4.5.2, TS 24.109 §4) with the USIM and
// the BSF, then derives NAF keys (TS 33.220 §4.5.3 GBA_ME, §5.3 GBA_U).
//
//   1. Read the IMSI/IMPI; choose GBA_U when EF_UST service n°68 is set (unless forced
//      to GBA_ME).
//   2. Ub: GET with the IMPI -> 401 with RAND/AUTN in the nonce.
//   3. AUTHENTICATE on the card (3G context for GBA_ME, GBA context for GBA_U). A MAC
//      failure stops here: the challenge is not answered. A sync failure sends AUTS once.
//   4. Ub: GET with the digest response -> 200; rspauth is verified (mutual
//      authentication) and BootstrappingInfo gives the B-TID and lifetime.
//   5. GBA_ME keeps Ks = CK || IK; GBA_U writes RAND/B-TID/lifetime into EF_GBABP and keeps
//      nothing secret: Ks stays on the card.
#ifndef GBABRIDGE_BOOTSTRAP_CLIENT_GBA_CLIENT_H_
#define GBABRIDGE_BOOTSTRAP_CLIENT_GBA_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "bootstrap/protocol/naf_id.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/usim.h"

namespace gbabridge {

struct GbaClientOptions {
  std::string bsf_url;  // empty: https:// + the BSF FQDN derived from the IMSI (TS 23.003 §16.2)
  std::string ca_file;  // empty: the system CA store
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(20);
  bool force_gba_me = false;
  std::string product = "gbabridge/0.1.0";  // first User-Agent product token
};

// What a bootstrap cost, for diagnostics and benchmarks.
struct BootstrapStats {
  int ub_requests = 0;
  int card_authentications = 0;   // AKA runs (bootstrapping mode for GBA_U)
  int card_tmpi_derivations = 0;  // GBA_U: NAF derivation mode for the TMPI
  bool resynchronised = false;
  bool tmpi_used = false;      // the first request named the TMPI, not the IMPI
  bool tmpi_fallback = false;  // the BSF did not know the TMPI: the IMPI was used after all
  absl::Duration card_time;
  absl::Duration ub_time;
};

// The TMPI of an earlier bootstrap and the IMPI it stands for (TS 33.220 §4.5.2).
struct TmpiHint {
  std::string tmpi;
  std::string impi;
};

class GbaClient {
 public:
  GbaClient(Usim& usim, GbaClientOptions options);

  // With `tmpi` (from the previous bootstrap, whose BSF advertised 3gpp-gba-tmpi), the
  // first request names the TMPI instead of the IMPI if it belongs to this card's IMPI; a
  // BSF that does not know it (403) gets the IMPI, once. The new session's TMPI is derived
  // when this BSF advertises the token (GBA_U: one more AUTHENTICATE, NAF derivation mode).
  absl::StatusOr<BootstrapSession> Bootstrap(BootstrapStats* stats = nullptr,
                                             const TmpiHint* tmpi = nullptr);

  // Ks_NAF (GBA_ME, from Ks with the KDF) or Ks_ext_NAF (GBA_U, from the card, which must
  // still hold this session's bootstrap: else CardErrorReason::kGbaBootstrapChanged).
  absl::StatusOr<SecretBytes> DeriveNafKey(const BootstrapSession& session, const NafId& naf);

  // The BSF URL used for this card (configured, or derived from the IMSI).
  absl::StatusOr<std::string> ResolveBsfUrl();

 private:
  absl::StatusOr<GbaMode> ChooseMode();
  absl::StatusOr<std::string> DeriveSessionTmpi(const BootstrapSession& session,
                                                BootstrapStats& stats);

  Usim& usim_;
  GbaClientOptions options_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_CLIENT_GBA_CLIENT_H_
