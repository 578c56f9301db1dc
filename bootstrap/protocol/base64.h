// Standard base64 (RFC 4648 §4, with padding), on OpenSSL's EVP_EncodeBlock/DecodeBlock.
#ifndef GBABRIDGE_BOOTSTRAP_PROTOCOL_BASE64_H_
#define GBABRIDGE_BOOTSTRAP_PROTOCOL_BASE64_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

std::string Base64Encode(ByteView bytes);
// Strict: rejects characters outside the alphabet, bad padding and lengths that are not a
// multiple of 4. Never echoes the input in its error.
absl::StatusOr<Bytes> Base64Decode(std::string_view text);

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_PROTOCOL_BASE64_H_
