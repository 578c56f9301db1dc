#include "uicc/pcsc_readers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseReaderMultiStringTest, NamesUpToTheEmptyName) {
  const std::string multi("Reader A 00 00\0Reader B 01 00\0\0", 32);
  EXPECT_THAT(ParseReaderMultiString(multi), ElementsAre("Reader A 00 00", "Reader B 01 00"));
}

TEST(ParseReaderMultiStringTest, NothingAfterTheEndingEmptyNameCounts) {
  const std::string multi("A\0\0B\0\0", 6);
  EXPECT_THAT(ParseReaderMultiString(multi), ElementsAre("A"));
}

TEST(ParseReaderMultiStringTest, NoReaderIsAnEmptyList) {
  EXPECT_THAT(ParseReaderMultiString(std::string("\0", 1)), IsEmpty());
  EXPECT_THAT(ParseReaderMultiString(std::string("\0\0", 2)), IsEmpty());
  EXPECT_THAT(ParseReaderMultiString(""), IsEmpty());
}

TEST(ParseReaderMultiStringTest, AMissingFinalNulStillParses) {
  EXPECT_THAT(ParseReaderMultiString("Only reader"), ElementsAre("Only reader"));
}

TEST(PcscContextErrorTest, OneMappingForEveryCaller) {
  EXPECT_EQ(GetCardErrorReason(PcscContextError(SCARD_E_NO_SERVICE, "x")),
            CardErrorReason::kPcscdNotRunning);
  EXPECT_EQ(GetCardErrorReason(PcscContextError(SCARD_E_SERVICE_STOPPED, "x")),
            CardErrorReason::kPcscdNotRunning);
  EXPECT_EQ(GetCardErrorReason(PcscContextError(SCARD_E_NO_READERS_AVAILABLE, "x")),
            CardErrorReason::kNoReader);
  // "RPC transport error": pcscd went away mid-call; not a card removal.
  const absl::Status broken = PcscContextError(SCARD_F_COMM_ERROR, "SCardGetStatusChange");
  EXPECT_EQ(GetCardErrorReason(broken), CardErrorReason::kPcscdNotRunning);
  EXPECT_THAT(std::string(broken.message()), ::testing::HasSubstr("is pcscd running?"));
  const absl::Status other = PcscContextError(SCARD_E_NO_MEMORY, "SCardListReaders");
  EXPECT_EQ(GetCardErrorReason(other), CardErrorReason::kTransportFailed);
  EXPECT_THAT(std::string(other.message()), ::testing::HasSubstr("SCardListReaders"));
}

}  // namespace
}  // namespace gbabridge
