// ZnService: bsf.v1.Zn/GetNafKey, the NAF's request for the key of a bootstrapping
// session (TS 33.220 §4.5.3 step 3-4, §5.3.3 for GBA_U; TS 29.109 §4.3 Zn
// Bootstrapping-Info-Request/Answer; here over gRPC).
//
// The caller is authenticated first (NafAuthenticator: UNAUTHENTICATED), then ZnLookup
// (zn_lookup.h, shared with the Diameter Zn server) decides, its refusals mapped to:
//   malformed B-TID or NAF_Id                                   INVALID_ARGUMENT
//   NAF_Id of another NAF, or a NAF the subscriber's USS omit   PERMISSION_DENIED
//   unknown or expired B-TID (the UE must bootstrap again)      NOT_FOUND
//   subscriber database unreadable                              UNAVAILABLE
// The USS returned are those of the GAA service the NAF names (gaa_service_id) when the
// subscriber has them, else those of its FQDN (TS 33.220 §4.4.6).
//
// The keys leave as protobuf bytes (std::string inside the message): gRPC owns that
// buffer, so it is not wiped after sending, unlike every other copy in bsf-sim.
#ifndef GBABRIDGE_BSF_SIM_ZN_SERVICE_H_
#define GBABRIDGE_BSF_SIM_ZN_SERVICE_H_

#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/naf_authenticator.h"
#include "bsf_sim/session_store.h"
#include "bsf_sim/subscriber_store.h"
#include "bsf_sim/zn_lookup.h"

namespace gbabridge::bsf {

class ZnService final : public ::bsf::v1::Zn::Service {
 public:
  // `subscribers` may be null: then no USS is returned.
  ZnService(const SessionStore& sessions, SubscriberStore* subscribers,
            const NafAuthenticator& authenticator, NafServices naf_services = {});

  grpc::Status GetNafKey(grpc::ServerContext* context, const ::bsf::v1::GetNafKeyRequest* request,
                         ::bsf::v1::GetNafKeyResponse* response) override;

 private:
  ZnLookup lookup_;
  const NafAuthenticator& authenticator_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_ZN_SERVICE_H_
