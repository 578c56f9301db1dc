// SELECT, READ BINARY/RECORD, UPDATE BINARY, STATUS and command-level errors.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/base/identifiers.h"
#include "uicc/ef_imsi.h"
#include "uicc/fcp.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/file_system.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::Data;
using ::gbabridge::soft_usim_testing::Hex;
using ::gbabridge::soft_usim_testing::MakeCard;
using ::gbabridge::soft_usim_testing::SelectAidApdu;
using ::gbabridge::soft_usim_testing::SelectFidApdu;
using ::gbabridge::soft_usim_testing::Sw;
using ::gbabridge::soft_usim_testing::TempDir;

class SoftUsimFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { card_ = MakeCard(dir_.File("state.json")); }
  Bytes Send(const Bytes& apdu) { return card_->Process(apdu); }
  Bytes Send(std::string_view hex) { return card_->Process(Hex(hex)); }
  // Reads `length` bytes (Le) of the current EF from offset 0.
  Bytes ReadBinary(uint8_t le) { return Send(Bytes{0x00, 0xB0, 0x00, 0x00, le}); }

  TempDir dir_;
  std::unique_ptr<SoftUsim> card_;
};

TEST_F(SoftUsimFilesTest, SelectMfReturnsDfFcpWithPinStatus) {
  const Bytes r = Send(SelectFidApdu(0x3F00));
  ASSERT_EQ(Sw(r), 0x9000);
  absl::StatusOr<Fcp> fcp = ParseFcp(Data(r));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kDf);
  EXPECT_EQ(fcp->file_id, 0x3F00);
  ASSERT_EQ(fcp->pins.size(), 1u);
  EXPECT_EQ(fcp->pins[0].key_reference, 0x01);
  EXPECT_FALSE(fcp->pins[0].enabled);
}

TEST_F(SoftUsimFilesTest, SelectUsimByFullAid) {
  const Bytes r = Send(SelectAidApdu(kSoftUsimAid));
  ASSERT_EQ(Sw(r), 0x9000);
  absl::StatusOr<Fcp> fcp = ParseFcp(Data(r));
  ASSERT_TRUE(fcp.ok()) << fcp.status();
  EXPECT_EQ(fcp->structure, FileStructure::kDf);
  EXPECT_EQ(fcp->df_name, Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)));
  // P2 = 0C: no data.
  EXPECT_EQ(Send(SelectAidApdu(kSoftUsimAid, 0x0C)), Hex("9000"));
}

TEST_F(SoftUsimFilesTest, SelectUsimByPartialAid) {
  const Bytes prefix = Hex("A0000000871002");  // RID + USIM application code
  const Bytes r = Send(SelectAidApdu(prefix));
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(ParseFcp(Data(r))->df_name, Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)));
  // There is only one USIM: "next occurrence" finds none.
  EXPECT_EQ(Sw(Send(SelectAidApdu(prefix, 0x06))), 0x6A82);
  EXPECT_EQ(Sw(Send(SelectAidApdu(Hex("A0000000871004")))), 0x6A82);  // no ISIM here
  EXPECT_EQ(Sw(Send(SelectAidApdu(Hex("A000000088")))), 0x6A82);
  EXPECT_EQ(Sw(Send(SelectAidApdu(Hex("A000")))), 0x6700);  // shorter than a RID
}

