#include "uicc/apdu.h"

#include <random>

#include "gtest/gtest.h"
#include "uicc/status_words.h"

namespace gbabridge {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

TEST(CommandApduTest, EncodesTheFourShortCases) {
  CommandApdu c1{.cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x01, .data = {}, .le = {}};
  EXPECT_EQ(c1.Case(), 1);
  EXPECT_EQ(HexEncode(*c1.Encode()), "00200001");

  CommandApdu c2{.cla = 0x00, .ins = 0xB0, .p1 = 0x00, .p2 = 0x00, .data = {}, .le = 256};
  EXPECT_EQ(c2.Case(), 2);
  EXPECT_EQ(HexEncode(*c2.Encode()), "00b0000000");  // Le 256 is encoded as 00

  CommandApdu c3{.cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x0C, .data = Hex("3f00"), .le = {}};
  EXPECT_EQ(c3.Case(), 3);
  EXPECT_EQ(HexEncode(*c3.Encode()), "00a4000c023f00");

  CommandApdu c4{
      .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x04, .data = Hex("a0000000871002"), .le = 0x20};
  EXPECT_EQ(c4.Case(), 4);
  EXPECT_EQ(HexEncode(*c4.Encode()), "00a4040407a000000087100220");
}

TEST(CommandApduTest, EncodesExtendedLengths) {
  CommandApdu c2{.cla = 0, .ins = 0xB0, .p1 = 0, .p2 = 0, .data = {}, .le = 65536};
  EXPECT_TRUE(c2.NeedsExtendedLength());
  EXPECT_EQ(HexEncode(*c2.Encode()), "00b00000000000");

  CommandApdu c3{.cla = 0, .ins = 0xD6, .p1 = 0, .p2 = 0, .data = Bytes(300, 0xAB), .le = {}};
  Bytes e3 = *c3.Encode();
  ASSERT_EQ(e3.size(), 4u + 3 + 300);
  EXPECT_EQ(e3[4], 0x00);
  EXPECT_EQ(e3[5], 0x01);
  EXPECT_EQ(e3[6], 0x2C);

  CommandApdu c4{.cla = 0, .ins = 0x88, .p1 = 0, .p2 = 0x81, .data = Bytes(300, 1), .le = 1000};
  Bytes e4 = *c4.Encode();
  ASSERT_EQ(e4.size(), 4u + 3 + 300 + 2);
  EXPECT_EQ(e4[e4.size() - 2], 0x03);
  EXPECT_EQ(e4[e4.size() - 1], 0xE8);
}

TEST(CommandApduTest, RejectsOutOfRangeLengths) {
  CommandApdu big{.cla = 0, .ins = 0xD6, .p1 = 0, .p2 = 0, .data = Bytes(65536, 0), .le = {}};
  EXPECT_FALSE(big.Encode().ok());
  CommandApdu zero_le{.cla = 0, .ins = 0xB0, .p1 = 0, .p2 = 0, .data = {}, .le = 0};
  EXPECT_FALSE(zero_le.Encode().ok());
  CommandApdu huge_le{.cla = 0, .ins = 0xB0, .p1 = 0, .p2 = 0, .data = {}, .le = 65537};
  EXPECT_FALSE(huge_le.Encode().ok());
}

TEST(CommandApduTest, ParseIsTheInverseOfEncode) {
  const std::vector<CommandApdu> commands = {
      {0x00, 0x20, 0x00, 0x01, {}, {}},
      {0x00, 0xB0, 0x00, 0x10, {}, 256},
      {0x00, 0xB0, 0x00, 0x10, {}, 7},
      {0x00, 0xA4, 0x00, 0x04, Hex("6f07"), {}},
      {0x00, 0x88, 0x00, 0x81, Bytes(34, 0x5A), 256},
      {0x00, 0xB0, 0x00, 0x00, {}, 65536},
      {0x00, 0xD6, 0x00, 0x00, Bytes(1000, 7), {}},
      {0x00, 0x88, 0x00, 0x84, Bytes(1000, 7), 300},
  };
  for (const CommandApdu& c : commands) {
    absl::StatusOr<CommandApdu> parsed = CommandApdu::Parse(*c.Encode());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->ins, c.ins);
    EXPECT_EQ(parsed->p2, c.p2);
    EXPECT_EQ(parsed->data, c.data);
    EXPECT_EQ(parsed->le, c.le);
  }
}

TEST(CommandApduTest, ParseRejectsTruncatedAndInconsistentInput) {
  for (std::string_view bad : {"", "00", "00a404", "00a4040405a0000000",  // Lc 5, 4 bytes
                               "00a4040405a000000087100202",              // one byte too many
                               "00b000000001",                            // extended, short
                               "00d6000000000001",                        // extended Lc 0
                               "00d60000000003aabb"}) {                   // extended, truncated
    EXPECT_FALSE(CommandApdu::Parse(Hex(bad)).ok()) << bad;
  }
}

TEST(CommandApduTest, ParseNeverCrashesOnGarbage) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    Bytes junk(rng() % 300);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
    absl::StatusOr<CommandApdu> parsed = CommandApdu::Parse(junk);
    if (parsed.ok()) {
      EXPECT_LE(parsed->data.size(), junk.size());
    }
  }
}

TEST(ResponseApduTest, ParsesDataAndStatusWord) {
  absl::StatusOr<ResponseApdu> r = ResponseApdu::Parse(Hex("01029000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(HexEncode(r->data), "0102");
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->sw1(), 0x90);
  EXPECT_EQ(HexEncode(r->Encode()), "01029000");

  absl::StatusOr<ResponseApdu> sw_only = ResponseApdu::Parse(Hex("6a82"));
  ASSERT_TRUE(sw_only.ok());
  EXPECT_TRUE(sw_only->data.empty());
  EXPECT_EQ(sw_only->sw, 0x6A82);
}

TEST(ResponseApduTest, RejectsResponsesWithoutAStatusWord) {
  EXPECT_FALSE(ResponseApdu::Parse(Hex("")).ok());
  EXPECT_FALSE(ResponseApdu::Parse(Hex("90")).ok());
}

TEST(StatusWordsTest, DescribesKnownAndUnknownWords) {
  EXPECT_EQ(DescribeStatusWord(0x9000), "9000: normal ending of the command");
  EXPECT_EQ(DescribeStatusWord(0x63C2), "63C2: verification failed, 2 retries left");
  EXPECT_EQ(DescribeStatusWord(0x9862), "9862: authentication error: incorrect MAC");
  EXPECT_EQ(DescribeStatusWord(0x6110),
            "6110: response bytes still available (GET RESPONSE) (16 bytes)");
  EXPECT_EQ(DescribeStatusWord(0x1234), "1234: unknown status word");
}

}  // namespace
}  // namespace gbabridge
