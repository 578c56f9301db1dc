#include "bsf_sim/ub_server.h"

// Debian's libcpp-httplib.so is built with OpenSSL support, and its pkg-config flags
// define CPPHTTPLIB_OPENSSL_SUPPORT; the define must match the library's, or the class
// layouts differ. Defined here too in case the flags are lost.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gbabridge::bsf {

UbServer::UbServer(UbServerOptions options, UbAuthenticator& authenticator,
                   std::unique_ptr<httplib::Server> server)
    : options_(std::move(options)), authenticator_(authenticator), server_(std::move(server)) {}

UbServer::~UbServer() { Stop(); }

absl::StatusOr<std::unique_ptr<UbServer>> UbServer::Create(UbServerOptions options,
                                                           UbAuthenticator& authenticator) {
  std::unique_ptr<httplib::Server> server;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "Ub TLS needs both a certificate (--ub-tls-cert) and a key (--ub-tls-key)");
  }
  if (!options.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                    options.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the Ub TLS certificate ", options.tls_cert_file, " or key ",
                       options.tls_key_file, " (PEM expected, and they must match)"));
    }
    SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION);
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  server->set_payload_max_length(options.max_body_bytes);
  // httplib writes the status line and headers, then the body, as separate sends: without
  // TCP_NODELAY, Nagle holds the body until the client's (delayed, up to 40 ms) ACK.
  server->set_tcp_nodelay(true);
  // httplib's default pool (8 threads here) holds one keep-alive connection per thread, so
  // a ninth UE would wait for a connection to close (BsfConfig::ub_threads).
  const size_t threads = options.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  server->set_keep_alive_max_count(10);
  // Bounds how long Stop() waits for an idle keep-alive connection.
  server->set_keep_alive_timeout(2);

  std::unique_ptr<UbServer> ub(new UbServer(std::move(options), authenticator, std::move(server)));
  auto handler = [self = ub.get()](const httplib::Request& req, httplib::Response& res) {
    UbRequest request;
    request.method = req.method;
    request.target = req.target;
    request.path = req.path;
    const size_t count = req.get_header_value_count("Authorization");
    for (size_t i = 0; i < count; ++i) {
      request.authorization.push_back(req.get_header_value("Authorization", i));
    }
    request.user_agent = req.get_header_value("User-Agent");
    request.body = req.body;
    request.peer = absl::StrCat(req.remote_addr, ":", req.remote_port);
    UbReply reply = self->authenticator_.Handle(request);
    res.status = reply.status;
    for (auto& [name, value] : reply.headers) res.set_header(name, value);
    res.set_content(reply.body, reply.content_type);
  };
  ub->server_->Get("/", handler);
  ub->server_->Post("/", handler);
  // Liveness for load balancers and orchestration; touches neither the HSS nor the
  // sessions. The benchmarks use it as this HTTP server's trivial-request limit.
  ub->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  ub->server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        // Never a crash and never details: log and answer 500.
        spdlog::error("Ub: unexpected exception while handling a request");
        res.status = 500;
        res.set_content("BSF internal error\n", "text/plain");
      });
  return ub;
}

absl::Status UbServer::Start() {
  if (thread_.joinable()) return absl::FailedPreconditionError("the Ub server is running");
  const std::string& host = options_.listen.host;
  if (options_.listen.port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen for Ub on ", host, ":0"));
    }
  } else {
    if (!server_->bind_to_port(host, options_.listen.port)) {
      return absl::UnavailableError(absl::StrCat("cannot listen for Ub on ",
                                                 options_.listen.ToString(),
                                                 " (address in use, or not local?)"));
    }
    port_ = options_.listen.port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() only acts once the accept loop runs: wait for it, so that Stop()
  // right after Start() cannot miss the loop.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return absl::InternalError("the Ub server did not start within 5 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("Ub listening on {} ({})", endpoint(), tls() ? "HTTPS" : "HTTP");
  return absl::OkStatus();
}

void UbServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
  spdlog::info("Ub listener stopped");
}

}  // namespace gbabridge::bsf
