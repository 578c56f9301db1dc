#include "uicc/soft_usim/card_state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

// Wipes a string that held the serialised state (it contains Ks in hex).
class StringWiper {
 public:
  explicit StringWiper(std::string& s) : s_(s) {}
  StringWiper(const StringWiper&) = delete;
  StringWiper& operator=(const StringWiper&) = delete;
  ~StringWiper() { Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(s_.data()), s_.size())); }

 private:
  std::string& s_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::Status Errno(absl::string_view action, const std::string& path) {
  const int err = errno;
  return absl::UnavailableError(
      absl::StrCat("cannot ", action, " ", path, ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<CardState>> CardStateStore::Load(uint64_t sqn_delta) const {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    return Errno("open soft USIM state", path_);
  }
  std::string contents;
  StringWiper wiper(contents);
  contents.reserve(64 * 1024);  // one allocation for typical sizes: fewer stray copies
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buffer), sizeof buffer));
      return Errno("read soft USIM state", path_);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
    if (contents.size() > (16u << 20)) {
      return absl::DataLossError(absl::StrCat("soft USIM state ", path_, " is over 16 MiB"));
    }
  }
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buffer), sizeof buffer));
  absl::StatusOr<CardState> state = CardState::FromJson(contents, sqn_delta);
  if (!state.ok()) {
    return absl::Status(state.status().code(), absl::StrCat(path_, ": ", state.status().message()));
  }
  return std::optional<CardState>(*std::move(state));
}

absl::Status CardStateStore::Save(const CardState& state) const {
  std::string json;
  try {
    json = state.ToJson();
  } catch (const std::exception& e) {
    // Not expected (every string is hex or ASCII), but a card must answer, not crash.
    return absl::InternalError(absl::StrCat("cannot serialise the soft USIM state: ", e.what()));
  }
  StringWiper wiper(json);
  const std::filesystem::path target(path_);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  // StrCat, not operator+: GCC 12 at -O3 reports a false -Wrestrict on "." + std::string.
  std::string temp = (dir / absl::StrCat(".", target.filename().string(), ".tmp.XXXXXX")).string();
  // mkstemp creates the file 0600: the state holds Ks.
  Fd fd(::mkstemp(temp.data()));
  if (fd.get() < 0) return Errno("create a temporary state file in", dir.string());
  absl::Status status = WriteAll(fd.get(), json, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) status = Errno("fsync", temp);
  if (status.ok() && ::close(fd.Release()) != 0) status = Errno("close", temp);
  if (status.ok() && ::rename(temp.c_str(), path_.c_str()) != 0) {
    status = Errno("rename the new state onto", path_);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the directory entry is.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return Errno("open directory", dir.string());
  if (::fsync(dir_fd.get()) != 0) return Errno("fsync directory", dir.string());
  return absl::OkStatus();
}

}  // namespace gbabridge
