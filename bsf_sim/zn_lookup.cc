#include "bsf_sim/zn_lookup.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {
namespace {

ZnLookupResult Refuse(ZnRefusal refusal, std::string message) {
  ZnLookupResult result;
  result.refusal = refusal;
  result.message = std::move(message);
  return result;
}

}  // namespace

absl::Status ValidateBtid(std::string_view btid) {
  if (btid.empty()) return absl::InvalidArgumentError("the B-TID is empty");
  if (btid.size() > 255)
    return absl::InvalidArgumentError("the B-TID is longer than 255 characters");
  const size_t at = btid.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == btid.size()) {
    return absl::InvalidArgumentError(
        "the B-TID must have the form base64(RAND)@bsf-domain (TS 33.220 §4.5.2)");
  }
  for (char c : btid) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return absl::InvalidArgumentError("the B-TID must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

ZnLookup::ZnLookup(const SessionStore& sessions, SubscriberStore* subscribers,
                   NafServices naf_services)
    : sessions_(sessions), naf_services_(std::move(naf_services)), subscribers_(subscribers) {}

ZnLookupResult ZnLookup::Lookup(const ZnKeyRequest& request,
                                const std::vector<std::string>& caller_names,
                                std::string_view peer_view) const {
  const std::string peer(peer_view);
  if (absl::Status s = ValidateBtid(request.btid); !s.ok()) {
    return Refuse(ZnRefusal::kBadBtid, ToString(s.message()));
  }
  absl::StatusOr<UaSecurityProtocolId> ua =
      UaSecurityProtocolId::FromBytes(request.ua_security_protocol_id);
  if (!ua.ok()) {
    return Refuse(ZnRefusal::kBadNafId,
                  absl::StrCat("ua_security_protocol_id: ", ToString(ua.status().message()),
                               " (5 bytes, TS 33.220 Annex H)"));
  }
  absl::StatusOr<NafId> naf = NafId::Create(request.naf_fqdn, *ua);
  if (!naf.ok()) {
    return Refuse(ZnRefusal::kBadNafId,
                  absl::StrCat("naf_fqdn: ", ToString(naf.status().message())));
  }
  const std::string names = absl::StrJoin(caller_names, ",");
  if (std::find(caller_names.begin(), caller_names.end(), naf->fqdn()) == caller_names.end()) {
    spdlog::warn("{}: NAF {} asked for the key of NAF {}: denied", peer, names, naf->fqdn());
    return Refuse(
        ZnRefusal::kNafNotAuthorized,
        absl::StrCat("NAF ", names, " may only ask for keys of its own FQDN, not ", naf->fqdn()));
  }

  // TS 33.220 §4.4.6: a service's USS (and passing a USS list by it) only for a NAF the
  // BSF knows runs that service.
  for (const std::string& gsid : request.gaa_service_ids) {
    if (!NafMayName(naf_services_, naf->fqdn(), gsid)) {
      const std::string shown = absl::CHexEscape(gsid.substr(0, 64));
      spdlog::warn("{}: NAF {} named GAA service \"{}\" it is not configured for: denied", peer,
                   naf->fqdn(), shown);
      return Refuse(ZnRefusal::kNafNotAuthorized,
                    absl::StrCat("NAF ", naf->fqdn(), " may not name GAA service \"", shown,
                                 "\": the BSF runs with no --naf-service ", naf->fqdn(), "=", shown,
                                 " (TS 33.220 §4.4.6)"));
    }
  }

  absl::StatusOr<BsfSession> session = sessions_.Lookup(request.btid);
  if (!session.ok()) {
    spdlog::info("{}: NAF {}: B-TID {} unknown or expired", peer, naf->fqdn(), request.btid);
    return Refuse(ZnRefusal::kUnknownBtid,
                  absl::StrCat("B-TID ", request.btid,
                               " is unknown or expired: make the UE bootstrap again "
                               "(TS 24.109 §5.2.4 bootstrapping required indication)"));
  }

  ZnLookupResult result;
  ZnKeys& keys = result.keys;
  const bool gba_u = session->gba_type == GbaMode::kGbaU;
  // The USS first: a NAF the subscriber's USS do not list gets no key derived.
  if (subscribers_ != nullptr) {
    absl::StatusOr<SubscriberStore::UssLookup> uss = subscribers_->LookUpUserSecuritySettings(
        session->impi, naf->fqdn(), request.gaa_service_ids);
    if (!uss.ok()) {
      spdlog::error("{}: cannot read USS: {}", peer, ToString(uss.status().message()));
      return Refuse(ZnRefusal::kStoreUnavailable,
                    "the subscriber database cannot be read; retry later");
    }
    if (uss->listed && !uss->uss.has_value()) {
      // TS 33.220 §4.4.6: with a USS list the operator names the services the subscriber
      // may use; a NAF (or service) it does not list gets no key.
      const std::string services = absl::StrJoin(request.gaa_service_ids, ",");
      spdlog::info("{}: NAF {} (services \"{}\") refused: not in the USS of IMPI {}", peer,
                   naf->fqdn(), services, session->impi);
      return Refuse(
          ZnRefusal::kNotInUss,
          absl::StrCat(
              "the subscriber's user security settings list neither NAF ", naf->fqdn(),
              services.empty() ? std::string() : absl::StrCat(" nor GAA service ", services),
              " (TS 33.220 §4.4.6)"));
    }
    keys.user_security_settings = uss->uss;
  }
  // TS 33.220 B.3: Ks_NAF / Ks_ext_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id).
  absl::StatusOr<SecretBytes> key =
      gba_u ? DeriveKsExtNaf(session->ks, session->rand, session->impi, *naf)
            : DeriveKsNaf(session->ks, session->rand, session->impi, *naf);
  if (!key.ok()) {
    spdlog::error("{}: key derivation failed: {}", peer, ToString(key.status().message()));
    return Refuse(ZnRefusal::kInternal, "key derivation failed");
  }
  keys.ks_naf = *std::move(key);
  if (gba_u && request.gba_u_aware) {
    // TS 33.220 §5.3.3: a GBA_U-aware NAF may receive Ks_int_NAF as well.
    absl::StatusOr<SecretBytes> int_key =
        DeriveKsIntNaf(session->ks, session->rand, session->impi, *naf);
    if (!int_key.ok()) return Refuse(ZnRefusal::kInternal, "key derivation failed");
    keys.ks_int_naf = *std::move(int_key);
  }
  keys.impi = session->impi;
  keys.key_expiry = session->expiry;
  keys.bootstrap_time = session->created;
  keys.gba_type = session->gba_type;
  spdlog::info("{}: NAF {} got {} for B-TID {} (IMPI {}, Ua {})", peer, naf->fqdn(),
               gba_u ? (request.gba_u_aware ? "Ks_ext_NAF+Ks_int_NAF" : "Ks_ext_NAF") : "Ks_NAF",
               request.btid, session->impi, naf->ua().ToHex());
  return result;
}

}  // namespace gbabridge::bsf
