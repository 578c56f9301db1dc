#include "uicc/modem/serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "uicc/card_error.h"

namespace gbabridge::modem {
namespace {

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

}  // namespace

std::optional<unsigned> BaudConstant(int baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 921600:
      return B921600;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<std::unique_ptr<SerialPort>> SerialPort::Open(const SerialPortOptions& options) {
  std::optional<unsigned> speed = BaudConstant(options.baud);
  if (!speed.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("modem baud rate ", options.baud,
                     " is not one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"));
  }
  if (::access(options.path.c_str(), F_OK) != 0) {
    return CardError(CardErrorReason::kNoReader,
                     absl::StrCat("no modem port at ", options.path, " (", std::strerror(errno),
                                  "; is the modem plugged in?)"));
  }
  std::optional<PortLock> lock;
  if (!options.lock_dir.empty()) {
    absl::StatusOr<PortLock> taken = PortLock::Acquire(options.path, options.lock_dir);
    if (!taken.ok()) return taken.status();
    lock = *std::move(taken);
  }
  // O_NOCTTY: the port must not become our controlling terminal; O_NONBLOCK: open does not
  // wait for carrier (CLOCAL is set below), and reads go through poll().
  const int fd = ::open(options.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return CardError(
        error == ENOENT || error == ENXIO || error == ENODEV ? CardErrorReason::kNoReader
                                                             : CardErrorReason::kTransportFailed,
        absl::StrCat("cannot open the modem port ", options.path, ": ", std::strerror(error),
                     error == EBUSY ? " (another program holds it exclusively)" : "",
                     error == EACCES ? " (add the user to the dialout group)" : ""));
  }
  auto fail = [&](std::string_view what) {
    const int error = errno;
    ::close(fd);
    return CardError(CardErrorReason::kTransportFailed,
                     absl::StrCat("modem port ", options.path, ": ", std::string(what), ": ",
                                  std::strerror(error)));
  };
  if (!::isatty(fd)) {
    ::close(fd);
    return CardError(CardErrorReason::kTransportFailed,
                     absl::StrCat(options.path, " is not a tty (card.modem_port)"));
  }
  // tty_ioctl(4): no further open(2) of this tty succeeds (except for root) while we hold it.
  if (::ioctl(fd, TIOCEXCL) != 0) return fail("TIOCEXCL");
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return fail("tcgetattr");
  // termios(3): raw 8N1, receiver on, modem control lines ignored, no flow control; reads
  // return what is there (VMIN = VTIME = 0; poll() does the waiting).
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
  tio.c_iflag &= ~(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::cfsetispeed(&tio, *speed) != 0 || ::cfsetospeed(&tio, *speed) != 0) {
    return fail("cfsetspeed");
  }
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return fail("tcsetattr");
  ::tcflush(fd, TCIOFLUSH);
  return std::unique_ptr<SerialPort>(new SerialPort(options.path, fd, std::move(lock)));
}

SerialPort::SerialPort(std::string path, int fd, std::optional<PortLock> lock)
    : path_(std::move(path)), fd_(fd), lock_(std::move(lock)) {}

SerialPort::~SerialPort() {
  if (fd_ >= 0) {
    ::ioctl(fd_, TIOCNXCL);
    ::close(fd_);
  }
}

absl::Status SerialPort::Gone(std::string_view what) const {
  return CardError(CardErrorReason::kCardRemoved,
                   absl::StrCat("the modem at ", path_, " went away (", std::string(what),
                                "; USB unplugged or the modem restarted?)"));
}

absl::Status SerialPort::Write(std::string_view bytes, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return Gone(std::strerror(errno));
    pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready == 0) {
      return CardError(CardErrorReason::kCardUnresponsive,
                       absl::StrCat("the modem at ", path_, " does not take input"));
    }
    if (ready < 0 && errno != EINTR) return Gone(std::strerror(errno));
    if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return Gone("hang-up");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerialPort::Read(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  bool readable_but_empty = false;
  for (;;) {
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n > 0) return std::string(buffer, static_cast<size_t>(n));
    if (n == 0) {
      // poll() said readable and there is nothing: end of file, the tty hung up.
      if (readable_but_empty) return Gone("end of file");
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN) {
      return Gone(std::strerror(errno));  // EIO, ENXIO: the device is gone
    }
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready == 0) return std::string();
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Gone(std::strerror(errno));
    }
    if ((p.revents & POLLIN) != 0) {
      readable_but_empty = n == 0;
      continue;
    }
    if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return Gone("hang-up");
  }
}

void SerialPort::DiscardInput() { ::tcflush(fd_, TCIFLUSH); }

}  // namespace gbabridge::modem
