#include "uicc/fcp.h"

#include <random>

#include "gtest/gtest.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

Bytes Hex(std::string_view hex) {
  absl::StatusOr<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes();
}

// Real-card-like FCPs (TS 102 221 §11.1.1.3, TS 31.102 §4.2), including proprietary A5,
// security attributes 8B/AB, and total file size 81 that ParseFcp does not need.

// EF_IMSI: shareable transparent working EF, 9 bytes.
constexpr std::string_view kEfImsiFcp =
    "62 20 82 02 41 21 83 02 6F 07 A5 03 80 01 71 8A 01 05 8B 03 6F 06 03 80 02 00 09 81 02 00 1C "
    "88 01 38";
// EF_DIR: linear fixed, 2 records of 0x26 bytes.
constexpr std::string_view kEfDirFcp =
    "62 1C 82 05 42 21 00 26 02 83 02 2F 00 A5 03 80 01 71 8A 01 05 8B 03 2F 06 01 80 02 00 4C";
// USIM ADF with a DF name and a PIN status template for key references 01 and 81.
constexpr std::string_view kAdfFcp =
    "62 36 82 02 78 21 83 02 7F FF 84 10 A0 00 00 00 87 10 02 FF FF FF FF 89 06 19 00 00 "
    "A5 03 80 01 71 8A 01 05 8B 03 2F 06 02 C6 09 90 01 40 83 01 01 83 01 81 "
    "81 02 FF FF";

TEST(FcpTest, ParsesTransparentEf) {
  absl::StatusOr<Fcp> fcp = ParseFcp(Hex(kEfImsiFcp));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kTransparent);
  EXPECT_EQ(fcp->file_id, 0x6F07);
  EXPECT_EQ(fcp->file_size, 9u);
  EXPECT_EQ(fcp->life_cycle, 0x05);
  EXPECT_FALSE(fcp->record_size.has_value());
  EXPECT_FALSE(fcp->record_count.has_value());
  EXPECT_TRUE(fcp->df_name.empty());
  EXPECT_TRUE(fcp->pins.empty());
}

TEST(FcpTest, ParsesLinearFixedEf) {
  absl::StatusOr<Fcp> fcp = ParseFcp(Hex(kEfDirFcp));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kLinearFixed);
  EXPECT_EQ(fcp->file_id, 0x2F00);
  EXPECT_EQ(fcp->record_size, 0x26);
  EXPECT_EQ(fcp->record_count, 2);
  EXPECT_EQ(fcp->file_size, 0x4Cu);
}

TEST(FcpTest, ParsesAdfWithPinStatus) {
  absl::StatusOr<Fcp> fcp = ParseFcp(Hex(kAdfFcp));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kDf);
  EXPECT_EQ(fcp->file_id, 0x7FFF);
  EXPECT_EQ(HexEncode(fcp->df_name), "a0000000871002ffffffff8906190000");
  // PS_DO 40 = 0100 0000: the first key reference (01, PIN1) is disabled, the second
  // (81, second application PIN) enabled.
  ASSERT_EQ(fcp->pins.size(), 2u);
  EXPECT_EQ(fcp->pins[0].key_reference, 0x01);
  EXPECT_FALSE(fcp->pins[0].enabled);
  EXPECT_EQ(fcp->pins[1].key_reference, 0x81);
  EXPECT_TRUE(fcp->pins[1].enabled);
}

TEST(FcpTest, PinStatusWithUsageQualifiers) {
  // 95 usage qualifiers precede key references on many cards; PS_DO 80: first enabled.
  absl::StatusOr<Fcp> fcp = ParseFcp(Hex("62 0F 82 02 78 21 C6 09 90 01 80 95 01 08 83 01 01"));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  ASSERT_EQ(fcp->pins.size(), 1u);
  EXPECT_EQ(fcp->pins[0].key_reference, 0x01);
  EXPECT_TRUE(fcp->pins[0].enabled);
}

