#include "uicc/modem/port_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "uicc/card_error.h"

namespace gbabridge::modem {
namespace {

// The PID in a lock file (ASCII, possibly padded), or 0.
pid_t ReadOwner(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool Alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

std::string PortLock::LockFileName(const std::string& resolved_device) {
  std::string name = resolved_device;
  if (name.rfind("/dev/", 0) == 0) name = name.substr(5);
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return "LCK.." + name;
}

absl::StatusOr<PortLock> PortLock::Acquire(const std::string& device, const std::string& lock_dir) {
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::canonical(device, ec);
  const std::string name = LockFileName(ec ? device : resolved.string());
  const std::string path = (std::filesystem::path(lock_dir) / name).string();
  // FHS 3.0 §5.9: the PID as ten ASCII characters, right-aligned, and a newline.
  char content_buffer[16];
  std::snprintf(content_buffer, sizeof(content_buffer), "%10d\n", static_cast<int>(getpid()));
  const std::string content(content_buffer);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const ssize_t written = ::write(fd, content.data(), content.size());
      ::close(fd);
      if (written != static_cast<ssize_t>(content.size())) {
        ::unlink(path.c_str());
        return CardError(CardErrorReason::kTransportFailed,
                         absl::StrCat("cannot write the lock file ", path));
      }
      return PortLock(path);
    }
    if (errno == ENOENT && !std::filesystem::exists(lock_dir)) {
      // No lock directory on this system (a minimal container): TIOCEXCL still guards the
      // port.
      return PortLock(std::string());
    }
    if (errno != EEXIST) {
      return CardError(
          CardErrorReason::kTransportFailed,
          absl::StrCat("cannot create the lock file ", path, ": ", std::strerror(errno),
                       " (card.modem_lock_dir; the daemon needs write access)"));
    }
    const pid_t owner = ReadOwner(path);
    if (owner == getpid()) {
      return CardError(CardErrorReason::kTransportFailed,
                       absl::StrCat("modem port ", device, " is already open in this process"));
    }
    if (Alive(owner)) {
      return CardError(
          CardErrorReason::kTransportFailed,
          absl::StrCat("modem port ", device, " is in use by process ", owner, " (lock file ", path,
                       "; keep ModemManager off the port, see the README)"));
    }
    // Stale: its owner is gone.
    ::unlink(path.c_str());
  }
  return CardError(CardErrorReason::kTransportFailed,
                   absl::StrCat("cannot take the lock file ", path));
}

PortLock::PortLock(PortLock&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

PortLock& PortLock::operator=(PortLock&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

PortLock::~PortLock() {
  if (!path_.empty() && ReadOwner(path_) == getpid()) ::unlink(path_.c_str());
}

}  // namespace gbabridge::modem
