// PcscTransport: a CardTransport over pcsc-lite (PC/SC).
//
// - Connects in shared mode with T=0 or T=1 (whatever the card offers, or as asked).
// - Multi-APDU operations run inside SCardBeginTransaction/SCardEndTransaction.
// - After a card reset by another client it reconnects (SCardReconnect) and reports
//   kCardReset once, so the caller re-selects its application.
// - After a removal, or a pcscd restart, the next call reconnects on its own when the card
//   (or the daemon) is back; until then calls fail with kCardRemoved / kNoCard /
//   kPcscdNotRunning.
// Not thread-safe: one owner at a time (the daemon serialises card access).
#ifndef GBABRIDGE_UICC_PCSC_TRANSPORT_H_
#define GBABRIDGE_UICC_PCSC_TRANSPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "uicc/card_transport.h"

namespace gbabridge {

enum class PcscProtocol { kAny, kT0, kT1 };

struct PcscOptions {
  std::string reader;  // exact reader name; empty = the first reader with a card
  PcscProtocol protocol = PcscProtocol::kAny;
};

struct PcscReaderInfo {
  std::string name;
  bool card_present = false;
};

class PcscTransport : public CardTransport {
 public:
  // Lists readers and whether each has a card.
  static absl::StatusOr<std::vector<PcscReaderInfo>> ListReaders();
  static absl::StatusOr<std::unique_ptr<PcscTransport>> Connect(const PcscOptions& options);

  ~PcscTransport() override;
  PcscTransport(const PcscTransport&) = delete;
  PcscTransport& operator=(const PcscTransport&) = delete;

  absl::Status BeginTransaction() override;
  absl::Status EndTransaction() override;
  std::string ReaderName() const override { return reader_; }
  Bytes Atr() const override { return atr_; }
  // "T=0" or "T=1".
  std::string ActiveProtocol() const override;
  // Warm-resets the card (SCardReconnect with SCARD_RESET_CARD). Other clients see
  // SCARD_W_RESET_CARD on their next call; selections are lost.
  absl::Status ResetCard();

 protected:
  absl::StatusOr<Bytes> TransmitRaw(ByteView command) override;

 private:
  struct Handles;
  PcscTransport(PcscOptions options, std::unique_ptr<Handles> handles);
  // Re-establishes the context and card handle after a removal or pcscd restart.
  absl::Status EnsureConnected();
  absl::Status ConnectCard();
  absl::Status ReadAtr();
  // Turns a PC/SC error into a CardError, dropping handles that it invalidated.
  absl::Status Fail(long rv, absl::string_view operation);

  PcscOptions options_;
  std::unique_ptr<Handles> handles_;
  std::string reader_;
  Bytes atr_;
  int transaction_depth_ = 0;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_PCSC_TRANSPORT_H_
