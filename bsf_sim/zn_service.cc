#include "bsf_sim/zn_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/key_derivation.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {
namespace {

grpc::Status ToGrpc(grpc::StatusCode code, absl::string_view message) {
  return grpc::Status(code, std::string(message.data(), message.size()));
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

void SetKey(const SecretBytes& key, std::string* out) {
  out->assign(reinterpret_cast<const char*>(key.data()), key.size());
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

ZnService::ZnService(const SessionStore& sessions, SubscriberStore* subscribers,
                     const NafAuthenticator& authenticator)
    : sessions_(sessions), subscribers_(subscribers), authenticator_(authenticator) {}

grpc::Status ZnService::GetNafKey(grpc::ServerContext* context,
                                  const ::bsf::v1::GetNafKeyRequest* request,
                                  ::bsf::v1::GetNafKeyResponse* response) {
  const std::string peer = context->peer();
  absl::StatusOr<std::vector<std::string>> caller = authenticator_.Authenticate(*context);
  if (!caller.ok()) {
    spdlog::warn("Zn {}: unauthenticated: {}", peer, ToString(caller.status().message()));
    return ToGrpc(grpc::StatusCode::UNAUTHENTICATED, caller.status().message());
  }
  const std::string caller_names = absl::StrJoin(*caller, ",");

  if (absl::Status s = ValidateBtid(request->btid()); !s.ok()) {
    return ToGrpc(grpc::StatusCode::INVALID_ARGUMENT, s.message());
  }
  absl::StatusOr<UaSecurityProtocolId> ua =
      UaSecurityProtocolId::FromBytes(AsBytes(request->ua_security_protocol_id()));
  if (!ua.ok()) {
    return ToGrpc(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("ua_security_protocol_id: ", ua.status().message(),
                               " (5 bytes, TS 33.220 Annex H)"));
  }
  absl::StatusOr<NafId> naf = NafId::Create(request->naf_fqdn(), *ua);
  if (!naf.ok()) {
    return ToGrpc(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("naf_fqdn: ", naf.status().message()));
  }
  if (std::find(caller->begin(), caller->end(), naf->fqdn()) == caller->end()) {
    spdlog::warn("Zn {}: NAF {} asked for the key of NAF {}: denied", peer, caller_names,
                 naf->fqdn());
    return ToGrpc(grpc::StatusCode::PERMISSION_DENIED,
                  absl::StrCat("NAF ", caller_names, " may only ask for keys of its own FQDN, not ",
                               naf->fqdn()));
  }

  absl::StatusOr<BsfSession> session = sessions_.Lookup(request->btid());
  if (!session.ok()) {
    spdlog::info("Zn {}: NAF {}: B-TID {} unknown or expired", peer, naf->fqdn(), request->btid());
    return ToGrpc(grpc::StatusCode::NOT_FOUND,
                  absl::StrCat("B-TID ", request->btid(),
                               " is unknown or expired: make the UE bootstrap again "
                               "(TS 24.109 §5.2.4 bootstrapping required indication)"));
  }

  const bool gba_u = session->gba_type == GbaMode::kGbaU;
  // TS 33.220 B.3: Ks_NAF / Ks_ext_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id).
  // The USS first: a NAF the subscriber's USS do not list gets no key derived.
  if (subscribers_ != nullptr) {
    absl::StatusOr<SubscriberStore::UssLookup> uss = subscribers_->LookUpUserSecuritySettings(
        session->impi, naf->fqdn(), request->gaa_service_id());
    if (!uss.ok()) {
      spdlog::error("Zn {}: cannot read USS: {}", peer, ToString(uss.status().message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the subscriber database cannot be read; retry later");
    }
    if (uss->listed && !uss->uss.has_value()) {
      // TS 33.220 §4.4.6: with a USS list the operator names the services the subscriber
      // may use; a NAF (or service) it does not list gets no key.
      spdlog::info("Zn {}: NAF {} (service \"{}\") refused: not in the USS of IMPI {}", peer,
                   naf->fqdn(), request->gaa_service_id(), session->impi);
      return grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("the subscriber's user security settings list neither NAF ", naf->fqdn(),
                       request->gaa_service_id().empty()
                           ? std::string()
                           : absl::StrCat(" nor GAA service ", request->gaa_service_id()),
                       " (TS 33.220 §4.4.6)"));
    }
    if (uss->uss.has_value()) {
      response->set_user_security_settings(std::string(uss->uss->begin(), uss->uss->end()));
    }
  }
  absl::StatusOr<SecretBytes> key =
      gba_u ? DeriveKsExtNaf(session->ks, session->rand, session->impi, *naf)
            : DeriveKsNaf(session->ks, session->rand, session->impi, *naf);
  if (!key.ok()) {
    spdlog::error("Zn {}: key derivation failed: {}", peer, ToString(key.status().message()));
    return grpc::Status(grpc::StatusCode::INTERNAL, "key derivation failed");
  }
  SetKey(*key, response->mutable_ks_naf());
  if (gba_u && request->gba_u_aware()) {
    // TS 33.220 §5.3.3: a GBA_U-aware NAF may receive Ks_int_NAF as well.
    absl::StatusOr<SecretBytes> int_key =
        DeriveKsIntNaf(session->ks, session->rand, session->impi, *naf);
    if (!int_key.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "key derivation failed");
    SetKey(*int_key, response->mutable_ks_int_naf());
  }
  response->set_impi(session->impi);
  SetTimestamp(session->expiry, response->mutable_key_expiry());
  SetTimestamp(session->created, response->mutable_bootstrap_time());
  response->set_gba_type(gba_u ? ::bsf::v1::GBA_TYPE_U : ::bsf::v1::GBA_TYPE_ME);
  spdlog::info("Zn {}: NAF {} got {} for B-TID {} (IMPI {}, Ua {})", peer, naf->fqdn(),
               gba_u ? (request->gba_u_aware() ? "Ks_ext_NAF+Ks_int_NAF" : "Ks_ext_NAF") : "Ks_NAF",
               request->btid(), session->impi, naf->ua().ToHex());
  return grpc::Status::OK;
}

}  // namespace gbabridge::bsf
