// The soft USIM's APDU log (soft-usim --apdu-log): one header line per command received,
// never the data field.
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"
#include "uicc/base/identifiers.h"
#include "uicc/soft_usim/apdu_log.h"
#include "uicc/soft_usim/file_system.h"
#include "uicc/soft_usim/soft_usim.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::AuthenticateApdu;
using ::gbabridge::soft_usim_testing::Hex;
using ::gbabridge::soft_usim_testing::MakeAutn;
using ::gbabridge::soft_usim_testing::MakeProfile;
using ::gbabridge::soft_usim_testing::MakeRand;
using ::gbabridge::soft_usim_testing::SelectAidApdu;
using ::gbabridge::soft_usim_testing::SelectFidApdu;
using ::gbabridge::soft_usim_testing::TempDir;
using ::gbabridge::soft_usim_testing::TestMilenage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(ApduLogTest, FormatsHeaderAndName) {
  EXPECT_EQ(FormatApduLogLine(Hex("00880081")), "00880081 AUTHENTICATE 3G");
  // GBA context: the mode tag after Lc names the operation (TS 31.102 §7.1.2.4).
  EXPECT_EQ(FormatApduLogLine(Hex("0088008423DD10")), "00880084 AUTHENTICATE GBA-BOOTSTRAP");
  EXPECT_EQ(FormatApduLogLine(Hex("0088008412DE")), "00880084 AUTHENTICATE GBA-NAF-DERIVATION");
  EXPECT_EQ(FormatApduLogLine(Hex("00880084")), "00880084 AUTHENTICATE GBA");
  EXPECT_EQ(FormatApduLogLine(Hex("00A40004")), "00A40004 SELECT");
  EXPECT_EQ(FormatApduLogLine(Hex("80F20000")), "80F20000 STATUS");
  EXPECT_EQ(FormatApduLogLine(Hex("00C00000")), "00C00000 GET RESPONSE");
  EXPECT_EQ(FormatApduLogLine(Hex("00200001")), "00200001 VERIFY");
  // Unknown INS: the header alone.
  EXPECT_EQ(FormatApduLogLine(Hex("00EE0000")), "00EE0000");
  // Too short to be a command.
  EXPECT_EQ(FormatApduLogLine(Hex("0088")), "0088 (malformed)");
  EXPECT_EQ(FormatApduLogLine({}), " (malformed)");
}

TEST(ApduLogTest, NeverFormatsMoreThanTheHeader) {
  // VERIFY PIN "1234": 00 20 00 01 08 31 32 33 34 FF FF FF FF.
  const std::string line = FormatApduLogLine(Hex("002000010831323334FFFFFFFF"));
  EXPECT_EQ(line, "00200001 VERIFY");
  EXPECT_THAT(line, Not(HasSubstr("31323334")));
}

TEST(ApduLogTest, FileAppendsOneLinePerCommand) {
  TempDir dir;
  const std::string path = dir.File("apdu.log");
  {
    absl::StatusOr<std::unique_ptr<ApduLogFile>> log = ApduLogFile::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Append(Hex("00A40004")).ok());
    // Visible at once, without closing the file (no buffering).
    EXPECT_THAT(ReadLines(path), ElementsAre("00A40004 SELECT"));
  }
  // Reopening appends instead of truncating (a restarted soft-usim keeps counting).
  absl::StatusOr<std::unique_ptr<ApduLogFile>> log = ApduLogFile::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_TRUE((*log)->Append(Hex("00B00000")).ok());
  EXPECT_THAT(ReadLines(path), ElementsAre("00A40004 SELECT", "00B00000 READ BINARY"));
}

TEST(ApduLogTest, OpenFailsWithThePath) {
  absl::StatusOr<std::unique_ptr<ApduLogFile>> log = ApduLogFile::Open("/nonexistent-dir/apdu.log");
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("/nonexistent-dir/apdu.log"));
}

// The card reports every command it receives, header only, before processing it.
TEST(ApduLogTest, SoftUsimReportsEveryCommandHeaderOnly) {
  TempDir dir;
  const std::string log_path = dir.File("apdu.log");
  absl::StatusOr<std::unique_ptr<ApduLogFile>> log = ApduLogFile::Open(log_path);
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<std::unique_ptr<SoftUsim>> created =
      SoftUsim::Create(MakeProfile("pin_enabled = true\npin = \"4321\""), dir.File("state.json"));
  ASSERT_TRUE(created.ok()) << created.status();
  SoftUsim& card = **created;
  std::vector<Bytes> headers;
  card.set_command_observer([&](ByteView header) {
    headers.emplace_back(header.begin(), header.end());
    ASSERT_TRUE((*log)->Append(header).ok());
  });

  card.Process(SelectFidApdu(0x3F00));
  card.Process(SelectAidApdu(kSoftUsimAid));
  card.Process(Hex("00200001083433323199FFFFFF"));  // VERIFY with PIN data (wrong PIN)
  const Rand rand = MakeRand(7);
  const Bytes autn = MakeAutn(TestMilenage(), rand, 0x20, /*gba_mac_star=*/false);
  card.Process(AuthenticateApdu(0x81, rand, autn));
  card.Process(Hex("0088"));  // malformed: still counted

  ASSERT_EQ(headers.size(), 5u);
  // Headers only; AUTHENTICATE adds Lc and the first data byte (a tag or length, no data).
  for (size_t i = 0; i + 2 < headers.size(); ++i) EXPECT_EQ(headers[i].size(), 4u) << i;
  EXPECT_EQ(headers[3].size(), 6u);
  EXPECT_EQ(headers.back().size(), 2u);
  EXPECT_THAT(ReadLines(log_path),
              ElementsAre("00A40004 SELECT", "00A40404 SELECT", "00200001 VERIFY",
                          "00880081 AUTHENTICATE 3G", "0088 (malformed)"));
  // Neither the PIN nor RAND/AUTN reached the log.
  const std::string content = ReadAll(log_path);
  EXPECT_THAT(content, Not(HasSubstr("34333231")));
  std::string rand_hex = HexEncode(rand);
  for (char& c : rand_hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_THAT(content, Not(HasSubstr(rand_hex.substr(0, 8))));
}

}  // namespace
}  // namespace gbabridge
