#include "bsf_sim/zn_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

ZnService::ZnService(const SessionStore& sessions, SubscriberStore* subscribers,
                     const NafAuthenticator& authenticator, NafServices naf_services)
    : lookup_(sessions, subscribers, std::move(naf_services)), authenticator_(authenticator) {}

grpc::Status ZnService::GetNafKey(grpc::ServerContext* context,
                                  const ::bsf::v1::GetNafKeyRequest* request,
                                  ::bsf::v1::GetNafKeyResponse* response) {
  const std::string peer = context->peer();
  absl::StatusOr<std::vector<std::string>> caller = authenticator_.Authenticate(*context);
  if (!caller.ok()) {
    spdlog::warn("Zn {}: unauthenticated: {}", peer, ToString(caller.status().message()));
    return ToGrpc(grpc::StatusCode::UNAUTHENTICATED, caller.status().message());
  }
  ZnKeyRequest key_request;
  key_request.btid = request->btid();
  key_request.naf_fqdn = request->naf_fqdn();
  const ByteView ua = AsBytes(request->ua_security_protocol_id());
  key_request.ua_security_protocol_id.assign(ua.begin(), ua.end());
  if (!request->gaa_service_id().empty()) {
    key_request.gaa_service_ids.push_back(request->gaa_service_id());
  }
  key_request.gba_u_aware = request->gba_u_aware();
  ZnLookupResult result = lookup_.Lookup(key_request, *caller, absl::StrCat("Zn ", peer));
  switch (result.refusal) {
    case ZnRefusal::kNone:
      break;
    case ZnRefusal::kBadBtid:
    case ZnRefusal::kBadNafId:
      return ToGrpc(grpc::StatusCode::INVALID_ARGUMENT, result.message);
    case ZnRefusal::kNafNotAuthorized:
    case ZnRefusal::kNotInUss:
      return ToGrpc(grpc::StatusCode::PERMISSION_DENIED, result.message);
    case ZnRefusal::kUnknownBtid:
      return ToGrpc(grpc::StatusCode::NOT_FOUND, result.message);
    case ZnRefusal::kStoreUnavailable:
      return ToGrpc(grpc::StatusCode::UNAVAILABLE, result.message);
    case ZnRefusal::kInternal:
      return ToGrpc(grpc::StatusCode::INTERNAL, result.message);
  }
  const ZnKeys& keys = result.keys;
  SetKey(keys.ks_naf, response->mutable_ks_naf());
  if (keys.ks_int_naf.has_value()) SetKey(*keys.ks_int_naf, response->mutable_ks_int_naf());
  if (keys.user_security_settings.has_value()) {
    response->set_user_security_settings(
        std::string(keys.user_security_settings->begin(), keys.user_security_settings->end()));
  }
  response->set_impi(keys.impi);
  SetTimestamp(keys.key_expiry, response->mutable_key_expiry());
  SetTimestamp(keys.bootstrap_time, response->mutable_bootstrap_time());
  response->set_gba_type(keys.gba_type == GbaMode::kGbaU ? ::bsf::v1::GBA_TYPE_U
                                                         : ::bsf::v1::GBA_TYPE_ME);
  return grpc::Status::OK;
}

}  // namespace gbabridge::bsf
