#include "uicc/pcsc_transport.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_error.h"
#include "uicc/pcsc_readers.h"

namespace gbabridge {

struct PcscTransport::Handles {
  SCARDCONTEXT context = 0;
  bool has_context = false;
  SCARDHANDLE card = 0;
  bool has_card = false;
  DWORD protocol = 0;

  void DropCard() {
    if (has_card) SCardDisconnect(card, SCARD_LEAVE_CARD);
    has_card = false;
  }
  void DropContext() {
    DropCard();
    if (has_context) SCardReleaseContext(context);
    has_context = false;
  }
  ~Handles() { DropContext(); }
};

namespace {

// Largest response: 256 data bytes + SW for short APDUs; extended up to 65536 + 2.
constexpr size_t kMaxResponseSize = 65538;

absl::StatusOr<std::vector<std::string>> ReaderNames(SCARDCONTEXT context) {
  absl::StatusOr<std::vector<std::string>> names = ListPcscReaderNames(context);
  if (names.ok() && names->empty()) return NoReaderError();
  return names;
}

absl::StatusOr<std::vector<PcscReaderInfo>> ReadersWithState(SCARDCONTEXT context) {
  absl::StatusOr<std::vector<std::string>> names = ReaderNames(context);
  if (!names.ok()) return names.status();
  std::vector<SCARD_READERSTATE> states(names->size());
  for (size_t i = 0; i < names->size(); ++i) {
    states[i].szReader = (*names)[i].c_str();
    states[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  LONG rv = SCardGetStatusChange(context, 0, states.data(), static_cast<DWORD>(states.size()));
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
    return PcscContextError(rv, "SCardGetStatusChange");
  }
  std::vector<PcscReaderInfo> readers;
  for (size_t i = 0; i < names->size(); ++i) {
    readers.push_back({(*names)[i], (states[i].dwEventState & SCARD_STATE_PRESENT) != 0});
  }
  return readers;
}

absl::StatusOr<SCARDCONTEXT> EstablishContext() {
  SCARDCONTEXT context = 0;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context);
  if (rv != SCARD_S_SUCCESS) return PcscContextError(rv, "SCardEstablishContext");
  return context;
}

}  // namespace

absl::StatusOr<std::vector<PcscReaderInfo>> PcscTransport::ListReaders() {
  absl::StatusOr<SCARDCONTEXT> context = EstablishContext();
  if (!context.ok()) return context.status();
  absl::StatusOr<std::vector<PcscReaderInfo>> readers = ReadersWithState(*context);
  SCardReleaseContext(*context);
  return readers;
}

absl::StatusOr<std::unique_ptr<PcscTransport>> PcscTransport::Connect(const PcscOptions& options) {
  auto channel =
      std::unique_ptr<PcscTransport>(new PcscTransport(options, std::make_unique<Handles>()));
  absl::Status s = channel->EnsureConnected();
  if (!s.ok()) return s;
  return channel;
}

PcscTransport::PcscTransport(PcscOptions options, std::unique_ptr<Handles> handles)
    : options_(std::move(options)), handles_(std::move(handles)) {}

PcscTransport::~PcscTransport() {
  if (transaction_depth_ > 0 && handles_->has_card) {
    SCardEndTransaction(handles_->card, SCARD_LEAVE_CARD);
  }
}

std::string PcscTransport::ActiveProtocol() const {
  return handles_->protocol == SCARD_PROTOCOL_T0 ? "T=0" : "T=1";
}

absl::Status PcscTransport::EnsureConnected() {
  if (!handles_->has_context) {
    absl::StatusOr<SCARDCONTEXT> context = EstablishContext();
    if (!context.ok()) return context.status();
    handles_->context = *context;
    handles_->has_context = true;
  } else if (SCardIsValidContext(handles_->context) != SCARD_S_SUCCESS) {
    handles_->DropContext();
    return EnsureConnected();
  }
  if (handles_->has_card) return absl::OkStatus();
  return ConnectCard();
}

absl::Status PcscTransport::ConnectCard() {
  absl::StatusOr<std::vector<PcscReaderInfo>> readers = ReadersWithState(handles_->context);
  if (!readers.ok()) {
    if (GetCardErrorReason(readers.status()) == CardErrorReason::kPcscdNotRunning) {
      handles_->DropContext();
    }
    return readers.status();
  }
  const PcscReaderInfo* chosen = nullptr;
  for (const PcscReaderInfo& r : *readers) {
    if (options_.reader.empty() ? r.card_present : r.name == options_.reader) {
      chosen = &r;
      break;
    }
  }
  if (chosen == nullptr) {
    if (!options_.reader.empty()) {
      std::string names;
      for (const PcscReaderInfo& r : *readers)
        absl::StrAppend(&names, names.empty() ? "" : ", ", "\"", r.name, "\"");
      return CardError(
          CardErrorReason::kNoReader,
          absl::StrCat("no reader named \"", options_.reader, "\" (readers: ", names, ")"));
    }
    return CardError(CardErrorReason::kNoCard,
                     absl::StrCat("no card in any reader (", readers->size(), " reader",
                                  readers->size() == 1 ? "" : "s", " checked)"));
  }
  if (!chosen->card_present) {
    return CardError(CardErrorReason::kNoCard, absl::StrCat("no card in reader ", chosen->name));
  }
  DWORD protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
  if (options_.protocol == PcscProtocol::kT0) protocols = SCARD_PROTOCOL_T0;
  if (options_.protocol == PcscProtocol::kT1) protocols = SCARD_PROTOCOL_T1;
  reader_ = chosen->name;
  LONG rv = SCardConnect(handles_->context, reader_.c_str(), SCARD_SHARE_SHARED, protocols,
                         &handles_->card, &handles_->protocol);
  if (rv != SCARD_S_SUCCESS) return Fail(rv, "SCardConnect");
  handles_->has_card = true;
  return ReadAtr();
}

absl::Status PcscTransport::ReadAtr() {
  std::array<BYTE, MAX_ATR_SIZE> atr{};
  DWORD atr_len = atr.size();
  DWORD state = 0;
  DWORD protocol = 0;
  DWORD name_len = 0;
  LONG rv =
      SCardStatus(handles_->card, nullptr, &name_len, &state, &protocol, atr.data(), &atr_len);
  if (rv != SCARD_S_SUCCESS) return Fail(rv, "SCardStatus");
  atr_.assign(atr.begin(), atr.begin() + std::min<size_t>(atr_len, atr.size()));
  return absl::OkStatus();
}

absl::Status PcscTransport::Fail(long rv, absl::string_view operation) {
  const std::string where = reader_.empty() ? std::string("the reader") : reader_;
  switch (rv) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_INVALID_HANDLE:
    case SCARD_F_COMM_ERROR:  // the socket to pcscd broke: pcscd's outage (pcsc_readers.h)
    case SCARD_E_NO_READERS_AVAILABLE:
      handles_->DropContext();
      transaction_depth_ = 0;
      if (rv == SCARD_E_INVALID_HANDLE) {
        return CardError(CardErrorReason::kPcscdNotRunning,
                         absl::StrCat("lost the connection to pcscd during ", operation,
                                      " (was it restarted?)"));
      }
      return PcscContextError(rv, operation);
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
      handles_->DropCard();
      transaction_depth_ = 0;
      return CardError(CardErrorReason::kNoReader,
                       absl::StrCat("reader ", where, " went away during ", operation));
    case SCARD_E_NO_SMARTCARD:
      handles_->DropCard();
      transaction_depth_ = 0;
      return CardError(CardErrorReason::kNoCard, absl::StrCat("no card in reader ", where));
    case SCARD_W_REMOVED_CARD:
      handles_->DropCard();
      transaction_depth_ = 0;
      return CardError(CardErrorReason::kCardRemoved,
                       absl::StrCat("card removed from reader ", where, " during ", operation));
    case SCARD_W_RESET_CARD: {
      // Someone reset the card: our selection is gone. Reconnect now, keeping the card
      // as it is, and tell the caller to start its operation again.
      DWORD protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
      LONG again = SCardReconnect(handles_->card, SCARD_SHARE_SHARED, protocols, SCARD_LEAVE_CARD,
                                  &handles_->protocol);
      transaction_depth_ = 0;
      if (again != SCARD_S_SUCCESS) handles_->DropCard();
      return CardError(CardErrorReason::kCardReset,
                       absl::StrCat("card in reader ", where, " was reset during ", operation,
                                    "; its application must be selected again"));
    }
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNPOWERED_CARD:
      handles_->DropCard();
      transaction_depth_ = 0;
      return CardError(
          CardErrorReason::kCardRemoved,
          absl::StrCat("card in reader ", where, " does not respond (", PcscErrorText(rv), ")"));
    default:
      return CardError(
          CardErrorReason::kTransportFailed,
          absl::StrCat("PC/SC ", operation, " on ", where, " failed: ", PcscErrorText(rv)));
  }
}

