// Fuzz target: what GbaBridge and Zn requests are validated with: the NAF FQDN and Ua
// security protocol id (NAF_Id, TS 33.220 Annex H), the policy's NAF patterns, and the
// B-TID syntax (TS 33.220 §4.5.2). Input: [1 byte split][FQDN / pattern / B-TID text]
// [5 bytes Ua id].
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bootstrap/daemon/policy.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/zn_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t split = data[0] < size - 1 ? data[0] : size - 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), split);
  const gbabridge::ByteView ua_bytes(data + 1 + split, size - 1 - split);
  (void)gbabridge::bsf::ValidateBtid(text);
  absl::StatusOr<gbabridge::UaSecurityProtocolId> ua =
      gbabridge::UaSecurityProtocolId::FromBytes(ua_bytes);
  (void)gbabridge::UaSecurityProtocolId::FromHex(text);
  if (ua.ok()) {
    if (auto naf = gbabridge::NafId::Create(text, *ua); naf.ok()) (void)naf->Encode();
  }
  if (auto pattern = gbabridge::daemon::NafPattern::Parse(text); pattern.ok()) {
    (void)pattern->Matches(text);
    (void)pattern->Matches("mef.example.com");
  }
  return 0;
}