TEST(FcpTest, ParsesCyclicAndMasksShareableBit) {
  absl::StatusOr<Fcp> fcp = ParseFcp(Hex("62 09 82 05 46 21 00 0A 05 83 00"));
  EXPECT_FALSE(fcp.ok());  // 83 with 0 bytes is malformed
  fcp = ParseFcp(Hex("62 0B 82 05 46 21 00 0A 05 83 02 6F 3C"));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kCyclic);
  EXPECT_EQ(fcp->record_size, 0x0A);
  EXPECT_EQ(fcp->record_count, 5);
  fcp = ParseFcp(Hex("62 04 82 02 38 21"));
  ASSERT_TRUE(fcp.ok());
  EXPECT_EQ(fcp->structure, FileStructure::kDf);
  fcp = ParseFcp(Hex("62 04 82 02 01 21"));
  ASSERT_TRUE(fcp.ok());
  EXPECT_EQ(fcp->structure, FileStructure::kTransparent);
}

TEST(FcpTest, UnknownStructures) {
  // 39: BER-TLV structured EF; 04: RFU structure.
  for (std::string_view hex : {"62 04 82 02 39 21", "62 04 82 02 04 21"}) {
    absl::StatusOr<Fcp> fcp = ParseFcp(Hex(hex));
    ASSERT_TRUE(fcp.ok()) << fcp.status();
    EXPECT_EQ(fcp->structure, FileStructure::kUnknown);
  }
}

TEST(FcpTest, LongFormFcpLengthAndFourByteFileSize) {
  // 62 81 xx: an FCP above 127 bytes uses the two-byte length (TS 102 221 §11.1.1.3.0).
  Bytes in = Hex("62 81 86 82 02 01 21 80 04 00 01 00 00 C0 7A");
  in.resize(in.size() + 0x7A, 0x00);
  absl::StatusOr<Fcp> fcp = ParseFcp(in);
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->file_size, 0x10000u);
}

TEST(FcpTest, TrailingPaddingIsAccepted) {
  Bytes in = Hex(kEfImsiFcp);
  in.insert(in.end(), {0xFF, 0xFF});
  EXPECT_TRUE(ParseFcp(in).ok());
}

TEST(FcpTest, RejectsTruncatedAndGarbage) {
  const Bytes full = Hex(kAdfFcp);
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    absl::StatusOr<Fcp> fcp = ParseFcp(ByteView(full).first(n));
    ASSERT_FALSE(fcp.ok());
    EXPECT_EQ(GetCardErrorReason(fcp.status()), CardErrorReason::kMalformedResponse);
  }
  for (std::string_view hex : {
           "6F 04 82 02 41 21",                             // not tag 62
           "62 04 82 02 41 21 80 01 00",                    // second object after the FCP
           "62 04 83 02 6F 07",                             // no file descriptor
           "62 03 82 01 41",                                // descriptor too short
           "62 05 82 03 41 21 00",                          // descriptor of 3 bytes
           "62 04 82 02 42 21",                             // linear fixed without record info
           "62 07 82 02 41 21 83 01 6F",                    // FID of 1 byte
           "62 0B 82 02 41 21 80 05 00 00 00 00 09",        // file size of 5 bytes
           "62 06 82 02 41 21 80 00",                       // file size of 0 bytes
           "62 08 82 02 41 21 8A 02 05 05",                 // life cycle of 2 bytes
           "62 06 82 02 78 21 84 00",                       // empty DF name
           "62 0B 82 02 78 21 C6 05 83 01 01 90 00",        // key reference before PS_DO
           "62 0B 82 02 78 21 C6 05 90 01 80 83 02",        // truncated inside C6
           "62 0D 82 02 78 21 C6 07 90 01 80 83 02 01 01",  // 2-byte key reference
           "62 02 80 80",                                   // indefinite length
       }) {
    SCOPED_TRACE(hex);
    absl::StatusOr<Fcp> fcp = ParseFcp(Hex(hex));
    ASSERT_FALSE(fcp.ok());
    EXPECT_EQ(GetCardErrorReason(fcp.status()), CardErrorReason::kMalformedResponse);
  }
}

TEST(FcpTest, RejectsMoreKeyReferencesThanPsDoBits) {
  Bytes c6 = Hex("90 01 FF");
  for (int i = 0; i < 9; ++i) c6.insert(c6.end(), {0x83, 0x01, static_cast<uint8_t>(i + 1)});
  Bytes in = Hex("62 00 82 02 78 21 C6");
  in.push_back(static_cast<uint8_t>(c6.size()));
  in.insert(in.end(), c6.begin(), c6.end());
  in[1] = static_cast<uint8_t>(in.size() - 2);
  EXPECT_FALSE(ParseFcp(in).ok());
}

