// CardTransport's T=0 response procedures (61xx, 6Cxx), with a scripted card.
#include "uicc/card_transport.h"

#include <deque>

#include "gtest/gtest.h"
#include "uicc/apdu_handler.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"

namespace gbabridge {
namespace {

// Answers each command with the next scripted response and records the commands.
class ScriptedCard : public ApduHandler {
 public:
  explicit ScriptedCard(std::deque<std::string> responses) : responses_(std::move(responses)) {}
  Bytes Reset() override { return *HexDecode("3b00"); }
  Bytes Process(ByteView command) override {
    commands.push_back(HexEncode(command));
    if (responses_.empty()) return {0x6F, 0x00};
    Bytes out = *HexDecode(responses_.front());
    responses_.pop_front();
    return out;
  }
  std::vector<std::string> commands;

 private:
  std::deque<std::string> responses_;
};

const CommandApdu kSelectImsi{
    .cla = 0x00, .ins = 0xA4, .p1 = 0x00, .p2 = 0x04, .data = {0x6F, 0x07}, .le = 256};

TEST(CardTransportTest, FollowsGetResponseChains) {
  ScriptedCard card({"6104", "aabbccdd6102", "eeff9000"});
  InProcessTransport channel(card);
  absl::StatusOr<ResponseApdu> r = channel.Transmit(kSelectImsi);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HexEncode(r->data), "aabbccddeeff");
  EXPECT_EQ(r->sw, 0x9000);
  ASSERT_EQ(card.commands.size(), 3u);
  EXPECT_EQ(card.commands[1], "00c0000004");
  EXPECT_EQ(card.commands[2], "00c0000002");
}

TEST(CardTransportTest, ResendsWithTheLeTheCardAsksFor) {
  ScriptedCard card({"6c09",
                     "080910101032547698"
                     "9000"});
  InProcessTransport channel(card);
  absl::StatusOr<ResponseApdu> r =
      channel.Transmit(CommandApdu{.cla = 0, .ins = 0xB0, .p1 = 0, .p2 = 0, .data = {}, .le = 256});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->data.size(), 9u);
  ASSERT_EQ(card.commands.size(), 2u);
  EXPECT_EQ(card.commands[1], "00b0000009");
}

TEST(CardTransportTest, BoundsEndlessGetResponse) {
  std::deque<std::string> endless(100, "6101");
  endless.front() = "6101";
  for (auto& r : endless) r = "aa6101";
  ScriptedCard card(endless);
  InProcessTransport channel(card);
  absl::StatusOr<ResponseApdu> r = channel.Transmit(kSelectImsi);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kMalformedResponse);
}

TEST(CardTransportTest, ResponseWithoutStatusWordIsMalformed) {
  ScriptedCard card({"90"});
  InProcessTransport channel(card);
  absl::StatusOr<ResponseApdu> r = channel.Transmit(kSelectImsi);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetCardErrorReason(r.status()), CardErrorReason::kMalformedResponse);
}

}  // namespace
}  // namespace gbabridge
