#include "uicc/soft_usim/vpcd_link.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

// Control payloads from vpcd (vsmartcard vpcd.h: VPCD_CTRL_*).
constexpr uint8_t kCtrlOff = 0;
constexpr uint8_t kCtrlOn = 1;
constexpr uint8_t kCtrlReset = 2;
constexpr uint8_t kCtrlAtr = 4;
constexpr int kConnectTimeoutMs = 2000;
constexpr size_t kMaxMessage = 0xFFFF;  // the length prefix has two bytes

enum class Wait { kReady, kTimeout, kStopped };

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

absl::StatusOr<VpcdEndpoint> ParseVpcdEndpoint(std::string_view text_in) {
  const absl::string_view text(text_in.data(), text_in.size());
  VpcdEndpoint endpoint;
  absl::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("vpcd address '", text, "' must look like [ipv6]:port"));
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("vpcd address '", text, "' must look like host:port, e.g. 127.0.0.1:40000"));
    }
    endpoint.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  uint32_t value = 0;
  if (!absl::SimpleAtoi(port, &value) || value == 0 || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("vpcd port '", port, "' is not a number in 1..65535"));
  }
  endpoint.port = static_cast<uint16_t>(value);
  return endpoint;
}

VpcdLink::VpcdLink(ApduHandler& card, Options options) : card_(card), options_(std::move(options)) {
  if (::pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    wake_pipe_[0] = wake_pipe_[1] = -1;
  }
}

VpcdLink::~VpcdLink() {
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void VpcdLink::Stop() {
  stop_.store(true);
  if (wake_pipe_[1] >= 0) {
    const char byte = 's';
    // Async-signal-safe; a full pipe already means "wake up".
    [[maybe_unused]] ssize_t ignored = ::write(wake_pipe_[1], &byte, 1);
  }
}

void VpcdLink::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

bool VpcdLink::WaitFor(int fd, bool write, int timeout_ms) {
  pollfd fds[2] = {
      {.fd = wake_pipe_[0], .events = POLLIN, .revents = 0},
      {.fd = fd, .events = static_cast<short>(write ? POLLOUT : POLLIN), .revents = 0}};
  while (true) {
    if (stop_.load()) return false;
    const int n = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (fds[0].revents != 0 || stop_.load()) return false;
    return true;  // ready, hung up, or timed out: the caller's next call tells which
  }
}

int VpcdLink::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string port = std::to_string(options_.endpoint.port);
  if (::getaddrinfo(options_.endpoint.host.c_str(), port.c_str(), &hints, &results) != 0) {
    return -1;
  }
  int connected = -1;
  for (addrinfo* ai = results; ai != nullptr && connected < 0; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int ok = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 1 : 0;
    if (!ok && errno == EINPROGRESS && WaitFor(fd, /*write=*/true, kConnectTimeoutMs)) {
      int error = 0;
      socklen_t length = sizeof error;
      ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0 ? 1 : 0;
      if (ok) {
        // poll may have timed out without an error pending: confirm we are connected.
        sockaddr_storage peer{};
        socklen_t peer_length = sizeof peer;
        ok = ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 ? 1 : 0;
      }
    }
    if (ok) {
      const int one = 1;
      // Small request/response messages: do not let Nagle delay them.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connected = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(results);
  return connected;
}

bool VpcdLink::ReadExact(int fd, uint8_t* buffer, size_t size, std::string* reason, bool* stopped) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::recv(fd, buffer + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      // The vpcd driver sends a command as two writes (the 2-byte length, then the APDU)
      // without TCP_NODELAY, so Nagle holds the APDU until the length is acknowledged; a
      // delayed ACK from this side then costs up to 40 ms per command. TCP_QUICKACK makes
      // the kernel acknowledge at once; it is not sticky on Linux, so it is set after
      // every read.
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
      continue;
    }
    if (n == 0) {
      *reason = "vpcd closed the connection";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(fd, /*write=*/false, -1)) {
        *stopped = true;
        return false;
      }
      continue;
    }
    *reason = absl::StrCat("receive failed: ", ErrnoText());
    return false;
  }
  return true;
}

