#include "examples/tls_psk/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace gbabridge::examples {
namespace {

std::string Errno() { return std::strerror(errno); }

void SetIoTimeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

std::string FormatAddress(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return HostPort{host, port}.ToString();
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { ::freeaddrinfo(info); }
};

absl::StatusOr<std::unique_ptr<addrinfo, AddrInfoDeleter>> Resolve(const HostPort& address,
                                                                   bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* result = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", address.host, ": ", ::gai_strerror(rc)));
  }
  return std::unique_ptr<addrinfo, AddrInfoDeleter>(result);
}

// connect(2) with a deadline: non-blocking connect, poll, then back to blocking.
bool ConnectWithTimeout(int fd, const sockaddr* addr, socklen_t len,
                        std::chrono::milliseconds timeout, std::string* error) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, addr, len);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc == 0) {
      *error = "connection timed out";
      return false;
    }
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (rc < 0 || so_error != 0) {
      *error = std::strerror(rc < 0 ? errno : so_error);
      return false;
    }
  } else if (rc != 0) {
    *error = Errno();
    return false;
  }
  ::fcntl(fd, F_SETFL, flags);
  return true;
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", std::string(text),
                                                   "\": ", std::string(why),
                                                   " (expected HOST:PORT or [IPv6]:PORT)"));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("unbalanced brackets");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("an IPv6 host needs brackets");
  }
  if (host.empty()) return bad("empty host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  if (value == 0 && !allow_port_zero) return bad("port 0 is not a destination");
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  const std::string h(host);
  return ::inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<UniqueFd> ConnectTcp(const HostPort& address, std::chrono::milliseconds timeout) {
  absl::StatusOr<std::unique_ptr<addrinfo, AddrInfoDeleter>> resolved = Resolve(address, false);
  if (!resolved.ok()) return resolved.status();
  std::string last_error = "no address";
  for (const addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = Errno();
      continue;
    }
    if (ConnectWithTimeout(fd.get(), ai->ai_addr, ai->ai_addrlen, timeout, &last_error)) {
      SetIoTimeout(fd.get(), timeout);
      return fd;
    }
  }
  return absl::UnavailableError(
      absl::StrCat("cannot connect to ", address.ToString(), ": ", last_error));
}

absl::StatusOr<Listener> ListenTcp(const HostPort& address) {
  absl::StatusOr<std::unique_ptr<addrinfo, AddrInfoDeleter>> resolved = Resolve(address, true);
  if (!resolved.ok()) return resolved.status();
  std::string last_error = "no address";
  for (const addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = Errno();
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), 16) != 0) {
      last_error = Errno();
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    absl::StatusOr<HostPort> actual =
        ParseHostPort(FormatAddress(reinterpret_cast<sockaddr*>(&bound)), true);
    if (!actual.ok()) return actual.status();
    return Listener{std::move(fd), HostPort{address.host, actual->port}};
  }
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", address.ToString(), ": ", last_error));
}

absl::StatusOr<UniqueFd> AcceptTcp(const Listener& listener, std::chrono::milliseconds io_timeout,
                                   std::string* peer) {
  for (;;) {
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    const int fd =
        ::accept4(listener.fd.get(), reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return absl::UnavailableError(absl::StrCat("accept failed: ", Errno()));
    }
    SetIoTimeout(fd, io_timeout);
    if (peer != nullptr) *peer = FormatAddress(reinterpret_cast<sockaddr*>(&from));
    return UniqueFd(fd);
  }
}

}  // namespace gbabridge::examples
