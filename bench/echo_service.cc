#include "bench/echo_service.h"

#include "uicc/base/kdf.h"

namespace gbabridge::bench {

grpc::Status EchoService::Echo(grpc::ServerContext*, const v1::EchoRequest* request,
                               v1::EchoResponse* response) {
  response->set_payload(request->payload());
  return grpc::Status::OK;
}

grpc::Status EchoService::Counters(grpc::ServerContext*, const v1::CountersRequest*,
                                   v1::CountersResponse* response) {
  response->set_kdf_invocations(KdfInvocationCount());
  return grpc::Status::OK;
}

}  // namespace gbabridge::bench