absl::Status PcscTransport::ResetCard() {
  absl::Status s = EnsureConnected();
  if (!s.ok()) return s;
  LONG rv =
      SCardReconnect(handles_->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                     SCARD_RESET_CARD, &handles_->protocol);
  if (rv != SCARD_S_SUCCESS) return Fail(rv, "SCardReconnect");
  transaction_depth_ = 0;
  return ReadAtr();
}

absl::Status PcscTransport::BeginTransaction() {
  if (transaction_depth_ > 0) {
    ++transaction_depth_;
    return absl::OkStatus();
  }
  absl::Status s = EnsureConnected();
  if (!s.ok()) return s;
  LONG rv = SCardBeginTransaction(handles_->card);
  if (rv != SCARD_S_SUCCESS) return Fail(rv, "SCardBeginTransaction");
  transaction_depth_ = 1;
  return absl::OkStatus();
}

absl::Status PcscTransport::EndTransaction() {
  if (transaction_depth_ == 0) return absl::OkStatus();
  if (--transaction_depth_ > 0) return absl::OkStatus();
  if (!handles_->has_card) return absl::OkStatus();
  LONG rv = SCardEndTransaction(handles_->card, SCARD_LEAVE_CARD);
  if (rv != SCARD_S_SUCCESS) return Fail(rv, "SCardEndTransaction");
  return absl::OkStatus();
}

