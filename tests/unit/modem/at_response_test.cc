// The AT answer parser against lines as TS 27.007 writes them and as modems send them.
#include "uicc/modem/at_response.h"

#include "gtest/gtest.h"

namespace gbabridge::modem {
namespace {

TEST(AtLineSplitterTest, SplitsOnCrAndLfAndDropsEmptyLines) {
  AtLineSplitter s;
  ASSERT_TRUE(s.Append("\r\n+CSIM: 4,\"9000\"\r\n\r\nO").ok());
  EXPECT_EQ(s.NextLine(), "+CSIM: 4,\"9000\"");
  EXPECT_EQ(s.NextLine(), std::nullopt) << "OK is not complete yet";
  ASSERT_TRUE(s.Append("K\r\n").ok());
  EXPECT_EQ(s.NextLine(), "OK");
  EXPECT_FALSE(s.Append(std::string(kMaxAtLineLength + 1, 'A')).ok());
}

TEST(FinalResultTest, OkErrorAndCmeErrors) {
  EXPECT_EQ(ParseFinalResult("OK")->kind, AtFinalKind::kOk);
  EXPECT_EQ(ParseFinalResult("0")->kind, AtFinalKind::kOk) << "ATV0";
  EXPECT_EQ(ParseFinalResult("ERROR")->kind, AtFinalKind::kError);
  std::optional<AtFinalResult> numeric = ParseFinalResult("+CME ERROR: 10");
  ASSERT_TRUE(numeric.has_value());
  EXPECT_EQ(numeric->kind, AtFinalKind::kCmeError);
  EXPECT_EQ(numeric->code, 10);
  EXPECT_EQ(SimStateFromError(*numeric), SimState::kNotInserted);
  std::optional<AtFinalResult> verbose = ParseFinalResult("+CME ERROR: SIM not inserted");
  ASSERT_TRUE(verbose.has_value());
  EXPECT_EQ(verbose->code, -1);
  EXPECT_EQ(verbose->text, "SIM not inserted");
  EXPECT_EQ(SimStateFromError(*verbose), SimState::kNotInserted);
  EXPECT_EQ(SimStateFromError(*ParseFinalResult("+CME ERROR: 14")), SimState::kBusy);
  EXPECT_EQ(SimStateFromError(*ParseFinalResult("+CME ERROR: 4")), std::nullopt);
  EXPECT_EQ(ParseFinalResult("+CSIM: 4,\"9000\""), std::nullopt);
  EXPECT_EQ(ParseFinalResult("OKAY"), std::nullopt);
  EXPECT_EQ(DescribeFinal(*verbose), "+CME ERROR: SIM not inserted");
}

TEST(ApduAnswerTest, LengthCountsHexCharacters) {
  // TS 27.007 §8.17: <length> is the number of characters sent.
  absl::StatusOr<Bytes> r = ParseApduAnswer("+CSIM: 8,\"01029000\"", "+CSIM:");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HexEncode(*r), "01029000");
  EXPECT_TRUE(ParseApduAnswer("+CGLA: 4,9000", "+CGLA:").ok()) << "unquoted";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 4,\"01029000\"", "+CSIM:").ok()) << "length mismatch";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 2,\"90\"", "+CSIM:").ok()) << "no SW1 SW2";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 3,\"900\"", "+CSIM:").ok()) << "odd";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 4,\"90ZZ\"", "+CSIM:").ok()) << "not hex";
  // Found by at_response_fuzz: separators inside the hex made a 1-byte "answer".
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 4,\"6A:2\"", "+CSIM:").ok()) << "separator";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 6,\"90 00 \"", "+CSIM:").ok()) << "spaces";
  EXPECT_FALSE(ParseApduAnswer("+CSIM: x,\"9000\"", "+CSIM:").ok());
  EXPECT_FALSE(ParseApduAnswer("+CSIM: 4", "+CSIM:").ok());
  EXPECT_FALSE(ParseApduAnswer("+CGLA: 4,\"9000\"", "+CSIM:").ok()) << "wrong prefix";
}

TEST(CchoAnswerTest, WithOrWithoutPrefix) {
  EXPECT_EQ(*ParseCchoAnswer("+CCHO: 2"), 2);
  EXPECT_EQ(*ParseCchoAnswer("3"), 3);
  EXPECT_EQ(*ParseCchoAnswer("+CCHO: \"1\""), 1);
  EXPECT_FALSE(ParseCchoAnswer("+CCHO: one").ok());
}

TEST(SimUrcTest, StandardAndVendorLines) {
  EXPECT_EQ(ParseCpinLine("+CPIN: READY"), SimState::kReady);
  EXPECT_EQ(ParseCpinLine("+CPIN: SIM PIN"), SimState::kPinRequired);
  EXPECT_EQ(ParseCpinLine("+CPIN: SIM PUK"), SimState::kPukRequired);
  EXPECT_EQ(ParseCpinLine("+CPIN: PH-SIM PIN"), SimState::kLocked);
  EXPECT_EQ(ParseCpinLine("+CPIN: NOT INSERTED"), SimState::kNotInserted);
  EXPECT_EQ(ParseCpinLine("+CPIN: NOT READY"), SimState::kBusy);
  EXPECT_EQ(ParseSimUrc("+QSIMSTAT: 1,0")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("+QSIMSTAT: 1,1")->state, SimState::kReady);
  EXPECT_EQ(ParseSimUrc("+UUSIMSTAT: 0")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("^SIMST: 255")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("^SIMST: 1")->state, SimState::kReady);
  EXPECT_EQ(ParseSimUrc("+SIMCARD: NOT AVAILABLE")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("#QSS: 0")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("+CIEV: simstat,0")->state, SimState::kNotInserted);
  EXPECT_EQ(ParseSimUrc("+CREG: 1"), std::nullopt);
  EXPECT_EQ(ParseSimUrc("RING"), std::nullopt);
}

TEST(AtAnswerTest, EchoAndUrcsAreNotTheAnswer) {
  AtAnswer answer("AT+CSIM=10,\"00A4000000\"", "+CSIM:");
  EXPECT_FALSE(answer.Feed("AT+CSIM=10,\"00A4000000\""));  // echo (ATE0 ignored)
  EXPECT_FALSE(answer.Feed("+CPIN: NOT READY"));           // URC between
  EXPECT_FALSE(answer.Feed("+QIND: \"csq\",20,99"));
  EXPECT_FALSE(answer.Feed("+CSIM: 4,\"6A82\""));
  EXPECT_TRUE(answer.Feed("OK"));
  ASSERT_EQ(answer.info().size(), 1u);
  EXPECT_EQ(answer.info()[0], "+CSIM: 4,\"6A82\"");
  EXPECT_EQ(answer.unsolicited().size(), 2u);
  EXPECT_EQ(answer.final()->kind, AtFinalKind::kOk);
}

TEST(AtAnswerTest, BareNumbersOnlyWhenAsked) {
  AtAnswer ccho("AT+CCHO=\"A0000000871002\"", "+CCHO:", /*bare_numbers=*/true);
  EXPECT_FALSE(ccho.Feed("1"));
  EXPECT_TRUE(ccho.Feed("OK"));
  EXPECT_EQ(ccho.info().size(), 1u);
  AtAnswer csim("AT+CSIM=4,\"0070\"", "+CSIM:");
  EXPECT_FALSE(csim.Feed("1"));
  EXPECT_TRUE(csim.Feed("+CME ERROR: 4"));
  EXPECT_TRUE(csim.info().empty());
  EXPECT_EQ(csim.unsolicited().size(), 1u);
}

}  // namespace
}  // namespace gbabridge::modem
