// A fake gbabridged for the CLI tests: the gbabridge.v1.GbaBridge service with canned
// answers and canned errors (code + `gbabridge-error-reason` trailer, as the ERROR MODEL of
// proto/gbabridge/v1/gbabridge.proto says), served on a Unix socket in a temporary
// directory, or on a loopback TCP port.
#ifndef GBABRIDGE_TESTS_UNIT_CLI_FAKE_GBA_BRIDGE_H_
#define GBABRIDGE_TESTS_UNIT_CLI_FAKE_GBA_BRIDGE_H_

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gbabridge::cli::testing {

struct CannedError {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string reason;  // trailer value; empty: no reason trailer at all
  std::string message;
  std::string domain = "gbabridge.dev";  // empty: no domain trailer
};

class FakeGbaBridgeService final : public gbabridge::v1::GbaBridge::Service {
 public:
  // Set before the calls; read by the server threads.
  std::optional<CannedError> error;  // every RPC fails with it (WatchEvents after `events`)
  gbabridge::v1::GetNafKeyResponse naf_key_response;
  gbabridge::v1::GetStatusResponse status_response;
  std::vector<gbabridge::v1::Event> events;  // what WatchEvents streams first
  bool hold_stream_open = true;              // after `events`: wait until cancelled
  std::chrono::milliseconds delay{0};        // before answering a unary call

  gbabridge::v1::GetNafKeyRequest last_naf_key_request() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_naf_key_request_;
  }
  int naf_key_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return naf_key_calls_;
  }

  grpc::Status GetNafKey(grpc::ServerContext* context,
                         const gbabridge::v1::GetNafKeyRequest* request,
                         gbabridge::v1::GetNafKeyResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_naf_key_request_ = *request;
      ++naf_key_calls_;
    }
    std::this_thread::sleep_for(delay);
    if (error.has_value()) return Fail(context);
    *response = naf_key_response;
    return grpc::Status::OK;
  }

  grpc::Status Bootstrap(grpc::ServerContext* context, const gbabridge::v1::BootstrapRequest*,
                         gbabridge::v1::BootstrapResponse*) override {
    return Fail(context);
  }

  grpc::Status GetStatus(grpc::ServerContext* context, const gbabridge::v1::GetStatusRequest*,
                         gbabridge::v1::GetStatusResponse* response) override {
    std::this_thread::sleep_for(delay);
    if (error.has_value()) return Fail(context);
    *response = status_response;
    return grpc::Status::OK;
  }

  grpc::Status WatchEvents(grpc::ServerContext* context, const gbabridge::v1::WatchEventsRequest*,
                           grpc::ServerWriter<gbabridge::v1::Event>* writer) override {
    for (const gbabridge::v1::Event& event : events) {
      if (!writer->Write(event)) return grpc::Status::CANCELLED;
    }
    if (error.has_value()) return Fail(context);
    while (hold_stream_open && !context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return grpc::Status::OK;
  }

 private:
  grpc::Status Fail(grpc::ServerContext* context) {
    const CannedError e = error.value_or(CannedError{grpc::StatusCode::UNIMPLEMENTED, "", ""});
    if (!e.reason.empty()) context->AddTrailingMetadata("gbabridge-error-reason", e.reason);
    if (!e.domain.empty() && !e.reason.empty()) {
      context->AddTrailingMetadata("gbabridge-error-domain", e.domain);
    }
    return grpc::Status(e.code, e.message);
  }

  std::mutex mu_;
  gbabridge::v1::GetNafKeyRequest last_naf_key_request_;
  int naf_key_calls_ = 0;
};

// Serves a FakeGbaBridgeService until destroyed.
class FakeDaemon {
 public:
  enum class Listen { kUnix, kLoopbackTcp };

  explicit FakeDaemon(Listen listen = Listen::kUnix) {
    char dir_template[] = "/tmp/gbabridge-cli-test-XXXXXX";
    dir_ = mkdtemp(dir_template);
    socket_path_ = dir_ + "/gbabridged.sock";
    grpc::ServerBuilder builder;
    if (listen == Listen::kUnix) {
      builder.AddListeningPort("unix:" + socket_path_, grpc::InsecureServerCredentials());
    } else {
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    }
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    target_ =
        listen == Listen::kUnix ? "unix:" + socket_path_ : "127.0.0.1:" + std::to_string(port_);
  }
  ~FakeDaemon() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
      server_->Wait();
    }
    unlink(socket_path_.c_str());
    rmdir(dir_.c_str());
  }
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  bool started() const { return server_ != nullptr; }
  FakeGbaBridgeService& service() { return service_; }
  // The --connect value that reaches this daemon.
  const std::string& target() const { return target_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string socket_path_;
  int port_ = 0;
  std::string target_;
  FakeGbaBridgeService service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace gbabridge::cli::testing

#endif  // GBABRIDGE_TESTS_UNIT_CLI_FAKE_GBA_BRIDGE_H_
