#include "bootstrap/client/naf_key_derivation.h"

#include "absl/status/status.h"
#include "bootstrap/protocol/key_derivation.h"

namespace gbabridge {

absl::StatusOr<SecretBytes> DeriveSessionNafKey(const BootstrapSession& session, const NafId& naf,
                                                Usim* usim) {
  if (session.mode == GbaMode::kGbaU) {
    if (usim == nullptr) {
      return absl::FailedPreconditionError("a GBA_U session needs its card to derive Ks_ext_NAF");
    }
    // TS 33.220 §5.3.2: Ks_ext_NAF is computed on the UICC.
    return usim->DeriveKsExtNafForBootstrap(naf.Encode(), session.impi, session.rand, session.btid);
  }
  if (session.ks.empty()) {
    return absl::FailedPreconditionError("this GBA_ME session holds no Ks (was it wiped?)");
  }
  // TS 33.220 §4.5.2, Annex B.3: in the ME, no card access.
  return DeriveKsNaf(session.ks, session.rand, session.impi, naf);
}

}  // namespace gbabridge
