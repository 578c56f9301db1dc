#include "bootstrap/protocol/base64.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gbabridge {
namespace {

// EVP_EncodeBlock/EVP_DecodeBlock take an int length; work in chunks well below INT_MAX.
// Multiples of 3 (encode) and 4 (decode) so that no chunk but the last needs padding.
constexpr size_t kEncodeChunk = 3 * 1024 * 1024;
constexpr size_t kDecodeChunk = 4 * 1024 * 1024;

bool IsAlphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// The 6-bit value of an alphabet character (RFC 4648 §4, Table 1).
int SextetValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// Strict RFC 4648 §4 validation. EVP_DecodeBlock alone is too lenient for us: it skips
// leading/trailing whitespace and treats '=' as zero bits without checking where it
// stands, so everything is checked here first. Returns the number of '=' characters.
absl::StatusOr<size_t> Validate(std::string_view text) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("base64 text has length ", text.size(),
                                                   ", which is not a multiple of 4 (RFC 4648 §4)"));
  }
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  const size_t data_chars = text.size() - padding;
  for (size_t i = 0; i < data_chars; ++i) {
    if (!IsAlphabet(text[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("base64 text has a character outside the alphabet (or misplaced "
                       "padding) at position ",
                       i));
    }
  }
  // RFC 4648 §3.5: the bits left over before the padding must be zero; accepting other
  // values would make several texts decode to the same bytes.
  if (padding > 0) {
    const int last = SextetValue(text[data_chars - 1]);
    const int unused_mask = padding == 2 ? 0x0f : 0x03;
    if ((last & unused_mask) != 0) {
      return absl::InvalidArgumentError(
          "base64 text has non-zero bits before its padding (RFC 4648 §3.5)");
    }
  }
  return padding;
}

}  // namespace

std::string Base64Encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t n = std::min(kEncodeChunk, bytes.size() - offset);
    // EVP_EncodeBlock writes 4 characters per 3 bytes (rounded up) plus a NUL.
    std::string chunk((n + 2) / 3 * 4 + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(chunk.data()),
                                        bytes.data() + offset, static_cast<int>(n));
    out.append(chunk.data(), static_cast<size_t>(written));
    offset += n;
  }
  return out;
}

absl::StatusOr<Bytes> Base64Decode(std::string_view text) {
  absl::StatusOr<size_t> padding = Validate(text);
  if (!padding.ok()) return padding.status();

  Bytes out;
  out.reserve(text.size() / 4 * 3);
  size_t offset = 0;
  while (offset < text.size()) {
    const size_t n = std::min(kDecodeChunk, text.size() - offset);
    const size_t start = out.size();
    out.resize(start + n / 4 * 3);
    const int written = EVP_DecodeBlock(
        out.data() + start, reinterpret_cast<const unsigned char*>(text.data()) + offset,
        static_cast<int>(n));
    if (written < 0 || static_cast<size_t>(written) != n / 4 * 3) {
      return absl::InvalidArgumentError("base64 text could not be decoded");
    }
    offset += n;
  }
  // EVP_DecodeBlock decodes '=' as zero bits and still counts 3 bytes per group: the true
  // length drops one byte per padding character.
  out.resize(out.size() - *padding);
  return out;
}

}  // namespace gbabridge