TEST_F(SoftUsimFilesTest, ReadsImsiAdAndUstByFid) {
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  Bytes r = Send(SelectFidApdu(0x6F07));
  ASSERT_EQ(Sw(r), 0x9000);
  absl::StatusOr<Fcp> fcp = ParseFcp(Data(r));
  ASSERT_TRUE(fcp.ok());
  EXPECT_EQ(fcp->structure, FileStructure::kTransparent);
  ASSERT_TRUE(fcp->file_size.has_value());
  EXPECT_EQ(*fcp->file_size, 9u);
  r = ReadBinary(9);
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(Data(r), *EncodeEfImsi(soft_usim_testing::kTestImsi));
  EXPECT_EQ(*DecodeEfImsi(Data(r)), soft_usim_testing::kTestImsi);

  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6FAD))), 0x9000);
  r = ReadBinary(4);
  EXPECT_EQ(Data(r), Hex("00000002"));
  EXPECT_EQ(*MncLengthFromEfAd(Data(r)), 2);

  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6F38))), 0x9000);
  r = ReadBinary(9);
  ASSERT_EQ(Data(r).size(), 9u);
  const Bytes ust = Data(r);
  EXPECT_TRUE(ust[(68 - 1) / 8] & (1 << ((68 - 1) % 8))) << "GBA, service 68";
  EXPECT_TRUE(ust[(27 - 1) / 8] & (1 << ((27 - 1) % 8))) << "GSM access, service 27";
}

TEST_F(SoftUsimFilesTest, NonGbaCardHasNoService68NorGbaFiles) {
  card_ = MakeCard(dir_.File("other.json"), "", /*gba_u=*/false);
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6F38))), 0x9000);
  const Bytes ust = Data(ReadBinary(9));
  ASSERT_EQ(ust.size(), 9u);
  EXPECT_FALSE(ust[8] & 0x08);
  EXPECT_EQ(Sw(Send(SelectFidApdu(0x6FD6))), 0x6A82);
  EXPECT_EQ(Sw(Send(SelectFidApdu(0x6FDA))), 0x6A82);
}

TEST_F(SoftUsimFilesTest, SelectsByPath) {
  // From the MF: ADF by its FID, then EF_IMSI.
  Bytes r = Send("00A4080404 7FF06F07 00");
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(*DecodeEfImsi(Data(ReadBinary(9))), soft_usim_testing::kTestImsi);
  // 7FFF = the current application, from the MF.
  ASSERT_EQ(Sw(Send("00A4080402 6FAD 00")), 0x6A82);  // not a child of the MF
  ASSERT_EQ(Sw(Send("00A4080404 7FFF6FAD 00")), 0x9000);
  EXPECT_EQ(Data(ReadBinary(4)), Hex("00000002"));
  // From the current DF (the ADF).
  ASSERT_EQ(Sw(Send("00A4090402 6F38 00")), 0x9000);
  EXPECT_EQ(Data(ReadBinary(9)).size(), 9u);
  // An explicit MF at the start of an absolute path is tolerated.
  ASSERT_EQ(Sw(Send("00A4080404 3F002FE2 00")), 0x9000);
  EXPECT_EQ(Sw(Send("00A4080403 3F002F 00")), 0x6700);  // odd length
}

TEST_F(SoftUsimFilesTest, CurrentAdfNeedsAnApplication) {
  EXPECT_EQ(Sw(Send(SelectFidApdu(0x7FFF))), 0x6A82);
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x3F00))), 0x9000);
  const Bytes r = Send(SelectFidApdu(0x7FFF));
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(ParseFcp(Data(r))->df_name, Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)));
  // USIM EFs are not children of the MF.
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x3F00))), 0x9000);
  EXPECT_EQ(Sw(Send(SelectFidApdu(0x6F07))), 0x6A82);
}

TEST_F(SoftUsimFilesTest, ReadBinaryBoundsAndErrors) {
  EXPECT_EQ(Sw(ReadBinary(1)), 0x6986);                // no current EF after reset
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x2FE2))), 0x9000);  // EF_ICCID, 10 bytes
  EXPECT_EQ(Data(Send("00B0000000")).size(), 10u);     // Le 00: everything up to 256
  const Bytes iccid = Data(ReadBinary(10));
  ASSERT_EQ(iccid, EncodeIccid("8900101012345678901"));
  EXPECT_EQ(Data(Send("00B0000402")), Bytes(iccid.begin() + 4, iccid.begin() + 6));
  EXPECT_EQ(Sw(Send("00B0000A01")), 0x6B00);  // offset at the end
  EXPECT_EQ(Sw(Send("00B0010001")), 0x6B00);
  EXPECT_EQ(Data(Send("00B0000814")).size(), 2u);  // T=1: whatever is left
  EXPECT_EQ(Sw(Send("00B0800001")), 0x6A86);       // SFI addressing: not supported
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x2F00))), 0x9000);
  EXPECT_EQ(Sw(ReadBinary(1)), 0x6981);  // EF_DIR is a record file
}

