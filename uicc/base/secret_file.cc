#include "uicc/base/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>

#include "absl/strings/str_cat.h"

namespace gbabridge {

absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path, std::string_view what,
                                           size_t max_size) {
  const std::string name(what);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", name, " ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(name, " ", path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(name, " ", path, " is ", st.st_size,
                                                   " bytes, more than the ", max_size,
                                                   " such a file can hold"));
  }
  // One byte more than the size seen, to notice a file that grew meanwhile.
  SecretBytes buffer(static_cast<size_t>(st.st_size) + 1);
  size_t length = 0;
  while (length < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + length, buffer.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read ", name, " ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    length += static_cast<size_t>(n);
  }
  ::close(fd);
  if (length == buffer.size()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " ", path, " changed while it was read"));
  }
  return SecretBytes::CopyFrom(buffer.view().first(length));  // buffer is wiped on return
}

std::string SecretToString(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

void WipeString(std::string& text) {
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  text.clear();
}

}  // namespace gbabridge
