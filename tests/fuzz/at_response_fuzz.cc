// The AT answer parser (uicc/modem/at_response.h) on any bytes a modem can send: split into
// lines, fed to an answer collector as for AT+CSIM and AT+CCHO, and every line parsed as a
// final result code, a SIM URC, a +CPIN line, an APDU answer and a session id. Nothing may
// crash, hang or read out of bounds; a parsed APDU answer always holds SW1 SW2.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "uicc/modem/at_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gbabridge::modem;  // NOLINT(build/namespaces)
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  AtLineSplitter splitter;
  if (!splitter.Append(bytes).ok()) splitter.Clear();
  AtAnswer csim("AT+CSIM=10,\"00A4000000\"", "+CSIM:");
  AtAnswer ccho("AT+CCHO=\"A0000000871002\"", "+CCHO:", /*bare_numbers=*/true);
  while (std::optional<std::string> line = splitter.NextLine()) {
    csim.Feed(*line);
    ccho.Feed(*line);
    if (std::optional<AtFinalResult> final = ParseFinalResult(*line)) {
      (void)DescribeFinal(*final);
      (void)SimStateFromError(*final);
    }
    (void)ParseSimUrc(*line);
    (void)ParseCpinLine(*line);
    absl::StatusOr<gbabridge::Bytes> apdu = ParseApduAnswer(*line, "+CSIM:");
    if (apdu.ok() && apdu->size() < 2) __builtin_trap();
    (void)ParseCchoAnswer(*line);
  }
  return 0;
}