TEST_F(SoftUsimFilesTest, EfDirListsTheApplications) {
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x2F00))), 0x9000);
  const Bytes r = Send("00B2010426");
  ASSERT_EQ(Sw(r), 0x9000);
  const Bytes expected_start =
      Hex("61184F10A0000000871002FF33FFFF89010101005004"
          "5553494D");
  const Bytes record = Data(r);
  ASSERT_EQ(record.size(), 0x26u);
  EXPECT_EQ(Bytes(record.begin(), record.begin() + 26), expected_start);
  EXPECT_EQ(record.back(), 0xFF);
  EXPECT_EQ(Sw(Send("00B2020426")), 0x6A83);  // one application only
  EXPECT_EQ(Sw(Send("00B2000426")), 0x6A86);  // record 0 (current record): unsupported
  EXPECT_EQ(Sw(Send("00B2010226")), 0x6A86);  // next-record mode: unsupported
}

TEST_F(SoftUsimFilesTest, IsimProfileAddsIsimAndEfImpi) {
  const std::string impi = "alice@ims.example.org";
  card_ = MakeCard(dir_.File("isim.json"), "impi = \"" + impi + "\"\n");
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x2F00))), 0x9000);
  const Bytes second = Data(Send("00B2020426"));
  ASSERT_EQ(second.size(), 0x26u);
  EXPECT_EQ(Bytes(second.begin() + 4, second.begin() + 20),
            Bytes(std::begin(kSoftIsimAid), std::end(kSoftIsimAid)));
  ASSERT_EQ(Sw(Send(SelectAidApdu(Hex("A0000000871004")))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6F02))), 0x9000);
  const Bytes ef_impi = Data(Send("00B0000000"));
  ASSERT_EQ(ef_impi.size(), impi.size() + 2);
  EXPECT_EQ(ef_impi[0], 0x80);
  EXPECT_EQ(ef_impi[1], impi.size());
  EXPECT_EQ(std::string(ef_impi.begin() + 2, ef_impi.end()), impi);
}

TEST_F(SoftUsimFilesTest, StatusReturnsCurrentDf) {
  Bytes r = Send("80F2000000");
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(ParseFcp(Data(r))->file_id, 0x3F00);
  EXPECT_EQ(Sw(Send("80F2000100")), 0x6985);  // no application yet
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  r = Send("80F2000100");
  ASSERT_EQ(Sw(r), 0x9000);
  EXPECT_EQ(Data(r), Hex("8410A0000000871002FF33FFFF8901010100"));
  EXPECT_EQ(Send("80F2000C"), Hex("9000"));
  EXPECT_EQ(Sw(Send("80F2000500")), 0x6A86);
}

TEST_F(SoftUsimFilesTest, LogicalChannelsHaveTheirOwnSelection) {
  // MANAGE CHANNEL open (TS 102 221 §11.1.17): the card picks channel 1, which starts at the
  // MF; the basic channel keeps its own selection.
  EXPECT_EQ(Send("0070000001"), Hex("019000"));
  EXPECT_EQ(Sw(Send("00A4000C022FE2")), 0x9000);  // basic channel: EF_ICCID
  EXPECT_EQ(Sw(Send("01A4000C022F00")), 0x9000);  // channel 1: EF_DIR
  EXPECT_EQ(Sw(Send("01B2010400")), 0x9000) << "channel 1 reads EF_DIR's record";
  EXPECT_EQ(Sw(Send("00B0000000")), 0x9000) << "the basic channel still has EF_ICCID";
  EXPECT_EQ(Send("0070000001"), Hex("029000"));
  EXPECT_EQ(Send("0070800100"), Hex("9000"));  // close channel 1
  EXPECT_EQ(Send("01B2010400"), Hex("6881")) << "closed";
  EXPECT_EQ(Send("0070800100"), Hex("6A86")) << "already closed";
}

