// A card that answers with truncated, garbage or missing bytes (soft-usim --fault, through
// the real pcscd + vpcd): `gbabridge card` fails with the card-error exit code and a message
// that names what was wrong, never a crash, a hang or a key in the output; pcscd and the next
// (good) card are unaffected. Each of the USIM client's parsers meets the fault: FCP (SELECT),
// EF_DIR records, transparent EFs, the AUTHENTICATE outcome (TS 31.102 §7.1.2.1 `DB L RES L
// CK L IK [L Kc]`), and the status word itself.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/cli_runner.h"
#include "tests/integration/pcsc_sandbox.h"
#include "tests/integration/test_vectors.h"

namespace gbabridge {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCli;

struct SpoiledCase {
  const char* name;
  const char* fault;
  const char* command;  // "info" or "authenticate"
  int exit_code;        // 6: card error (malformed answer); 3: card lost midway; 0: recovered
  const char* reason;   // the JSON error's reason
  const char* message;  // part of the output
};

class SpoiledCardCliTest : public ::testing::TestWithParam<SpoiledCase> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::PcscSandbox>> sandbox = testing::PcscSandbox::Start();
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::move(*sandbox);
  }

  void StartCard(const std::vector<std::string>& extra) {
    card_.reset();
    ASSERT_TRUE(sandbox_->WaitForCard(false).ok());
    const auto profile = testing::WriteTestProfile(sandbox_->dir(), /*gba_u=*/true);
    absl::StatusOr<testing::ChildProcess> card =
        sandbox_->StartSoftUsim(profile, sandbox_->dir() / "state.json", extra);
    ASSERT_TRUE(card.ok()) << card.status();
    card_.emplace(std::move(*card));
    ASSERT_TRUE(sandbox_->WaitForCard(true).ok());
  }

  CommandResult Run(const std::string& command, uint64_t sqn) {
    if (command == "info") return RunCli("card info --json");
    testing::TestVector v = testing::MakeTestVector(sqn, static_cast<uint8_t>(sqn));
    return RunCli("card authenticate --json --show-keys --rand " + HexEncode(v.rand) + " --autn " +
                  HexEncode(v.autn));
  }

  std::unique_ptr<testing::PcscSandbox> sandbox_;
  std::optional<testing::ChildProcess> card_;
};

TEST_P(SpoiledCardCliTest, IsACleanCardErrorAndTheNextCardWorks) {
  const SpoiledCase& c = GetParam();
  StartCard({"--fault", c.fault});
  const CommandResult spoiled = Run(c.command, 0x80);
  EXPECT_EQ(spoiled.exit_code, c.exit_code) << spoiled.output;
  EXPECT_THAT(spoiled.output, HasSubstr(c.message)) << spoiled.output;
  // --json: even the error is one JSON document, with a reason for scripts.
  nlohmann::json json = nlohmann::json::parse(spoiled.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded()) << spoiled.output;
  if (c.exit_code != 0) {
    ASSERT_TRUE(json.contains("error")) << spoiled.output;
    EXPECT_EQ(json["error"]["reason"], c.reason) << spoiled.output;
  }
  EXPECT_THAT(spoiled.output, Not(HasSubstr("\"res\""))) << "no key material on a failure";
  EXPECT_TRUE(card_->running()) << "the card process itself must not have crashed";

  // Swap in a good card: pcscd and the client are unaffected.
  StartCard({});
  const CommandResult good = Run(c.command, 0xA0);
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SpoiledCardCliTest,
    ::testing::Values(
        SpoiledCase{"TruncatedFcp", "truncate:select", "info", 6, "MALFORMED_RESPONSE", "FCP"},
        SpoiledCase{"GarbageFcp", "garbage:select", "info", 6, "MALFORMED_RESPONSE",
                    "the card sent a malformed FCP"},
        // A garbled EF_DIR is not fatal: the USIM is then selected by its AID prefix
        // (ETSI TS 102 221 §13.1), as for a card without EF_DIR.
        SpoiledCase{"GarbageEfDir", "garbage:read-record", "info", 0, "", "a0000000871002"},
        SpoiledCase{"TruncatedEf", "truncate:read-binary", "info", 6, "MALFORMED_RESPONSE",
                    "READ BINARY"},
        SpoiledCase{"GarbageEf", "garbage:read-binary:2", "info", 6, "MALFORMED_RESPONSE", "card"},
        // An answer without a status word is an exchange that broke off, not a card error.
        SpoiledCase{"NoStatusWord", "no-sw:select", "info", 3, "TRANSPORT_FAILED",
                    "no status word"},
        SpoiledCase{"TruncatedAuthenticate", "truncate:authenticate", "authenticate", 6,
                    "MALFORMED_RESPONSE", "runs past the end"},
        SpoiledCase{"GarbageAuthenticate", "garbage:authenticate", "authenticate", 6,
                    "MALFORMED_RESPONSE", "AUTHENTICATE"},
        SpoiledCase{"NoStatusWordAuthenticate", "no-sw:authenticate", "authenticate", 3,
                    "TRANSPORT_FAILED", "no status word"}),
    [](const ::testing::TestParamInfo<SpoiledCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gbabridge
