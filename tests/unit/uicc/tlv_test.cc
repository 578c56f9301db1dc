#include "uicc/tlv.h"

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

TEST(TlvTest, ParsesShortForm) {
  const Bytes in = Hex("83 02 6F 07");
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->tag, 0x83u);
  EXPECT_EQ(HexEncode(tlv->value), "6f07");
  EXPECT_EQ(consumed, 4u);
  EXPECT_FALSE(tlv->constructed());
}

TEST(TlvTest, ValuePointsIntoInput) {
  const Bytes in = Hex("80 01 AA");
  absl::StatusOr<TlvView> tlv = ParseTlv(in, nullptr);  // consumed is optional
  ASSERT_TRUE(tlv.ok());
  EXPECT_EQ(tlv->value.data(), in.data() + 2);
}

TEST(TlvTest, ParsesZeroLength) {
  const Bytes in = Hex("8A 00");
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok());
  EXPECT_TRUE(tlv->value.empty());
  EXPECT_EQ(consumed, 2u);
}

TEST(TlvTest, MultiByteTags) {
  size_t consumed = 0;
  const Bytes two = Hex("9F 70 01 07");
  absl::StatusOr<TlvView> tlv = ParseTlv(two, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->tag, 0x9F70u);
  EXPECT_EQ(consumed, 4u);
  EXPECT_FALSE(tlv->constructed());

  const Bytes constructed_two = Hex("BF 2D 00");
  tlv = ParseTlv(constructed_two, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->tag, 0xBF2Du);
  EXPECT_TRUE(tlv->constructed());

  const Bytes three = Hex("DF 81 05 02 AB CD");
  tlv = ParseTlv(three, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->tag, 0xDF8105u);
  EXPECT_EQ(HexEncode(tlv->value), "abcd");
  EXPECT_EQ(consumed, 6u);
  EXPECT_FALSE(tlv->constructed());  // DF: context class, primitive

  EXPECT_FALSE(ParseTlv(Hex("DF 81 85 01 00 00"), &consumed).ok());  // 4-byte tag
}

TEST(TlvTest, ConstructedBit) {
  EXPECT_TRUE((TlvView{.tag = 0x62, .value = {}}).constructed());
  EXPECT_TRUE((TlvView{.tag = 0xA5, .value = {}}).constructed());
  EXPECT_FALSE((TlvView{.tag = 0x82, .value = {}}).constructed());
  EXPECT_TRUE((TlvView{.tag = 0x7F49, .value = {}}).constructed());
  EXPECT_FALSE((TlvView{.tag = 0x5F20, .value = {}}).constructed());
  EXPECT_TRUE((TlvView{.tag = 0xBF8105, .value = {}}).constructed());
  EXPECT_FALSE((TlvView{.tag = 0xDF8105, .value = {}}).constructed());
}

TEST(TlvTest, LongLengths) {
  size_t consumed = 0;
  Bytes in = Hex("80 81 80");
  in.resize(in.size() + 0x80, 0x11);
  absl::StatusOr<TlvView> tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->value.size(), 0x80u);
  EXPECT_EQ(consumed, in.size());

  in = Hex("80 82 01 00");
  in.resize(in.size() + 0x100, 0x22);
  tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->value.size(), 0x100u);
  EXPECT_EQ(consumed, 4u + 0x100);

  in = Hex("80 83 01 00 01");
  in.resize(in.size() + 0x10001, 0x33);
  tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(tlv->value.size(), 0x10001u);
  EXPECT_EQ(consumed, in.size());

  // BER allows a non-minimal long form; accept it.
  in = Hex("80 81 01 AA");
  tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok()) << tlv.status();
  EXPECT_EQ(HexEncode(tlv->value), "aa");
}

TEST(TlvTest, TrailingBytesAreNotConsumed) {
  const Bytes in = Hex("80 01 AA 81 01 BB");
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(in, &consumed);
  ASSERT_TRUE(tlv.ok());
  EXPECT_EQ(consumed, 3u);
}

