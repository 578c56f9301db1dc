// A modem's AT port: a tty opened exclusively (TIOCEXCL and a UUCP lock file), in raw mode
// at a chosen baud rate (termios(3)), read and written with timeouts.
#ifndef GBABRIDGE_UICC_MODEM_SERIAL_PORT_H_
#define GBABRIDGE_UICC_MODEM_SERIAL_PORT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uicc/modem/port_lock.h"

namespace gbabridge::modem {

struct SerialPortOptions {
  std::string path;                    // e.g. /dev/ttyUSB2, /dev/serial/by-id/...
  int baud = 115200;                   // 9600 ... 921600 (8N1, no flow control)
  std::string lock_dir = "/run/lock";  // "" disables the lock file
};

// The termios speed for `baud`, nullopt when it is not one of the standard rates.
std::optional<unsigned> BaudConstant(int baud);

class SerialPort {
 public:
  // NO_READER when there is no such port; TRANSPORT_FAILED when it is in use or cannot be
  // set up.
  static absl::StatusOr<std::unique_ptr<SerialPort>> Open(const SerialPortOptions& options);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  // Writes everything within `timeout`.
  absl::Status Write(std::string_view bytes, absl::Duration timeout);
  // What arrives within `timeout` (at most 4096 bytes); "" when nothing did. CARD_REMOVED
  // when the port went away (USB unplug: EIO, ENXIO or a hang-up).
  absl::StatusOr<std::string> Read(absl::Duration timeout);
  // Drops whatever the modem sent and we did not read yet.
  void DiscardInput();

  const std::string& path() const { return path_; }

 private:
  SerialPort(std::string path, int fd, std::optional<PortLock> lock);
  absl::Status Gone(std::string_view what) const;

  std::string path_;
  int fd_ = -1;
  std::optional<PortLock> lock_;
};

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_SERIAL_PORT_H_
