// Reading a file that holds a secret (a TLS private key, a PIN) straight into SecretBytes:
// read(2) into locked memory, never through an ifstream or a string stream, whose heap
// buffers are neither locked nor wiped.
#ifndef GBABRIDGE_UICC_BASE_SECRET_FILE_H_
#define GBABRIDGE_UICC_BASE_SECRET_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {

// The whole file. `what` names it in errors ("the TLS private key"); a file larger than
// `max_size` is refused (a PEM key is a few KiB). INVALID_ARGUMENT when it cannot be read.
absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path, std::string_view what,
                                           size_t max_size = 64 * 1024);

// The secret as the std::string some APIs take (gRPC's SSL options, OpenSSL's BIO): the
// caller wipes it with WipeString() as soon as the API has it.
std::string SecretToString(const SecretBytes& secret);
void WipeString(std::string& text);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_SECRET_FILE_H_