TEST(FcpTest, EncodeMatchesCardLayout) {
  Fcp fcp;
  fcp.structure = FileStructure::kTransparent;
  fcp.file_id = 0x6F07;
  fcp.file_size = 9;
  fcp.life_cycle = 0x05;
  EXPECT_EQ(HexEncode(EncodeFcp(fcp)), "620f8202012183026f078a010580020009");
}

TEST(FcpTest, EncodeParseRoundTrip) {
  std::vector<Fcp> cases;
  {
    Fcp f;
    f.structure = FileStructure::kTransparent;
    f.file_id = 0x6F07;
    f.file_size = 9;
    f.life_cycle = 0x05;
    cases.push_back(f);
  }
  {
    Fcp f;
    f.structure = FileStructure::kLinearFixed;
    f.file_id = 0x2F00;
    f.record_size = 0x26;
    f.record_count = 2;
    f.file_size = 0x4C;
    cases.push_back(f);
  }
  {
    Fcp f;
    f.structure = FileStructure::kCyclic;
    f.file_id = 0x6F3C;
    f.record_size = 0x0100;
    f.record_count = 0xFF;
    f.file_size = 0xFF00;
    cases.push_back(f);
  }
  {
    Fcp f;
    f.structure = FileStructure::kDf;
    f.file_id = 0x7FFF;
    f.df_name = Hex("A0 00 00 00 87 10 02 FF FF FF FF 89 06 19 00 00");
    f.life_cycle = 0x05;
    f.pins = {{0x01, true}, {0x81, false}};
    cases.push_back(f);
  }
  {
    Fcp f;  // More than 8 key references: a 2-byte PS_DO.
    f.structure = FileStructure::kDf;
    for (uint8_t i = 0; i < 10; ++i) f.pins.push_back({static_cast<uint8_t>(i + 1), i % 3 == 0});
    f.file_size = 0x01000000;
    cases.push_back(f);
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Fcp& want = cases[i];
    const Bytes encoded = EncodeFcp(want);
    absl::StatusOr<Fcp> got = ParseFcp(encoded);
    ASSERT_TRUE(got.ok()) << got.status() << " " << HexEncode(encoded);
    EXPECT_EQ(got->structure, want.structure);
    EXPECT_EQ(got->file_id, want.file_id);
    EXPECT_EQ(got->df_name, want.df_name);
    EXPECT_EQ(got->record_size, want.record_size);
    EXPECT_EQ(got->record_count, want.record_count);
    EXPECT_EQ(got->file_size, want.file_size);
    EXPECT_EQ(got->life_cycle, want.life_cycle);
    ASSERT_EQ(got->pins.size(), want.pins.size());
    for (size_t p = 0; p < want.pins.size(); ++p) {
      EXPECT_EQ(got->pins[p].key_reference, want.pins[p].key_reference);
      EXPECT_EQ(got->pins[p].enabled, want.pins[p].enabled);
    }
  }
}

TEST(FcpTest, EncodesAdfPinTemplateAsReadByParse) {
  Fcp fcp;
  fcp.structure = FileStructure::kDf;
  fcp.pins = {{0x01, false}, {0x81, true}};
  // C6 09 90 01 40 83 01 01 83 01 81
  EXPECT_NE(HexEncode(EncodeFcp(fcp)).find("c609900140830101830181"), std::string::npos);
}

TEST(FcpTest, MutatedInputNeverCrashes) {
  // Flip random bytes of a valid ADF FCP: parsing must return a status, never read
  // outside the buffer (ASan builds check that).
  const Bytes original = Hex(kAdfFcp);
  std::mt19937 rng(102221);
  std::uniform_int_distribution<size_t> position(0, original.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 10000; ++i) {
    Bytes in = original;
    for (int flips = 1 + i % 4; flips > 0; --flips) {
      in[position(rng)] = static_cast<uint8_t>(byte(rng));
    }
    in.resize(position(rng) + 1);
    (void)ParseFcp(in);
  }
}

}  // namespace
}  // namespace gbabridge