absl::StatusOr<Bytes> PcscTransport::TransmitRaw(ByteView command) {
  absl::Status s = EnsureConnected();
  if (!s.ok()) return s;
  const SCARD_IO_REQUEST* pci =
      handles_->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  Bytes response(kMaxResponseSize);
  DWORD response_len = static_cast<DWORD>(response.size());
  LONG rv = SCardTransmit(handles_->card, pci, command.data(), static_cast<DWORD>(command.size()),
                          nullptr, response.data(), &response_len);
  if (rv != SCARD_S_SUCCESS) {
    Cleanse(std::span<uint8_t>(response));
    return Fail(rv, "SCardTransmit");
  }
  if (response_len > response.size()) {
    Cleanse(std::span<uint8_t>(response));
    return CardError(CardErrorReason::kMalformedResponse, "PC/SC reported an oversized response");
  }
  // Wipe the unused tail before shrinking; the kept part is wiped by its consumer.
  Cleanse(std::span<uint8_t>(response).subspan(response_len));
  response.resize(response_len);
  if (response_len < 2) {
    // No status word: the exchange broke off. Some readers (vpcd among them) report a card
    // that vanished mid-command this way rather than with SCARD_W_REMOVED_CARD, so ask PC/SC
    // whether the card is still there. Either way the operation lost the card midway (retry
    // once a card answers), which is not the same as a card that answers malformed data.
    Cleanse(std::span<uint8_t>(response));
    DWORD state = 0;
    DWORD protocol = 0;
    DWORD name_len = 0;
    DWORD atr_len = 0;
    const LONG status =
        SCardStatus(handles_->card, nullptr, &name_len, &state, &protocol, nullptr, &atr_len);
    const bool status_read = status == SCARD_S_SUCCESS || status == SCARD_E_INSUFFICIENT_BUFFER;
    if (status == SCARD_E_NO_SMARTCARD || (status_read && (state & SCARD_PRESENT) == 0)) {
      return Fail(SCARD_W_REMOVED_CARD, "SCardTransmit");
    }
    // Removed, reset by someone else, pcscd or the reader gone: Fail() tells them apart and
    // drops or reconnects the handles for each.
    if (!status_read) return Fail(status, "SCardTransmit");
    return CardError(CardErrorReason::kTransportFailed,
                     absl::StrCat("the exchange with the card in reader ",
                                  reader_.empty() ? std::string("the reader") : reader_,
                                  " broke off: ", response_len,
                                  " byte(s) and no status word (was the card pulled out?)"));
  }
  return response;
}

}  // namespace gbabridge
