#include "uicc/soft_usim/apdu_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "uicc/soft_usim/soft_usim_apdus.h"

namespace gbabridge {

namespace {

struct InsName {
  uint8_t ins;
  std::string_view name;
};

// ETSI TS 102 221 §10.1.2, table 10.5: the UICC command set (the CAT commands of
// TS 102 223 included).
constexpr InsName kInsNames[] = {
    {0x04, "DEACTIVATE FILE"},
    {0x10, "TERMINAL PROFILE"},
    {0x12, "FETCH"},
    {0x14, "TERMINAL RESPONSE"},
    {0x20, "VERIFY"},
    {0x24, "CHANGE PIN"},
    {0x26, "DISABLE PIN"},
    {0x28, "ENABLE PIN"},
    {0x2C, "UNBLOCK PIN"},
    {0x32, "INCREASE"},
    {0x44, "ACTIVATE FILE"},
    {0x70, "MANAGE CHANNEL"},
    {0x73, "MANAGE SECURE CHANNEL"},
    {0x75, "TRANSACT DATA"},
    {0x76, "SUSPEND UICC"},
    {0x78, "GET IDENTITY"},
    {0x84, "GET CHALLENGE"},
    {0x88, "AUTHENTICATE"},
    {0x89, "AUTHENTICATE"},
    {0xA2, "SEARCH RECORD"},
    {0xA4, "SELECT"},
    {0xAA, "TERMINAL CAPABILITY"},
    {0xB0, "READ BINARY"},
    {0xB2, "READ RECORD"},
    {0xC0, "GET RESPONSE"},
    {0xC2, "ENVELOPE"},
    {0xCB, "RETRIEVE DATA"},
    {0xD6, "UPDATE BINARY"},
    {0xDB, "SET DATA"},
    {0xDC, "UPDATE RECORD"},
    {0xF2, "STATUS"},
};

}  // namespace

std::string_view ApduCommandName(uint8_t ins) {
  for (const InsName& entry : kInsNames) {
    if (entry.ins == ins) return entry.name;
  }
  return {};
}

ByteView LoggableCommandHeader(ByteView command_apdu) {
  const size_t shown =
      command_apdu.size() >= 6 && command_apdu[1] == card_apdu::kInsAuthenticate ? 6 : 4;
  return command_apdu.first(std::min(command_apdu.size(), shown));
}

std::string FormatApduLogLine(ByteView header) {
  // Never more than the four header bytes in hex: what follows may be a PIN or RAND/AUTN.
  const ByteView head = header.first(std::min<size_t>(header.size(), 4));
  std::string line = HexEncode(head);
  for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (head.size() < 4) return absl::StrCat(line, " (malformed)");
  const std::string_view name = ApduCommandName(head[1]);
  if (!name.empty()) absl::StrAppend(&line, " ", absl::string_view(name.data(), name.size()));
  // AUTHENTICATE: name the security context (P2, TS 31.102 §7.1.2) and, in the GBA context,
  // the mode from the first data byte after Lc, a tag and never data (§7.1.2.4).
  if (head[1] == card_apdu::kInsAuthenticate) {
    const uint8_t context = head[3] & card_apdu::kAuthContextMask;
    if (context == (card_apdu::kAuthContext3g & card_apdu::kAuthContextMask)) {
      absl::StrAppend(&line, " 3G");
    }
    if (context == (card_apdu::kAuthContextGba & card_apdu::kAuthContextMask)) {
      const uint8_t tag = header.size() >= 6 ? header[5] : 0;
      absl::StrAppend(&line, tag == card_apdu::kGbaBootstrapTag       ? " GBA-BOOTSTRAP"
                             : tag == card_apdu::kGbaNafDerivationTag ? " GBA-NAF-DERIVATION"
                                                                      : " GBA");
    }
  }
  return line;
}

absl::StatusOr<std::unique_ptr<ApduLogFile>> ApduLogFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the APDU log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<ApduLogFile>(new ApduLogFile(path, fd));
}

ApduLogFile::~ApduLogFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ApduLogFile::Append(ByteView header) {
  const std::string line = FormatApduLogLine(header) + "\n";
  // One write(2) per line: with O_APPEND the line lands whole at the end of the file.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot write the APDU log ", path_, ": ",
                                                 n < 0 ? std::strerror(errno) : "short write"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace gbabridge
