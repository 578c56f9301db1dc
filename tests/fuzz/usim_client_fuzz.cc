// Fuzz target: the USIM client (uicc/usim.cc) against a card whose every answer comes from
// the fuzzer. Where card_response_fuzz feeds the low-level parsers (response APDU, TLV, FCP)
// one buffer at a time, this one drives whole operations, so the fuzzer can walk through
// SELECT, the 61xx/6Cxx procedures and READ into each application-level parser: EF_DIR,
// EF_ICCID, EF_IMSI + EF_AD, EF_UST, EF_IMPI, the PIN state, the AUTHENTICATE outcomes of the
// 3G and GBA contexts (TS 31.102 §7.1.2), EF_GBABP and EF_GBANL. No read out of bounds, no
// crash, no hang, whatever the card says.
//
// Input: a sequence of answers, each a 2-byte big-endian length L then L bytes (a short
// answer holds up to 256 data bytes and the status word, but any length may come); an
// operation that runs out of answers sees the card vanish, as a pulled card would.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "uicc/card_error.h"
#include "uicc/card_transport.h"
#include "uicc/usim.h"

namespace {

using gbabridge::Bytes;
using gbabridge::ByteView;

class FuzzedCard : public gbabridge::CardTransport {
 public:
  explicit FuzzedCard(ByteView script) : script_(script) {}
  absl::Status BeginTransaction() override { return absl::OkStatus(); }
  absl::Status EndTransaction() override { return absl::OkStatus(); }
  std::string ReaderName() const override { return "fuzz"; }
  Bytes Atr() const override { return {0x3B, 0x00}; }
  std::string ActiveProtocol() const override { return "fuzz"; }

 protected:
  absl::StatusOr<Bytes> TransmitRaw(ByteView /*command*/) override {
    if (script_.size() < 2) {
      return gbabridge::CardError(gbabridge::CardErrorReason::kCardRemoved, "out of answers");
    }
    const size_t wanted = (size_t{script_[0]} << 8) | script_[1];
    const size_t size = std::min(wanted, script_.size() - 2);
    Bytes answer(script_.begin() + 2, script_.begin() + 2 + static_cast<ptrdiff_t>(size));
    script_ = script_.subspan(2 + size);
    return answer;
  }

 private:
  ByteView script_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedCard card(ByteView(data, size));
  gbabridge::Usim usim(card);
  const Bytes rand(16, 0x11);
  const Bytes autn(16, 0x22);
  const Bytes naf_id = {'n', '.', 'e', 'x', 0x01, 0x00, 0x01, 0x00, 0xAE};
  // Each operation reads on where the last one stopped; the first failure does not end the
  // run, so later parsers are reached too.
  (void)usim.ListApplications();
  (void)usim.ReadIccid();
  (void)usim.ReadImsi();
  (void)usim.IsGbaCapable();
  (void)usim.ReadIsimImpi();
  (void)usim.ResolveImpi();
  (void)usim.GetPinState();
  (void)usim.Authenticate3g(rand, autn);
  (void)usim.AuthenticateGbaBootstrap(rand, autn);
  (void)usim.DeriveKsExtNafForBootstrap(naf_id, "i@x", rand, "b@x");
  (void)usim.DeriveKsExtNaf(naf_id, "i@x");
  (void)usim.ReadGbaBootstrapParameters();
  (void)usim.ReadGbaNafList();
  return 0;
}