bool VpcdLink::WriteMessage(int fd, ByteView payload, std::string* reason) {
  if (payload.size() > kMaxMessage) {
    *reason = "response longer than 65535 bytes";
    return false;
  }
  Bytes message;
  message.reserve(payload.size() + 2);
  message.push_back(static_cast<uint8_t>(payload.size() >> 8));
  message.push_back(static_cast<uint8_t>(payload.size() & 0xff));
  message.insert(message.end(), payload.begin(), payload.end());
  size_t sent = 0;
  bool ok = true;
  while (sent < message.size()) {
    const ssize_t n = ::send(fd, message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, /*write=*/true, -1)) {
        *reason = "stopping";
        ok = false;
        break;
      }
    } else {
      *reason = absl::StrCat("send failed: ", ErrnoText());
      ok = false;
      break;
    }
  }
  Cleanse(std::span<uint8_t>(message));  // responses can hold CK/IK/Ks_ext_NAF
  return ok;
}

VpcdLink::SessionEnd VpcdLink::Serve(int fd, std::string* reason) {
  atr_ = card_.Reset();  // a card freshly inserted into the reader
  Bytes payload;
  while (true) {
    bool stopped = false;
    uint8_t header[2];
    if (!ReadExact(fd, header, sizeof header, reason, &stopped)) {
      return stopped ? SessionEnd::kStopped : SessionEnd::kPeerClosed;
    }
    const size_t length = (size_t{header[0]} << 8) | header[1];
    if (length == 0) continue;  // vpcd never sends one; nothing to answer
    payload.assign(length, 0);
    if (!ReadExact(fd, payload.data(), length, reason, &stopped)) {
      if (stopped) return SessionEnd::kStopped;
      *reason = absl::StrCat("message truncated (", *reason, ")");
      return SessionEnd::kError;
    }
    if (length == 1) {
      switch (payload[0]) {
        case kCtrlOff:
          card_.Reset();  // power loss drops volatile state (selection, PIN verified)
          break;
        case kCtrlOn:
        case kCtrlReset:
          atr_ = card_.Reset();
          break;
        case kCtrlAtr:
          if (!WriteMessage(fd, atr_, reason)) return SessionEnd::kError;
          break;
        default:
          break;  // unknown control: vpcd expects no answer to controls
      }
      continue;
    }
    Bytes response = card_.Process(payload);
    Cleanse(std::span<uint8_t>(payload));  // commands can hold a PIN
    const bool sent = WriteMessage(fd, response, reason);
    Cleanse(std::span<uint8_t>(response));
    if (!sent) return SessionEnd::kError;
  }
}

absl::Status VpcdLink::Run() {
  if (wake_pipe_[0] < 0) {
    return absl::InternalError(absl::StrCat("cannot create the stop pipe: ", ErrnoText()));
  }
  const std::string where = absl::StrCat(options_.endpoint.host, ":", options_.endpoint.port);
  const int interval_ms = static_cast<int>(options_.reconnect_interval.count());
  bool reported_unreachable = false;
  while (!stop_.load()) {
    const int fd = Connect();
    if (fd < 0) {
      if (stop_.load()) break;
      if (!reported_unreachable) {
        Log(absl::StrCat("vpcd at ", where, " is not reachable; retrying every ", interval_ms,
                         " ms"));
        reported_unreachable = true;
      }
      WaitFor(-1, false, interval_ms);
      continue;
    }
    reported_unreachable = false;
    connections_.fetch_add(1);
    Log(absl::StrCat("connected to vpcd at ", where));
    std::string reason;
    const SessionEnd end = Serve(fd, &reason);
    ::close(fd);
    card_.Reset();  // the card left the reader
    if (end == SessionEnd::kStopped || stop_.load()) {
      Log(absl::StrCat("disconnected from vpcd at ", where, ": stopping"));
      break;
    }
    Log(absl::StrCat("disconnected from vpcd at ", where, ": ", reason, "; reconnecting"));
    WaitFor(-1, false, interval_ms);
  }
  return absl::OkStatus();
}

}  // namespace gbabridge