TEST_F(SoftUsimFilesTest, CommandLevelErrors) {
  EXPECT_EQ(Send("A0A40000023F00"), Hex("6E00"));  // GSM class
  EXPECT_EQ(Send("01A40000023F00"), Hex("6881"));  // logical channel 1, not open
  EXPECT_EQ(Send("40A40000023F00"), Hex("6E00"));  // channels 4-19 are not offered
  EXPECT_EQ(Send("00F2000000"), Hex("6E00"));      // STATUS needs class 80
  EXPECT_EQ(Send("80A40000023F00"), Hex("6E00"));
  EXPECT_EQ(Send("00CA000000"), Hex("6D00"));  // GET DATA: not implemented
  EXPECT_EQ(Send("00A40504023F00"), Hex("6A86"));
  EXPECT_EQ(Send("00A40004033F000000"), Hex("6700"));  // a 3-byte FID
  EXPECT_EQ(Send("00A40000023F00"), Hex("6A86"));      // P2 00 (FCI): not offered
  EXPECT_EQ(Send("00A4000401"), Hex("6700"));          // Lc 1, no data: malformed
  EXPECT_EQ(Send("00A4"), Hex("6700"));                // shorter than a header
  EXPECT_EQ(Send(Bytes{}), Hex("6700"));
  EXPECT_EQ(Send("00A40000023F0000FF"), Hex("6700"));
}

TEST_F(SoftUsimFilesTest, UpdateBinaryOnGbabpPersistsAcrossRestart) {
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6FD6))), 0x9000);
  EXPECT_EQ(Data(Send("00B0000003")), Hex("000000"));  // never bootstrapped
  ASSERT_EQ(Send("00D6000005 0001410100"), Hex("9000"));
  EXPECT_EQ(Data(Send("00B0000005")), Hex("0001410100"));
  EXPECT_EQ(Sw(Send("00D6010001 00")), 0x6B00);  // offset 256: beyond the 256-byte file
  EXPECT_EQ(Sw(Send("00D600FF02 0000")), 0x6700);

  card_.reset();
  card_ = MakeCard(dir_.File("state.json"));
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6FD6))), 0x9000);
  EXPECT_EQ(Data(Send("00B0000005")), Hex("0001410100"));
}

TEST_F(SoftUsimFilesTest, OtherFilesAreNotUpdatable) {
  ASSERT_EQ(Sw(Send(SelectAidApdu(kSoftUsimAid))), 0x9000);
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6F07))), 0x9000);
  EXPECT_EQ(Send("00D6000001 08"), Hex("6982"));
  ASSERT_EQ(Sw(Send(SelectFidApdu(0x6FDA))), 0x9000);
  EXPECT_EQ(Send("00D6000001 08"), Hex("6981"));  // record file
}

TEST_F(SoftUsimFilesTest, WorksThroughInProcessTransport) {
  InProcessTransport channel(*card_);
  EXPECT_EQ(channel.Atr(), card_->Atr());
  absl::StatusOr<ResponseApdu> r =
      channel.Transmit(CommandApdu{.cla = 0,
                                   .ins = 0xA4,
                                   .p1 = 0x04,
                                   .p2 = 0x04,
                                   .data = Bytes(std::begin(kSoftUsimAid), std::end(kSoftUsimAid)),
                                   .le = 256});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sw, 0x9000);
  EXPECT_TRUE(ParseFcp(r->data).ok());
}

}  // namespace
}  // namespace gbabridge
