// CardTransport: sends APDUs to one card. Implementations provide the raw exchange; this
// base class handles the T=0 response procedures (61xx GET RESPONSE, 6Cxx resend with Le)
// so that every transport behaves the same (ETSI TS 102 221 §7.3.1.1.4, ISO 7816-3).
#ifndef GBABRIDGE_UICC_CARD_TRANSPORT_H_
#define GBABRIDGE_UICC_CARD_TRANSPORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/apdu.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

class CardTransport {
 public:
  virtual ~CardTransport() = default;

  // Sends a command; follows 61xx and 6Cxx. The returned status word is the card's
  // final one; callers interpret it.
  absl::StatusOr<ResponseApdu> Transmit(const CommandApdu& command);

  // Exclusive access for a multi-APDU operation. Nested calls are counted.
  virtual absl::Status BeginTransaction() = 0;
  virtual absl::Status EndTransaction() = 0;

  virtual std::string ReaderName() const = 0;
  virtual Bytes Atr() const = 0;
  // How the APDUs travel, for people: "T=0"/"T=1" (PC/SC), "AT+CGLA, channel 1" (a modem).
  virtual std::string ActiveProtocol() const = 0;

 protected:
  // One raw exchange: serialised command in, serialised response out.
  virtual absl::StatusOr<Bytes> TransmitRaw(ByteView command) = 0;

 private:
  // Encode, TransmitRaw, parse; both transport buffers are wiped.
  absl::StatusOr<ResponseApdu> Exchange(const CommandApdu& command);
};

// RAII exclusive transaction. Check status() after construction.
class ScopedTransaction {
 public:
  explicit ScopedTransaction(CardTransport& channel);
  ~ScopedTransaction();
  ScopedTransaction(const ScopedTransaction&) = delete;
  ScopedTransaction& operator=(const ScopedTransaction&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  CardTransport& channel_;
  absl::Status status_;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_CARD_TRANSPORT_H_
