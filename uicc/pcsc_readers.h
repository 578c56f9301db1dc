// PC/SC helpers shared by PcscTransport and PcscReaderMonitor (internal to the card
// library; includes pcsc-lite's header): one mapping of context-level PC/SC errors to card
// errors, and one reader listing with one rule for "no reader".
#ifndef GBABRIDGE_UICC_PCSC_READERS_H_
#define GBABRIDGE_UICC_PCSC_READERS_H_

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gbabridge {

// "Service was stopped. (0x8010001E)".
std::string PcscErrorText(LONG rv);

// An error of a call that does not concern one reader (establishing or using the context,
// listing readers): pcscd gone (SCARD_E_NO_SERVICE, SERVICE_STOPPED, INVALID_HANDLE) is
// kPcscdNotRunning, no reader kNoReader, anything else kTransportFailed naming `operation`.
absl::Status PcscContextError(LONG rv, absl::string_view operation);

// The error a caller that needs a reader returns when the listing is empty.
absl::Status NoReaderError();

// The names in a PC/SC multi-string (names separated by NUL, ended by an empty name). Stops
// at the first empty name or at the end of `multi_string`, whichever comes first, so a
// buffer without its final NULs still parses.
std::vector<std::string> ParseReaderMultiString(std::string_view multi_string);

// The readers pcscd knows. No reader is an empty list (SCARD_E_NO_READERS_AVAILABLE is not an
// error here): the caller decides whether that is one (NoReaderError()).
absl::StatusOr<std::vector<std::string>> ListPcscReaderNames(SCARDCONTEXT context);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_PCSC_READERS_H_
