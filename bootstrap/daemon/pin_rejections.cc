#include "bootstrap/daemon/pin_rejections.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "uicc/base/bytes.h"

namespace gbabridge::daemon {
namespace {

constexpr size_t kSaltSize = 16;

bool IsHexOfSize(std::string_view text, size_t bytes) {
  if (text.size() != 2 * bytes) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<PinRejections> PinRejections::Load(std::string path) {
  PinRejections record(std::move(path));
  if (record.path_.empty()) return record;
  std::ifstream in(record.path_);
  if (!in) {
    if (errno == ENOENT) return record;  // nothing rejected yet
    return absl::InvalidArgumentError(absl::StrCat("cannot read the PIN rejection record ",
                                                   record.path_, ": ", std::strerror(errno)));
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() != 3 || fields[0].empty() || fields[0].size() > 20 ||
        !IsHexOfSize(fields[1], kSaltSize) || !IsHexOfSize(fields[2], 32)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the PIN rejection record ", record.path_, " is malformed at line ", number,
          " (expected: ICCID SALT SHA256); delete it only if no card has rejected the PIN"));
    }
    record.entries_.push_back({.iccid = fields[0] == "-" ? std::string() : fields[0],
                               .salt_hex = fields[1],
                               .digest_hex = fields[2]});
  }
  return record;
}

std::string PinRejections::Digest(const std::string& salt_hex, const SecretBytes& pin) {
  // One-shot SHA-256: a handful of calls per card insertion, no context worth keeping.
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt_hex.data(), salt_hex.size());
  EVP_DigestUpdate(ctx, pin.data(), pin.size());
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  return HexEncode(ByteView(digest, length));
}

bool PinRejections::WasRejected(const std::string& iccid, const SecretBytes& pin) const {
  for (const Entry& entry : entries_) {
    const bool same_card = iccid.empty() || entry.iccid.empty() || entry.iccid == iccid;
    if (same_card && Digest(entry.salt_hex, pin) == entry.digest_hex) return true;
  }
  return false;
}

absl::Status PinRejections::Record(const std::string& iccid, const SecretBytes& pin) {
  uint8_t salt[kSaltSize];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return absl::InternalError("RAND_bytes failed");
  Entry entry{
      .iccid = iccid, .salt_hex = HexEncode(ByteView(salt, sizeof(salt))), .digest_hex = ""};
  entry.digest_hex = Digest(entry.salt_hex, pin);
  entries_.push_back(std::move(entry));
  if (path_.empty()) return absl::OkStatus();

  std::ostringstream text;
  for (const Entry& e : entries_) {
    text << (e.iccid.empty() ? "-" : e.iccid) << ' ' << e.salt_hex << ' ' << e.digest_hex << '\n';
  }
  const std::string content = text.str();
  const std::string temporary = path_ + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && ::write(fd, content.data(), content.size()) ==
                                static_cast<ssize_t>(content.size());
  written = written && ::fsync(fd) == 0;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(temporary.c_str(), path_.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write the PIN rejection record ", path_, ": ",
                     std::strerror(written ? errno : error),
                     "; the rejection is remembered until gbabridged stops"));
  }
  return absl::OkStatus();
}

}  // namespace gbabridge::daemon
