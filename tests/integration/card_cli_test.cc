// `gbabridge card` against soft-usim through a real pcscd + vpcd.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/cli_runner.h"
#include "tests/integration/pcsc_sandbox.h"
#include "tests/integration/test_vectors.h"

namespace gbabridge {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::CommandResult;
using testing::RunCli;

class CardCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::PcscSandbox>> sandbox = testing::PcscSandbox::Start();
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::move(*sandbox);
  }

  void StartCard(bool pin_enabled) {
    const auto profile = testing::WriteTestProfile(sandbox_->dir(), /*gba_u=*/true, pin_enabled);
    absl::StatusOr<testing::ChildProcess> card =
        sandbox_->StartSoftUsim(profile, sandbox_->dir() / "state.json");
    ASSERT_TRUE(card.ok()) << card.status();
    card_.emplace(std::move(*card));
    ASSERT_TRUE(sandbox_->WaitForCard(true).ok());
  }

  std::unique_ptr<testing::PcscSandbox> sandbox_;
  std::optional<testing::ChildProcess> card_;
};

TEST_F(CardCliTest, InfoMasksTheImsiByDefault) {
  StartCard(/*pin_enabled=*/false);
  CommandResult r = RunCli("card info");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Virtual PCD 00 00"));
  EXPECT_THAT(r.output, HasSubstr("GBA (UST 68):  yes"));
  EXPECT_THAT(r.output, Not(HasSubstr("001010123456789")));
  EXPECT_THAT(r.output, HasSubstr("bsf.mnc001.mcc001.pub.3gppnetwork.org"));
}

TEST_F(CardCliTest, InfoJsonForScripts) {
  StartCard(/*pin_enabled=*/false);
  CommandResult r = RunCli("card info --json --show-imsi");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reader"], "Virtual PCD 00 00");
  EXPECT_EQ(j["imsi"], "001010123456789");
  EXPECT_EQ(j["mnc_length"], 2);
  EXPECT_EQ(j["gba_service"], true);
  EXPECT_EQ(j["iccid"], "8988211000000000017");
  EXPECT_EQ(j["impi"], "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(j["pin"]["enabled"], false);
}

TEST_F(CardCliTest, PinIsReadFromAFileAndWrongPinsAreNotRetried) {
  StartCard(/*pin_enabled=*/true);
  CommandResult locked = RunCli("card info --json");
  ASSERT_EQ(locked.exit_code, 0) << locked.output;
  EXPECT_EQ(nlohmann::json::parse(locked.out)["pin_required"], true);

  const auto wrong = sandbox_->dir() / "wrong-pin";
  FILE* f = fopen(wrong.c_str(), "w");
  fputs("9999\n", f);
  fclose(f);
  CommandResult bad = RunCli("card info --pin-file " + wrong.string());
  EXPECT_EQ(bad.exit_code, 4) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("wrong PIN: 2 tries left"));

  const auto right = sandbox_->dir() / "pin";
  f = fopen(right.c_str(), "w");
  fputs("1234\n", f);
  fclose(f);
  CommandResult good = RunCli("card info --json --pin-file " + right.string());
  ASSERT_EQ(good.exit_code, 0) << good.output;
  nlohmann::json j = nlohmann::json::parse(good.out);
  EXPECT_EQ(j["pin"]["verified"], true);
  EXPECT_EQ(j["pin_required"], false);
}

TEST_F(CardCliTest, ErrorsHaveDistinctExitCodes) {
  CommandResult no_card = RunCli("card info");
  EXPECT_EQ(no_card.exit_code, 3) << no_card.output;
  EXPECT_THAT(no_card.output, HasSubstr("no card in any reader"));

  CommandResult no_reader = RunCli("card info --json --reader 'Nope 00 00'");
  EXPECT_EQ(no_reader.exit_code, 3) << no_reader.output;
  EXPECT_EQ(nlohmann::json::parse(no_reader.out)["error"]["reason"], "NO_READER");

  CommandResult usage = RunCli("card authenticate --rand 00 --autn 00");
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
}

TEST_F(CardCliTest, AuthenticateHidesKeysUnlessAsked) {
  StartCard(/*pin_enabled=*/false);
  // A stale vector (bad MAC for this K): the card answers 9862.
  CommandResult bad = RunCli(
      "card authenticate --rand 000102030405060708090a0b0c0d0e0f "
      "--autn 00000000000080000000000000000000");
  EXPECT_EQ(bad.exit_code, 5) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("network authentication failed: AUTN MAC invalid"));

  testing::TestVector v = testing::MakeTestVector(0x60, 0x42);
  const std::string args =
      "card authenticate --rand " + HexEncode(v.rand) + " --autn " + HexEncode(v.autn);
  CommandResult hidden = RunCli(args);
  ASSERT_EQ(hidden.exit_code, 0) << hidden.output;
  EXPECT_THAT(hidden.output, HasSubstr("RES:     8 bytes"));
  EXPECT_THAT(hidden.output, Not(HasSubstr(v.xres.RevealHex())));

  testing::TestVector v2 = testing::MakeTestVector(0x61, 0x43);
  CommandResult shown = RunCli("card authenticate --json --show-keys --rand " + HexEncode(v2.rand) +
                               " --autn " + HexEncode(v2.autn));
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  nlohmann::json j = nlohmann::json::parse(shown.out);
  EXPECT_EQ(j["res"], v2.xres.RevealHex());
  EXPECT_EQ(j["ck"], v2.ck.RevealHex());

  // The same vector again is a replay: the card answers with AUTS, not a MAC failure.
  CommandResult replay = RunCli("card authenticate --json --rand " + HexEncode(v2.rand) +
                                " --autn " + HexEncode(v2.autn));
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_EQ(nlohmann::json::parse(replay.out)["result"], "sync_failure");
}

}  // namespace
}  // namespace gbabridge
