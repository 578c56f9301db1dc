#include "tests/integration/faulty_bsf.h"

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // must match Debian's libcpp-httplib (see bsf_sim)
#endif
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/digest_aka.h"

namespace gbabridge::testing {
namespace {

using namespace std::chrono_literals;

// Not HTTP: a TLS-looking start, a NUL and control bytes.
constexpr char kGarbage[] = "\x16\x03\x01\x00\xff garbage \x00\x01\x02 not HTTP\r\n\r\n";
constexpr char kGarbageBody[] = "\x00\xff<BootstrappingInfo><btid>";

void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until the blank line that ends a request head (Ub requests are GETs without a
// body), the peer closes, or `stopping`. False when no whole head arrived.
bool ReadRequestHead(int fd, const std::atomic<bool>& stopping) {
  std::string head;
  char buffer[4096];
  while (!stopping && head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    head.append(buffer, static_cast<size_t>(n));
  }
  return head.find("\r\n\r\n") != std::string::npos;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawFaultServer>> RawFaultServer::Start(RawFault fault) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot listen on loopback: ", std::strerror(errno)));
  }
  auto server =
      std::unique_ptr<RawFaultServer>(new RawFaultServer(fault, fd, ntohs(address.sin_port)));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

RawFaultServer::RawFaultServer(RawFault fault, int listen_fd, int port)
    : fault_(fault), listen_fd_(listen_fd), port_(port) {}

RawFaultServer::~RawFaultServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (std::thread& t : connections_) t.join();
}

void RawFaultServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void RawFaultServer::Serve(int fd) {
  if (ReadRequestHead(fd, stopping_)) {
    switch (fault_) {
      case RawFault::kStatus500:
        SendAll(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
        break;
      case RawFault::kGarbage:
        SendAll(fd, std::string_view(kGarbage, sizeof(kGarbage) - 1));
        break;
      case RawFault::kTruncated:
        // A 401 that announces 400 bytes of body and breaks off after 7.
        SendAll(fd,
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 400\r\nWWW-Authenticate: Digest "
                "realm=\"r\", nonce=\"AAAA\", algorithm=AKAv1-MD5, qop=\"auth-int\"\r\n\r\n"
                "partial");
        break;
      case RawFault::kStall:
        while (!stopping_) std::this_thread::sleep_for(50ms);
        break;
      case RawFault::kSlowloris: {
        const std::string reply = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        for (size_t i = 0; i < reply.size() && !stopping_; ++i) {
          SendAll(fd, reply.substr(i, 1));
          for (int t = 0; t < 10 && !stopping_; ++t) std::this_thread::sleep_for(50ms);
        }
        break;
      }
      case RawFault::kHugeBody:
        // Past the client's 64 KiB body cap; a client without one would read it all.
        SendAll(fd, absl::StrCat("HTTP/1.1 401 Unauthorized\r\nContent-Length: ", 100 * 1024,
                                 "\r\n\r\n", std::string(100 * 1024, 'x')));
        break;
      case RawFault::kHugeHeaders: {
        // Past the client's 32 KiB header cap, in lines of 1000 bytes.
        std::string head = "HTTP/1.1 401 Unauthorized\r\n";
        for (int i = 0; i < 40; ++i)
          absl::StrAppend(&head, "X-Filler-", i, ": ", std::string(980, 'y'), "\r\n");
        SendAll(fd, head + "Content-Length: 0\r\n\r\n");
        break;
      }
      case RawFault::kRedirect:
        // To a port nobody listens on: a client that followed it would report the BSF as
        // unreachable; one that does not follows no redirect at all.
        SendAll(fd,
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\n"
                "Content-Length: 0\r\n\r\n");
        break;
      case RawFault::kReset: {
        SendAll(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Le");
        // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        const linger reset{.l_onoff = 1, .l_linger = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        break;
      }
    }
  }
  ::close(fd);
}

void TamperingBsfProxy::SetTamper(std::optional<ReplyTamper> tamper) {
  std::lock_guard<std::mutex> lock(mu_);
  tamper_ = tamper;
}

std::optional<ReplyTamper> TamperingBsfProxy::Tamper() {
  std::lock_guard<std::mutex> lock(mu_);
  return tamper_;
}

std::string TamperingBsfProxy::ReplayedChallenge(const std::string& challenge) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_challenge_.empty()) first_challenge_ = challenge;
  return first_challenge_;
}

absl::StatusOr<std::unique_ptr<TamperingBsfProxy>> TamperingBsfProxy::Start(
    const std::string& upstream, std::optional<ReplyTamper> tamper) {
  const size_t colon = upstream.rfind(':');
  const std::string host = upstream.substr(0, colon);
  const int upstream_port = std::stoi(upstream.substr(colon + 1));
  auto proxy = std::unique_ptr<TamperingBsfProxy>(new TamperingBsfProxy());
  proxy->tamper_ = tamper;
  proxy->server_ = std::make_unique<httplib::Server>();
  proxy->server_->Get("/", [host, upstream_port, self = proxy.get()](const httplib::Request& req,
                                                                     httplib::Response& res) {
    const std::optional<ReplyTamper> tamper = self->Tamper();
    if (tamper == ReplyTamper::kEvery500) {
      res.status = 500;
      return;
    }
    httplib::Client client(host, upstream_port);
    httplib::Headers headers;
    for (const auto& [name, value] : req.headers) {
      if (name == "Authorization" || name == "User-Agent") headers.emplace(name, value);
    }
    httplib::Result reply = client.Get("/", headers);
    if (!reply) {
      res.status = 502;
      return;
    }
    res.status = reply->status;
    std::string body = reply->body;
    std::string authentication_info = reply->get_header_value("Authentication-Info");
    if (reply->has_header("WWW-Authenticate")) {
      std::string challenge = reply->get_header_value("WWW-Authenticate");
      if (reply->status == 401 && tamper == ReplyTamper::kReplayFirstChallenge) {
        challenge = self->ReplayedChallenge(challenge);
      }
      res.set_header("WWW-Authenticate", challenge);
    }
    if (reply->status == 200 && tamper.has_value()) {
      switch (*tamper) {
        case ReplyTamper::kWrongRspauth: {
          absl::StatusOr<AuthenticationInfo> info = ParseAuthenticationInfo(authentication_info);
          if (info.ok() && !info->rspauth.empty()) {
            info->rspauth[0] = info->rspauth[0] == '0' ? '1' : '0';
            authentication_info = FormatAuthenticationInfo(*info);
          }
          break;
        }
        case ReplyTamper::kNoAuthenticationInfo:
          authentication_info.clear();
          break;
        case ReplyTamper::kGarbageBody:
          body = std::string(kGarbageBody, sizeof(kGarbageBody) - 1) + std::string(64, '\x01');
          break;
        case ReplyTamper::kTruncatedBody:
          body = body.substr(0, body.size() / 2);
          break;
        case ReplyTamper::kStatus500:
        case ReplyTamper::kEvery500:
          res.status = 500;
          body.clear();
          break;
        case ReplyTamper::kReplayFirstChallenge:
          break;  // only challenges are touched
      }
    }
    if (!authentication_info.empty()) res.set_header("Authentication-Info", authentication_info);
    res.set_content(body, reply->get_header_value("Content-Type"));
  });
  proxy->port_ = proxy->server_->bind_to_any_port("127.0.0.1");
  if (proxy->port_ <= 0) return absl::InternalError("the tampering proxy cannot listen");
  proxy->thread_ = std::thread([s = proxy->server_.get()] { s->listen_after_bind(); });
  for (int i = 0; i < 500 && !proxy->server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return proxy;
}

TamperingBsfProxy::~TamperingBsfProxy() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gbabridge::testing
