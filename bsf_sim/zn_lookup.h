// ZnLookup: the BSF's answer to a NAF's key request, whatever the transport (TS 33.220
// §4.5.3 steps 3-4, §5.3.3 for GBA_U; TS 29.109 §4.3). The gRPC Zn service and the
// Diameter Zn server both call it, over the same session and subscriber stores.
//
// Order of checks, each with its refusal:
//  1. B-TID well formed (TS 33.220 §4.5.2)                         kBadBtid
//  2. NAF_Id well formed (FQDN || Ua id, Annex H)                   kBadNafId
//  3. the NAF_Id's FQDN is one of the caller's own names            kNafNotAuthorized
//     (§4.5.3: the NAF may only obtain keys bound to its own FQDN)
//  4. the session exists and has not expired                        kUnknownBtid
//  5. the subscriber's USS (§4.4.6) list the NAF or its service      kNotInUss
//     (checked before any key is derived)
// Then: Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U), plus Ks_int_NAF for a GBA_U session to a
// GBA_U-aware NAF (§5.3.3, B.3), the IMPI, times, GBA type and the USS.
#ifndef GBABRIDGE_BSF_SIM_ZN_LOOKUP_H_
#define GBABRIDGE_BSF_SIM_ZN_LOOKUP_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/bootstrap_session.h"
#include "bsf_sim/naf_services.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/subscriber_store.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf {

struct ZnKeyRequest {
  std::string btid;
  std::string naf_fqdn;
  Bytes ua_security_protocol_id;             // 5 octets
  std::vector<std::string> gaa_service_ids;  // GSIDs, in the NAF's order; may be empty
  bool gba_u_aware = false;
};

struct ZnKeys {
  std::string impi;
  SecretBytes ks_naf;  // Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U)
  std::optional<SecretBytes> ks_int_naf;
  absl::Time key_expiry;
  absl::Time bootstrap_time;
  GbaMode gba_type = GbaMode::kGbaMe;
  std::optional<Bytes> user_security_settings;
};

enum class ZnRefusal {
  kNone,
  kBadBtid,
  kBadNafId,
  kNafNotAuthorized,
  kUnknownBtid,
  kNotInUss,
  kStoreUnavailable,
  kInternal,
};

struct ZnLookupResult {
  ZnRefusal refusal = ZnRefusal::kNone;
  std::string message;  // for the NAF, when refused
  ZnKeys keys;          // when not refused
  bool ok() const { return refusal == ZnRefusal::kNone; }
};

class ZnLookup {
 public:
  // `subscribers` may be null: then no USS is checked or returned. `naf_services`: the GAA
  // services each NAF may name (naf_services.h).
  ZnLookup(const SessionStore& sessions, SubscriberStore* subscribers,
           NafServices naf_services = {});

  // `caller_names`: the FQDNs the authenticated NAF is (lower case); `peer` names it in
  // the log ("Zn ipv4:127.0.0.1:5555", "Zn/Diameter naf.example.com").
  ZnLookupResult Lookup(const ZnKeyRequest& request, const std::vector<std::string>& caller_names,
                        std::string_view peer) const;

 private:
  const SessionStore& sessions_;
  NafServices naf_services_;
  SubscriberStore* subscribers_;
};

// B-TID syntax (TS 33.220 §4.5.2): "base64(RAND)@domain", printable ASCII, <= 255 chars.
absl::Status ValidateBtid(std::string_view btid);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_ZN_LOOKUP_H_
