#include "uicc/pcsc_readers.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uicc/card_error.h"

namespace gbabridge {

std::string PcscErrorText(LONG rv) {
  return absl::StrFormat("%s (0x%08X)", pcsc_stringify_error(rv), static_cast<uint32_t>(rv));
}

absl::Status PcscContextError(LONG rv, absl::string_view operation) {
  if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED || rv == SCARD_E_INVALID_HANDLE) {
    return CardError(CardErrorReason::kPcscdNotRunning,
                     "pcscd is not running (start it, e.g. `systemctl start pcscd`)");
  }
  if (rv == SCARD_F_COMM_ERROR) {
    // pcsc-lite's "RPC transport error": the socket to pcscd broke (pcscd stopped or
    // crashed mid-call). That is pcscd's outage, not a card removal.
    return CardError(CardErrorReason::kPcscdNotRunning,
                     absl::StrCat("lost the connection to pcscd during ", operation,
                                  " (RPC transport error): is pcscd running?"));
  }
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return NoReaderError();
  return CardError(CardErrorReason::kTransportFailed,
                   absl::StrCat("PC/SC ", operation, " failed: ", PcscErrorText(rv)));
}

absl::Status NoReaderError() {
  return CardError(CardErrorReason::kNoReader, "no smart card reader is connected");
}

std::vector<std::string> ParseReaderMultiString(std::string_view multi_string) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start < multi_string.size()) {
    const size_t end = multi_string.find('\0', start);
    const size_t stop = end == std::string_view::npos ? multi_string.size() : end;
    if (stop == start) break;  // the empty name that ends the list
    names.emplace_back(multi_string.substr(start, stop - start));
    start = stop + 1;
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> ListPcscReaderNames(SCARDCONTEXT context) {
  DWORD size = 0;
  LONG rv = SCardListReaders(context, nullptr, nullptr, &size);
  std::string buffer;
  if (rv == SCARD_S_SUCCESS) {
    buffer.assign(size, '\0');
    rv = SCardListReaders(context, nullptr, buffer.data(), &size);
  }
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return std::vector<std::string>();
  if (rv != SCARD_S_SUCCESS) return PcscContextError(rv, "SCardListReaders");
  // A reader may have gone between the two calls: pcscd then reports the smaller size.
  buffer.resize(std::min<size_t>(size, buffer.size()));
  return ParseReaderMultiString(buffer);
}

}  // namespace gbabridge