TEST(TlvTest, RejectsTruncatedInput) {
  size_t consumed = 99;
  for (std::string_view hex : {
           "",             // nothing
           "9F",           // multi-byte tag cut after the first byte
           "DF 81",        // three-byte tag cut
           "80",           // no length
           "80 81",        // long length without its byte
           "80 82 01",     // 82 form with one of two bytes
           "80 83 00 01",  // 83 form with two of three bytes
       }) {
    SCOPED_TRACE(hex);
    absl::StatusOr<TlvView> tlv = ParseTlv(Hex(hex), &consumed);
    ASSERT_FALSE(tlv.ok());
    EXPECT_EQ(GetCardErrorReason(tlv.status()), CardErrorReason::kMalformedResponse);
  }
  EXPECT_EQ(consumed, 99u);  // untouched on failure
}

TEST(TlvTest, RejectsLengthBeyondBuffer) {
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(Hex("80 05 01 02 03"), &consumed);
  ASSERT_FALSE(tlv.ok());
  EXPECT_NE(tlv.status().message().find("length 5"), std::string_view::npos) << tlv.status();
  EXPECT_FALSE(ParseTlv(Hex("80 82 FF FF 00"), &consumed).ok());
  EXPECT_FALSE(ParseTlv(Hex("80 83 FF FF FF 00"), &consumed).ok());
}

TEST(TlvTest, RejectsIndefiniteAndUnsupportedLengthForms) {
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(Hex("A5 80 80 01 00 00 00"), &consumed);
  ASSERT_FALSE(tlv.ok());
  EXPECT_NE(tlv.status().message().find("indefinite"), std::string_view::npos);
  EXPECT_FALSE(ParseTlv(Hex("80 84 00 00 00 01 AA"), &consumed).ok());
  EXPECT_FALSE(ParseTlv(Hex("80 FF 00"), &consumed).ok());
}

TEST(TlvTest, RejectsPaddingBytesAsTags) {
  size_t consumed = 0;
  EXPECT_FALSE(ParseTlv(Hex("FF 01 00"), &consumed).ok());
  EXPECT_FALSE(ParseTlv(Hex("00 01 00"), &consumed).ok());
}

TEST(TlvTest, ListSkipsPadding) {
  // Records of EF_GBANL / EF_DIR are FF-filled to the record size.
  const Bytes in = Hex("FF 80 01 AA 00 FF 81 02 BB CC FF FF FF");
  absl::StatusOr<std::vector<TlvView>> list = ParseTlvList(in);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].tag, 0x80u);
  EXPECT_EQ((*list)[1].tag, 0x81u);
  EXPECT_EQ(HexEncode((*list)[1].value), "bbcc");

  list = ParseTlvList(Hex("FF FF FF"));
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  list = ParseTlvList(Bytes());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(TlvTest, ListRejectsTruncatedLastObject) {
  EXPECT_FALSE(ParseTlvList(Hex("80 01 AA 81 03 BB")).ok());
  EXPECT_FALSE(ParseTlvList(Hex("80 01 AA 9F")).ok());
}

TEST(TlvTest, ListOfEfDirRecord) {
  // EF_DIR record: 61 L 4F L <USIM AID> 50 L <label>, FF-padded (TS 102 221 §13.1).
  const Bytes record =
      Hex("61 18 4F 10 A0 00 00 00 87 10 02 FF FF FF FF 89 06 19 00 00 50 04 55 53 49 4D FF FF");
  absl::StatusOr<std::vector<TlvView>> outer = ParseTlvList(record);
  ASSERT_TRUE(outer.ok()) << outer.status();
  ASSERT_EQ(outer->size(), 1u);
  EXPECT_TRUE((*outer)[0].constructed());
  absl::StatusOr<std::vector<TlvView>> inner = ParseTlvList((*outer)[0].value);
  ASSERT_TRUE(inner.ok()) << inner.status();
  const std::optional<TlvView> aid = FindTlv(*inner, 0x4F);
  ASSERT_TRUE(aid.has_value());
  EXPECT_EQ(HexEncode(aid->value), "a0000000871002ffffffff8906190000");
  const std::optional<TlvView> label = FindTlv(*inner, 0x50);
  ASSERT_TRUE(label.has_value());
  EXPECT_EQ(std::string(label->value.begin(), label->value.end()), "USIM");
  EXPECT_FALSE(FindTlv(*inner, 0x51).has_value());
}

TEST(TlvTest, FindTlvReturnsFirstMatch) {
  const Bytes in = Hex("80 01 01 80 01 02");
  absl::StatusOr<std::vector<TlvView>> list = ParseTlvList(in);
  ASSERT_TRUE(list.ok());
  const std::optional<TlvView> found = FindTlv(*list, 0x80);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value[0], 0x01);
}

