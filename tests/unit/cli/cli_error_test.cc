// The CLI's one error writer: the same line and JSON shape for daemon and local failures.
#include "bootstrap/cli/cli_error.h"

#include <sstream>

#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/client/gba_error.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "uicc/card_error.h"

namespace gbabridge::cli {
namespace {

TEST(ReportErrorTest, HumanLineOnStderrAndJsonOnStdout) {
  CliError f{.exit_code = kExitRateLimited,
             .reason = "RATE_LIMITED",
             .grpc_code = "RESOURCE_EXHAUSTED",
             .message = "rate limit: 10 requests per minute"};
  std::ostringstream out, err;
  EXPECT_EQ(ReportError(f, /*json=*/false, out, err), kExitRateLimited);
  EXPECT_EQ(err.str(), "error: rate limit: 10 requests per minute [RATE_LIMITED]\n");
  EXPECT_EQ(out.str(), "");

  std::ostringstream jout, jerr;
  EXPECT_EQ(ReportError(f, /*json=*/true, jout, jerr), kExitRateLimited);
  EXPECT_EQ(jerr.str(), "error: rate limit: 10 requests per minute [RATE_LIMITED]\n");
  nlohmann::json j = nlohmann::json::parse(jout.str());
  EXPECT_EQ(j["error"]["reason"], "RATE_LIMITED");
  EXPECT_EQ(j["error"]["grpc_code"], "RESOURCE_EXHAUSTED");
  EXPECT_EQ(j["error"]["exit_code"], kExitRateLimited);
  EXPECT_EQ(j["error"]["message"], "rate limit: 10 requests per minute");
}

TEST(ReportLocalErrorTest, UsageErrorsExitTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(ReportLocalError(absl::InvalidArgumentError("bad flag"), true, out, err), kExitUsage);
  EXPECT_EQ(err.str(), "error: bad flag [USAGE]\n");
  nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_TRUE(j["error"]["grpc_code"].is_null());
}

TEST(ReportLocalErrorTest, AFailureWithoutAReasonShowsNoMadeUpOne) {
  // Not "[INTERNAL]": a status code's name is not a reason a script could act on.
  std::ostringstream out, err;
  EXPECT_EQ(ReportLocalError(absl::InternalError("odd"), true, out, err), kExitFailure);
  EXPECT_EQ(err.str(), "error: odd\n");
  EXPECT_TRUE(nlohmann::json::parse(out.str())["error"]["reason"].is_null());
}

TEST(LocalErrorTest, TheCardsAndTheGbaClientsReasonsAreShown) {
  const CliError card = LocalError(CardError(CardErrorReason::kNoReader, "no reader named X"));
  EXPECT_EQ(card.reason, "NO_READER");
  EXPECT_EQ(card.exit_code, kExitCardUnavailable);
  EXPECT_TRUE(card.grpc_code.empty());
  EXPECT_EQ(LocalError(CardError(CardErrorReason::kMalformedResponse, "FCP")).exit_code,
            kExitCardError);
  const CliError bsf =
      LocalError(GbaError(GbaErrorReason::kBsfUnreachable, "BSF unreachable at http://x"));
  EXPECT_EQ(bsf.reason, "BSF_UNREACHABLE");
  EXPECT_EQ(bsf.exit_code, kExitBsfUnavailable);
  EXPECT_EQ(bsf.message, "BSF unreachable at http://x");
}

}  // namespace
}  // namespace gbabridge::cli
