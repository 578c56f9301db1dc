// ApduLog: one line per command APDU the soft USIM receives, so that tests (and people
// debugging a PC/SC stack) can count card commands, e.g. to check that a cached NAF key
// costs no APDU at all.
//
// A line is the command header, CLA INS P1 P2 in hex, and the command's name when known:
//   "00880081 AUTHENTICATE 3G"
//   "00880084 AUTHENTICATE GBA-BOOTSTRAP"      (or GBA-NAF-DERIVATION: the mode tag DD/DE)
// Only the header is ever written, never Lc, the data field or Le: the data field can hold
// a PIN (VERIFY, ETSI TS 102 221 §11.1.9) or RAND/AUTN (AUTHENTICATE, TS 31.102 §7.1.2).
// A command shorter than four bytes is written as the bytes it has plus "(malformed)".
#ifndef GBABRIDGE_UICC_SOFT_USIM_APDU_LOG_H_
#define GBABRIDGE_UICC_SOFT_USIM_APDU_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

// The command's name for an INS byte (ETSI TS 102 221 §10.1.2 table 10.5, ISO/IEC 7816-4),
// e.g. "SELECT"; empty when unknown.
std::string_view ApduCommandName(uint8_t ins);

// The part of a command APDU the log may show: the header (CLA INS P1 P2), plus Lc and the
// first data byte for AUTHENTICATE, where that byte is the GBA mode tag (DD bootstrapping,
// DE NAF derivation, TS 31.102 §7.1.2.4): no secret, and it tells a bootstrap from a
// Ks_ext_NAF derivation. Never more: the data can hold a PIN or RAND/AUTN.
ByteView LoggableCommandHeader(ByteView command_apdu);

// "00A40004 SELECT", from the first bytes of a command (at most four are read, six for
// AUTHENTICATE as LoggableCommandHeader gives them).
std::string FormatApduLogLine(ByteView header);

// An append-only log file. Each line is one write(2) on an O_APPEND descriptor: nothing is
// buffered in the process, so a reader sees every line as soon as the card has seen the
// command, and lines from several writers never interleave.
class ApduLogFile {
 public:
  // Creates the file (mode 0600) when missing; appends to it otherwise.
  static absl::StatusOr<std::unique_ptr<ApduLogFile>> Open(const std::string& path);
  ~ApduLogFile();
  ApduLogFile(const ApduLogFile&) = delete;
  ApduLogFile& operator=(const ApduLogFile&) = delete;

  // Appends FormatApduLogLine(header) and a newline. The caller decides what a failure
  // means (soft-usim reports it and keeps the card working: the log is a diagnostic).
  absl::Status Append(ByteView header);
  const std::string& path() const { return path_; }

 private:
  ApduLogFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_ = -1;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_APDU_LOG_H_
