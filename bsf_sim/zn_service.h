// ZnService: bsf.v1.Zn/GetNafKey, the NAF's request for the key of a bootstrapping
// session (TS 33.220 §4.5.3 step 3-4, §5.3.3 for GBA_U; TS 29.109 §4.3 Zn
// Bootstrapping-Info-Request/Answer; here over gRPC).
//
// Order of checks, each with its gRPC code:
//  1. the caller is a known NAF (NafAuthenticator)             UNAUTHENTICATED
//  2. B-TID and NAF_Id well formed (naf_id.h, Annex H)          INVALID_ARGUMENT
//  3. the NAF_Id's FQDN is one of the caller's own names        PERMISSION_DENIED
//     (TS 33.220 §4.5.3: "the BSF shall verify that the NAF is authorised" and the NAF
//     may only obtain keys bound to its own FQDN)
//  4. the session exists and has not expired                    NOT_FOUND
//     (the NAF then makes the UE bootstrap again, TS 24.109 §5.2.4)
// Then: Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U), plus Ks_int_NAF for a GBA_U session when the
// NAF says it is GBA_U-aware (TS 33.220 §5.3.3, B.3); key_expiry, bootstrap_time, gba_type,
// the IMPI, and the USS (TS 33.220 §4.4.6): those of the GAA service the NAF names
// (gaa_service_id), else those of its FQDN. A subscriber with USS is served only to the NAFs
// and services its USS list: PERMISSION_DENIED otherwise, before any key is derived.
//
// The keys leave as protobuf bytes (std::string inside the message): gRPC owns that
// buffer, so it is not wiped after sending, unlike every other copy in bsf-sim.
#ifndef GBABRIDGE_BSF_SIM_ZN_SERVICE_H_
#define GBABRIDGE_BSF_SIM_ZN_SERVICE_H_

#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/naf_authenticator.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/subscriber_store.h"

namespace gbabridge::bsf {

class ZnService final : public ::bsf::v1::Zn::Service {
 public:
  // `subscribers` may be null: then no USS is returned.
  ZnService(const SessionStore& sessions, SubscriberStore* subscribers,
            const NafAuthenticator& authenticator);

  grpc::Status GetNafKey(grpc::ServerContext* context, const ::bsf::v1::GetNafKeyRequest* request,
                         ::bsf::v1::GetNafKeyResponse* response) override;

 private:
  const SessionStore& sessions_;
  SubscriberStore* subscribers_;
  const NafAuthenticator& authenticator_;
};

// B-TID syntax (TS 33.220 §4.5.2): "base64(RAND)@domain", printable ASCII, <= 255 chars.
absl::Status ValidateBtid(std::string_view btid);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_ZN_SERVICE_H_
