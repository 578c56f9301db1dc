// Small TCP helpers for the TLS-PSK examples: HOST:PORT parsing, connect, listen, accept,
// and I/O timeouts so that a silent peer cannot hang a device or a NAF forever.
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_TCP_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_TCP_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gbabridge::examples {

struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::1", "naf.example.com"
  uint16_t port = 0;

  // "host:port", with brackets around an IPv6 host.
  std::string ToString() const;
};

// "HOST:PORT" or "[IPv6]:PORT". Port 0 only when allow_port_zero (a listener that lets the
// kernel pick).
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero = false);

// localhost, 127.0.0.0/8 and ::1: addresses no other machine can reach.
bool IsLoopbackHost(std::string_view host);

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Resolves and connects (each address in turn), with `timeout` for the connection and
// then for every read and write on the socket.
absl::StatusOr<UniqueFd> ConnectTcp(const HostPort& address, std::chrono::milliseconds timeout);

struct Listener {
  UniqueFd fd;
  HostPort bound;  // with the port the kernel picked when asked for port 0
};

// Binds and listens on a numeric address or a resolvable name.
absl::StatusOr<Listener> ListenTcp(const HostPort& address);

// Waits for one connection; `peer` receives "host:port" of the client. Every read and write
// on the accepted socket times out after `io_timeout`.
absl::StatusOr<UniqueFd> AcceptTcp(const Listener& listener, std::chrono::milliseconds io_timeout,
                                   std::string* peer);

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_TCP_H_
