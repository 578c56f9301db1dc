// The one place that chooses how a session's NAF key is made (TS 33.220 §4.5.2, §5.3.2):
//   GBA_ME: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) in the ME (Annex B.3);
//   GBA_U:  Ks_ext_NAF from the UICC in NAF derivation mode (TS 31.102 §7.1.2.4), from the
//           Ks of this session's bootstrap only: the card's EF_GBABP must still name its
//           RAND and B-TID, else CardErrorReason::kGbaBootstrapChanged.
// Used by GbaClient (the CLI) and by the daemon's SessionManager.
#ifndef GBABRIDGE_BOOTSTRAP_CLIENT_NAF_KEY_DERIVATION_H_
#define GBABRIDGE_BOOTSTRAP_CLIENT_NAF_KEY_DERIVATION_H_

#include "absl/status/statusor.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "bootstrap/protocol/naf_id.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/usim.h"

namespace gbabridge {

// `usim` is the card the session was bootstrapped with; it is only touched for GBA_U and may
// be null for a GBA_ME session (which then costs no APDU).
absl::StatusOr<SecretBytes> DeriveSessionNafKey(const BootstrapSession& session, const NafId& naf,
                                                Usim* usim);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_CLIENT_NAF_KEY_DERIVATION_H_
