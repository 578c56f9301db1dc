// EchoService: bench.v1.Echo, the probe registered beside GbaBridge (gbabridged-bench) and
// Zn (bsf-sim-bench) on the same server: Echo is the server setup's trivial-call limit, and
// Counters reports the process's KDF invocations (uicc/base/kdf.h), so a benchmark can show
// that a cached GetNafKey computes no HMAC.
#ifndef GBABRIDGE_BENCH_ECHO_SERVICE_H_
#define GBABRIDGE_BENCH_ECHO_SERVICE_H_

#include "bench/v1/echo.grpc.pb.h"

namespace gbabridge::bench {

class EchoService final : public v1::Echo::Service {
 public:
  grpc::Status Echo(grpc::ServerContext* context, const v1::EchoRequest* request,
                    v1::EchoResponse* response) override;
  grpc::Status Counters(grpc::ServerContext* context, const v1::CountersRequest* request,
                        v1::CountersResponse* response) override;
};

}  // namespace gbabridge::bench

#endif  // GBABRIDGE_BENCH_ECHO_SERVICE_H_