TEST(TlvTest, ListRejectsGarbage) {
  EXPECT_FALSE(ParseTlvList(Hex("80 7F 00")).ok());
  EXPECT_FALSE(ParseTlvList(Hex("1F")).ok());
  EXPECT_FALSE(ParseTlvList(Hex("80 01 AA 80")).ok());
}

TEST(TlvTest, EncodeChoosesShortestForms) {
  EXPECT_EQ(HexEncode(EncodeTlv(0x80, Hex("AABB"))), "8002aabb");
  EXPECT_EQ(HexEncode(EncodeTlv(0x80, Bytes())), "8000");
  EXPECT_EQ(HexEncode(EncodeTlv(0x9F70, Hex("07"))), "9f700107");
  EXPECT_EQ(HexEncode(EncodeTlv(0xDF8105, Hex("07"))), "df81050107");
  EXPECT_EQ(HexEncode(ByteView(EncodeTlv(0x80, Bytes(0x7F))).first(2)), "807f");
  EXPECT_EQ(HexEncode(ByteView(EncodeTlv(0x80, Bytes(0x80))).first(3)), "808180");
  EXPECT_EQ(HexEncode(ByteView(EncodeTlv(0x80, Bytes(0xFF))).first(3)), "8081ff");
  EXPECT_EQ(HexEncode(ByteView(EncodeTlv(0x80, Bytes(0x100))).first(4)), "80820100");
  EXPECT_EQ(HexEncode(ByteView(EncodeTlv(0x80, Bytes(0x10000))).first(5)), "8083010000");
}

TEST(TlvTest, EncodeParseRoundTrip) {
  for (uint32_t tag : {0x80u, 0x62u, 0x9F70u, 0xBF2Du, 0xDF8105u}) {
    for (size_t size : {0u, 1u, 0x7Fu, 0x80u, 0xFFu, 0x100u, 0xFFFFu, 0x10000u}) {
      SCOPED_TRACE(testing::Message() << std::hex << tag << " size " << size);
      Bytes value(size);
      for (size_t i = 0; i < size; ++i) value[i] = static_cast<uint8_t>(i * 7);
      const Bytes encoded = EncodeTlv(tag, value);
      size_t consumed = 0;
      absl::StatusOr<TlvView> tlv = ParseTlv(encoded, &consumed);
      ASSERT_TRUE(tlv.ok()) << tlv.status();
      EXPECT_EQ(tlv->tag, tag);
      EXPECT_EQ(consumed, encoded.size());
      EXPECT_TRUE(std::equal(tlv->value.begin(), tlv->value.end(), value.begin(), value.end()));
    }
  }
}

TEST(TlvTest, RandomInputNeverCrashes) {
  // Whatever the bytes, parsing returns a status, and every view it returns lies inside
  // the input (ASan would catch a read outside it).
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 64);
  int parsed = 0;
  for (int i = 0; i < 10000; ++i) {
    Bytes in(length(rng));
    for (uint8_t& b : in) b = static_cast<uint8_t>(byte(rng));
    // Bias some inputs towards plausible headers so the deeper paths run too.
    if (!in.empty() && i % 3 == 0) in[0] = static_cast<uint8_t>(0x80 | (in[0] & 0x3F));
    if (in.size() > 1 && i % 5 == 0) in[1] = static_cast<uint8_t>(in[1] % (in.size() + 2));
    const ByteView view(in);
    absl::StatusOr<std::vector<TlvView>> list = ParseTlvList(view);
    if (list.ok()) {
      ++parsed;
      for (const TlvView& tlv : *list) {
        ASSERT_GE(tlv.value.data(), view.data());
        ASSERT_LE(tlv.value.data() + tlv.value.size(), view.data() + view.size());
        (void)ParseTlvList(tlv.value);
      }
    }
    size_t consumed = 0;
    absl::StatusOr<TlvView> one = ParseTlv(view, &consumed);
    if (one.ok()) {
      ASSERT_LE(consumed, view.size());
    }
  }
  EXPECT_GT(parsed, 0);  // the biased inputs do reach the success path
}

}  // namespace
}  // namespace gbabridge
