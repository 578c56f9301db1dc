#include "uicc/card_transport.h"

#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

// Bounds the 61xx chain: 64 GET RESPONSEs of 256 bytes is more than any USIM answer.
constexpr int kMaxGetResponses = 64;
// GET RESPONSE (ETSI TS 102 221 §11.1.13); CLA 00 on the basic channel.
constexpr uint8_t kInsGetResponse = 0xC0;

}  // namespace

absl::StatusOr<ResponseApdu> CardTransport::Exchange(const CommandApdu& command) {
  absl::StatusOr<Bytes> encoded = command.Encode();
  if (!encoded.ok()) return encoded.status();
  absl::StatusOr<Bytes> raw = TransmitRaw(*encoded);
  // Commands carry PINs and NAF derivation input, responses RES/CK/IK/Ks_ext_NAF: wipe
  // both transport buffers whatever happened.
  Cleanse(std::span<uint8_t>(*encoded));
  if (!raw.ok()) return raw.status();
  absl::StatusOr<ResponseApdu> response = ResponseApdu::Parse(*raw);
  Cleanse(std::span<uint8_t>(*raw));
  if (!response.ok()) {
    return CardError(CardErrorReason::kMalformedResponse,
                     absl::StrCat("the card's answer is malformed: ", response.status().message()));
  }
  return response;
}

absl::StatusOr<ResponseApdu> CardTransport::Transmit(const CommandApdu& command) {
  absl::StatusOr<ResponseApdu> response = Exchange(command);
  if (!response.ok()) return response.status();

  // 6Cxx: wrong Le; resend the same command with Le = xx (ISO 7816-3 §10.3.3).
  if (response->sw1() == 0x6C) {
    CommandApdu again = command;
    again.le = response->sw2() == 0 ? kMaxShortLe : response->sw2();
    response = Exchange(again);
    Cleanse(std::span<uint8_t>(again.data));
    if (!response.ok()) return response.status();
  }

  // 61xx: xx more bytes are waiting; fetch them with GET RESPONSE, appending each part
  // (TS 102 221 §7.3.1.1.4; case 4 under T=0 always ends this way). The buffer is sized
  // for the longest chain up front so that growing it never leaves a stray copy of key
  // material behind.
  Bytes collected;
  if (response->sw1() == 0x61) collected.reserve(kMaxGetResponses * kMaxShortLe + 256);
  collected.insert(collected.end(), response->data.begin(), response->data.end());
  int rounds = 0;
  while (response->sw1() == 0x61) {
    if (++rounds > kMaxGetResponses) {
      Cleanse(std::span<uint8_t>(collected));
      return CardError(CardErrorReason::kMalformedResponse,
                       "card kept answering 61xx to GET RESPONSE");
    }
    const CommandApdu get_response{
        .cla = command.cla & 0x03 ? static_cast<uint8_t>(command.cla & 0x03) : uint8_t{0x00},
        .ins = kInsGetResponse,
        .p1 = 0,
        .p2 = 0,
        .data = {},
        .le = response->sw2() == 0 ? kMaxShortLe : response->sw2()};
    response = Exchange(get_response);
    if (!response.ok()) {
      Cleanse(std::span<uint8_t>(collected));
      return response.status();
    }
    collected.insert(collected.end(), response->data.begin(), response->data.end());
  }
  Cleanse(std::span<uint8_t>(response->data));
  response->data = std::move(collected);
  return response;
}

ScopedTransaction::ScopedTransaction(CardTransport& channel)
    : channel_(channel), status_(channel.BeginTransaction()) {}

ScopedTransaction::~ScopedTransaction() {
  if (status_.ok()) channel_.EndTransaction().IgnoreError();
}

}  // namespace gbabridge
