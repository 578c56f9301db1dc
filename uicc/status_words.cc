#include "uicc/status_words.h"

#include <array>
#include <string_view>

#include "absl/strings/str_format.h"

namespace gbabridge {
namespace {

struct Entry {
  uint16_t sw;
  uint16_t mask;  // bits of sw that must match
  std::string_view meaning;
};

// Most specific first. ETSI TS 102 221 §10.2.1.
constexpr Entry kTable[] = {
    {0x9000, 0xFFFF, "normal ending of the command"},
    {0x9100, 0xFF00, "normal ending, proactive command pending"},
    {0x9200, 0xFF00, "normal ending, with a warning"},
    {0x6100, 0xFF00, "response bytes still available (GET RESPONSE)"},
    {0x6200, 0xFFFF, "warning: no information given, non-volatile memory unchanged"},
    {0x6281, 0xFFFF, "warning: part of returned data may be corrupted"},
    {0x6282, 0xFFFF, "warning: end of file or record reached before reading Le bytes"},
    {0x6283, 0xFFFF, "warning: selected file invalidated"},
    {0x62F3, 0xFFFF, "warning: response data available (GET RESPONSE)"},
    {0x63C0, 0xFFF0, "verification failed"},
    {0x6400, 0xFFFF, "execution error: state of non-volatile memory unchanged"},
    {0x6500, 0xFFFF, "execution error: state of non-volatile memory changed"},
    {0x6581, 0xFFFF, "execution error: memory problem"},
    {0x6700, 0xFFFF, "wrong length"},
    {0x6800, 0xFFFF, "function in CLA not supported"},
    {0x6881, 0xFFFF, "logical channel not supported"},
    {0x6882, 0xFFFF, "secure messaging not supported"},
    {0x6981, 0xFFFF, "command incompatible with file structure"},
    {0x6982, 0xFFFF, "security status not satisfied (PIN verification required)"},
    {0x6983, 0xFFFF, "authentication/PIN method blocked"},
    {0x6984, 0xFFFF, "referenced data invalidated"},
    {0x6985, 0xFFFF, "conditions of use not satisfied"},
    {0x6986, 0xFFFF, "command not allowed (no EF selected)"},
    {0x6A80, 0xFFFF, "incorrect parameters in the data field"},
    {0x6A81, 0xFFFF, "function not supported"},
    {0x6A82, 0xFFFF, "file or application not found"},
    {0x6A83, 0xFFFF, "record not found"},
    {0x6A84, 0xFFFF, "not enough memory space"},
    {0x6A86, 0xFFFF, "incorrect parameters P1 to P2"},
    {0x6A88, 0xFFFF, "referenced data not found"},
    {0x6B00, 0xFFFF, "wrong parameters P1-P2 (offset outside the EF)"},
    {0x6C00, 0xFF00, "wrong Le field; resend with the length in SW2"},
    {0x6D00, 0xFFFF, "instruction code not supported or invalid"},
    {0x6E00, 0xFFFF, "class not supported"},
    {0x6F00, 0xFF00, "technical problem, no precise diagnosis"},
    {0x9862, 0xFFFF, "authentication error: incorrect MAC"},
    {0x9864, 0xFFFF, "authentication error: security context not supported"},
    {0x9865, 0xFFFF, "key freshness failure"},
};

}  // namespace

std::string DescribeStatusWord(uint16_t sw) {
  for (const Entry& e : kTable) {
    if ((sw & e.mask) == e.sw) {
      if (e.mask == 0xFFF0) {
        return absl::StrFormat("%04X: %s, %d retries left", sw, e.meaning, sw & 0x0F);
      }
      if (e.mask == 0xFF00 && e.sw != 0x9000) {
        return absl::StrFormat("%04X: %s (%d bytes)", sw, e.meaning, sw & 0xFF);
      }
      return absl::StrFormat("%04X: %s", sw, e.meaning);
    }
  }
  return absl::StrFormat("%04X: unknown status word", sw);
}

}  // namespace gbabridge
