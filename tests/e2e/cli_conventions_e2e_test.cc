// One convention for every binary (README, "Command-line conventions"): --version prints
// "NAME 0.1.0" and exits 0, a usage error exits 2, failures read "error: MESSAGE", the old
// flag names are still accepted; and bsf-sim serve refuses a database that does not exist
// instead of creating an empty HSS.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cli_runner.h"
#include "uicc/base/version.h"

namespace gbabridge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Binary {
  std::string name;
  std::string path;
  std::string usage_error;  // arguments that are a usage error
};

std::vector<Binary> Binaries() {
  return {
      {"gbabridged", GBABRIDGE_DAEMON_BIN, "--no-such-flag"},
      {"gbabridge", GBABRIDGE_CLI_BIN, "naf-key --ua 01000100AE"},  // --naf missing
      {"bsf-sim", GBABRIDGE_BSF_SIM_BIN, "serve --no-such-flag"},
      {"soft-usim", GBABRIDGE_SOFT_USIM_BIN, "--profile /nonexistent.toml --vpcd 1:2"},
      {"gba-tls-device", GBABRIDGE_TLS_DEVICE_BIN, "--message hi"},  // --naf missing
      {"gba-tls-naf", GBABRIDGE_TLS_NAF_BIN, "--zn-token t"},        // --naf missing
  };
}

TEST(CliConventionsTest, EveryBinaryPrintsItsVersion) {
  for (const Binary& b : Binaries()) {
    const CommandResult r = RunCommand(b.path + " --version");
    EXPECT_EQ(r.exit_code, 0) << b.name << ": " << r.output;
    EXPECT_EQ(r.out, absl::StrCat(b.name, " ", kGbabridgeVersion, "\n")) << b.name;
  }
}

TEST(CliConventionsTest, EveryBinaryExitsTwoOnAUsageError) {
  for (const Binary& b : Binaries()) {
    const CommandResult r = RunCommand(b.path + " " + b.usage_error);
    EXPECT_EQ(r.exit_code, 2) << b.name << " " << b.usage_error << ": " << r.output;
    EXPECT_FALSE(r.err.empty()) << b.name << ": a usage error says what is wrong";
  }
}

TEST(CliConventionsTest, FailuresReadErrorMessageWithoutAMadeUpReason) {
  const CommandResult device =
      RunCommand(absl::StrCat(GBABRIDGE_TLS_DEVICE_BIN, " --naf 'not a fqdn'"));
  EXPECT_EQ(device.exit_code, 2) << device.output;
  EXPECT_THAT(device.err, StartsWith("error: --naf: "));
  const CommandResult usim =
      RunCommand(absl::StrCat(GBABRIDGE_SOFT_USIM_BIN, " --profile ", GBABRIDGE_SOURCE_DIR,
                              "/uicc/soft_usim/profiles/sample.toml"));
  EXPECT_EQ(usim.exit_code, 2) << usim.output;
  EXPECT_THAT(usim.err, StartsWith("error: one of --vpcd or --modem is required"));
}

TEST(CliConventionsTest, OldFlagNamesAreStillAccepted) {
  // Parsed (so not a usage error); they fail later for want of a daemon or a BSF.
  const CommandResult device =
      RunCommand(absl::StrCat(GBABRIDGE_TLS_DEVICE_BIN,
                              " --naf-host mef.example.com --connect 127.0.0.1:9 --daemon "
                              "unix:/nonexistent/s --timeout 1"));
  EXPECT_NE(device.exit_code, 2) << device.output;
  const CommandResult cli = RunCommand(
      absl::StrCat(GBABRIDGE_CLI_BIN, " status --connect unix:/nonexistent/s --timeout 1"));
  EXPECT_EQ(cli.exit_code, 10) << cli.output;
  EXPECT_THAT(cli.err, HasSubstr("[DAEMON_UNREACHABLE]"));
}

TEST(CliConventionsTest, BsfSimServeRefusesADatabaseThatDoesNotExist) {
  const std::string missing =
      absl::StrCat(::testing::TempDir(), "/gbabridge-typo-", ::getpid(), ".db");
  const CommandResult r = RunCommand(
      absl::StrCat(GBABRIDGE_BSF_SIM_BIN, " serve --db ", missing, " --bsf-name bsf.example.org"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(missing));
  EXPECT_FALSE(std::filesystem::exists(missing)) << "serve created an empty database";
  const CommandResult no_db =
      RunCommand(absl::StrCat(GBABRIDGE_BSF_SIM_BIN, " serve --bsf-name bsf.example.org"));
  EXPECT_EQ(no_db.exit_code, 2) << no_db.output;
  EXPECT_THAT(no_db.err, HasSubstr("serve needs the subscriber database"));
}

}  // namespace
}  // namespace gbabridge::testing
