// The UUCP lock file that serial tools (minicom, picocom, ModemManager's helpers, lockdev)
// agree on: /run/lock/LCK..<device> holding the owner's PID as ten ASCII digits (FHS 3.0
// §5.9). A lock whose process is gone is stale and taken over.
#ifndef GBABRIDGE_UICC_MODEM_PORT_LOCK_H_
#define GBABRIDGE_UICC_MODEM_PORT_LOCK_H_

#include <string>

#include "absl/status/statusor.h"

namespace gbabridge::modem {

class PortLock {
 public:
  // Locks `device` (resolved through symlinks, so that two names of one port share a lock)
  // in `lock_dir`. A live owner is an error naming its PID.
  static absl::StatusOr<PortLock> Acquire(const std::string& device, const std::string& lock_dir);
  PortLock(PortLock&& other) noexcept;
  PortLock& operator=(PortLock&& other) noexcept;
  PortLock(const PortLock&) = delete;
  PortLock& operator=(const PortLock&) = delete;
  ~PortLock();  // removes the lock file

  const std::string& path() const { return path_; }
  // "LCK..ttyUSB2" for /dev/ttyUSB2, "LCK..pts_3" for /dev/pts/3.
  static std::string LockFileName(const std::string& resolved_device);

 private:
  explicit PortLock(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace gbabridge::modem

#endif  // GBABRIDGE_UICC_MODEM_PORT_LOCK_H_
