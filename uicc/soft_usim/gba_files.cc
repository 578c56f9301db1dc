#include "uicc/soft_usim/gba_files.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "uicc/tlv.h"

namespace gbabridge {

Bytes EmptyEfGbabp(size_t file_size) {
  Bytes out = {0x00, 0x00, 0x00};
  out.resize(std::max(file_size, out.size()), 0xFF);
  return out;
}

Bytes EfGbabpAfterBootstrap(ByteView rand, size_t file_size) {
  // L RAND || 00 (B-TID, written by the terminal) || 00 (key lifetime, likewise).
  Bytes out(std::max(file_size, rand.size() + 3), 0xFF);
  out[0] = static_cast<uint8_t>(rand.size());
  std::copy(rand.begin(), rand.end(), out.begin() + 1);
  out[rand.size() + 1] = 0x00;
  out[rand.size() + 2] = 0x00;
  return out;
}

std::string BtidFromEfGbabp(ByteView contents) {
  if (contents.empty()) return {};
  const size_t rand_length = contents[0];
  const size_t btid_at = 1 + rand_length;
  if (btid_at >= contents.size()) return {};
  const size_t btid_length = contents[btid_at];
  if (btid_at + 1 + btid_length > contents.size()) return {};
  const ByteView btid = contents.subspan(btid_at + 1, btid_length);
  return std::string(btid.begin(), btid.end());
}

absl::StatusOr<Bytes> EncodeGbanlRecord(ByteView naf_id, std::string_view btid,
                                        size_t record_size) {
  Bytes record = EncodeTlv(0x80, naf_id);
  const Bytes btid_tlv = EncodeTlv(0x81, AsBytes(btid));
  record.insert(record.end(), btid_tlv.begin(), btid_tlv.end());
  if (record.size() > record_size) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "NAF_ID and B-TID take ", record.size(), " bytes; EF_GBANL records hold ", record_size));
  }
  record.resize(record_size, 0xFF);
  return record;
}

}  // namespace gbabridge
