// Random APDUs, biased towards what the card understands, never crash it and always get a
// status word (ApduHandler contract).
#include <random>

#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/soft_usim/file_system.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::TempDir;

Bytes RandomApdu(std::mt19937& rng) {
  auto byte = [&] { return static_cast<uint8_t>(rng() & 0xff); };
  static constexpr uint8_t kIns[] = {0xA4, 0xF2, 0xB0, 0xD6, 0xB2, 0x20, 0x88, 0xC0};
  static constexpr uint8_t kP2[] = {0x00, 0x04, 0x0C, 0x81, 0x84, 0x01, 0x02};
  const uint32_t shape = rng() % 10;
  if (shape == 0) {  // anything at all, up to 300 bytes
    Bytes raw(rng() % 301);
    for (uint8_t& b : raw) b = byte();
    return raw;
  }
  Bytes apdu = {static_cast<uint8_t>(rng() % 4 == 0 ? byte() : (rng() % 2 ? 0x00 : 0x80)),
                kIns[rng() % std::size(kIns)],
                static_cast<uint8_t>(rng() % 3 == 0 ? byte() : rng() % 10),
                kP2[rng() % std::size(kP2)]};
  if (rng() % 4 == 0) apdu[3] = byte();
  Bytes data(rng() % 3 == 0 ? 0 : rng() % 64);
  for (uint8_t& b : data) b = byte();
  if (rng() % 3 == 0 && apdu[1] == 0x88) {
    data.assign(rng() % 2 ? 34 : 35, 0);
    for (uint8_t& b : data) b = byte();
    data[data.size() - 34] = 16;
    data[data.size() - 17] = 16;
    if (data.size() == 35) data[0] = rng() % 2 ? 0xDD : 0xDE;
  }
  if (rng() % 5 == 0) {  // a path or FID that exists
    data = rng() % 2 ? Bytes{0x7F, 0xF0, 0x6F, 0xD6} : Bytes{0x3F, 0x00};
    if (rng() % 2) apdu[2] = 0x08;
  }
  if (apdu[1] == 0x88 && rng() % 4 == 0) {  // NAF derivation with random NAF_Id and IMPI
    const size_t naf = rng() % 40;
    const size_t impi = rng() % 40;
    data.assign(3 + naf + impi, 0);
    for (uint8_t& b : data) b = byte();
    data[0] = 0xDE;
    data[1] = static_cast<uint8_t>(naf);
    data[2 + naf] = static_cast<uint8_t>(impi);
    apdu[0] = 0x00;
    apdu[2] = 0x00;
    apdu[3] = 0x84;
  }
  if (!data.empty()) {
    apdu.push_back(static_cast<uint8_t>(data.size()));
    apdu.insert(apdu.end(), data.begin(), data.end());
  }
  if (rng() % 2) apdu.push_back(byte());                        // Le
  if (rng() % 20 == 0) apdu.resize(rng() % (apdu.size() + 1));  // truncated
  return apdu;
}

void Fuzz(bool t0, std::string_view extra, uint32_t seed) {
  TempDir dir;
  std::unique_ptr<SoftUsim> card = MakeCard(dir.File("state.json"), extra, true, t0);
  ASSERT_NE(card, nullptr);
  // Start from a bootstrapped GBA_U card so that NAF derivations and EF_GBABP updates with
  // random contents are reachable.
  ASSERT_EQ(
      soft_usim_testing::Sw(card->Process(soft_usim_testing::Hex("0020000108 30303030FFFFFFFF"))),
      0x9000);
  ASSERT_EQ(
      soft_usim_testing::Sw(card->Process(soft_usim_testing::SelectAidApdu(kSoftUsimAid, 0x0C))),
      0x9000);
  const Milenage milenage = soft_usim_testing::TestMilenage();
  const Rand rand = soft_usim_testing::MakeRand(1);
  const Bytes autn = soft_usim_testing::MakeAutn(milenage, rand, 1 << 5, /*gba_mac_star=*/true);
  const Bytes boot = card->Process(soft_usim_testing::AuthenticateApdu(0x84, rand, autn, 0xDD));
  ASSERT_EQ(boot.front(), t0 ? 0x61 : 0xDB);
  std::mt19937 rng(seed);
  int successes = 0;
  int naf_keys = 0;
  for (int i = 0; i < 10000; ++i) {
    if (i % 500 == 0) {
      card->Reset();
      card->Process(
          soft_usim_testing::Hex("0020000108 30303030FFFFFFFF"));  // may be blocked by now
      card->Process(soft_usim_testing::SelectAidApdu(kSoftUsimAid, 0x0C));
    }
    const Bytes apdu = RandomApdu(rng);
    const Bytes response = card->Process(apdu);
    ASSERT_GE(response.size(), 2u) << HexEncode(apdu);
    ASSERT_LE(response.size(), 258u) << HexEncode(apdu);
    const uint16_t sw = soft_usim_testing::Sw(response);
    if (sw == 0x9000 || (sw >> 8) == 0x61) ++successes;
    if (response.size() == 36 && response[0] == 0xDB && response[1] == 0x20) ++naf_keys;
  }
  // The generator must reach real work, not only error paths.
  EXPECT_GT(successes, 100);
  if (!t0) {
    EXPECT_GT(naf_keys, 0);
  }
}

TEST(SoftUsimFuzzTest, RandomApdusInT1) { Fuzz(false, "impi = \"fuzz@ims.example.org\"\n", 1); }

TEST(SoftUsimFuzzTest, RandomApdusInT0WithPin) {
  Fuzz(true, "pin_enabled = true\npin_tries = 15\n", 2);
}

}  // namespace
}  // namespace gbabridge
