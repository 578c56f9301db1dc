// PinRejections: the cards that rejected the configured PIN, remembered across restarts.
//
// A wrong PIN costs one of the card's few tries (TS 102 221 §9.5.1: three, then the PUK).
// gbabridged presents a PIN at most once per card: after a rejection it never presents that
// PIN to that card again, also not after a restart (`systemctl restart`, a crash, a reboot)
// as long as the same PIN is configured. Correcting the PIN (a different one) allows a new
// try. The record lives in the daemon's StateDirectory (/var/lib/gbabridge/pin-rejections,
// mode 0600), one line per rejection:
//
//   <ICCID or "-" when unreadable> <salt, 16 bytes hex> <SHA-256(salt || PIN), hex>
//
// never the PIN itself. (Whoever can read the file can read the PIN file too: it is the
// daemon's own user.) Without a path the record is kept in memory only.
#ifndef GBABRIDGE_BOOTSTRAP_DAEMON_PIN_REJECTIONS_H_
#define GBABRIDGE_BOOTSTRAP_DAEMON_PIN_REJECTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::daemon {

class PinRejections {
 public:
  // Reads `path` if it exists ("" for memory only). A malformed file is an error naming it.
  static absl::StatusOr<PinRejections> Load(std::string path);

  // Whether `pin` was rejected by the card `iccid` ("" = unknown ICCID). An unknown ICCID,
  // now or then, counts as possibly the same card: never risk a second wrong try.
  bool WasRejected(const std::string& iccid, const SecretBytes& pin) const;
  // Records a rejection, and writes the file (atomically: a temporary file, fsync, rename).
  // The record in memory holds even if the write fails (the error says so).
  absl::Status Record(const std::string& iccid, const SecretBytes& pin);

  const std::string& path() const { return path_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string iccid;  // "" when unreadable ("-" in the file)
    std::string salt_hex;
    std::string digest_hex;
  };
  explicit PinRejections(std::string path) : path_(std::move(path)) {}
  static std::string Digest(const std::string& salt_hex, const SecretBytes& pin);

  std::string path_;
  std::vector<Entry> entries_;
};

}  // namespace gbabridge::daemon

#endif  // GBABRIDGE_BOOTSTRAP_DAEMON_PIN_REJECTIONS_H_
