#include "bootstrap/cli/daemon_error_exit.h"

#include <sys/stat.h>

#include <sstream>

#include "bootstrap/cli/exit_codes.h"
#include "gbabridge/v1/gbabridge.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::cli {
namespace {

using ::testing::HasSubstr;
using Code = grpc::StatusCode;

struct ReasonCase {
  Code code;
  const char* reason;
  int exit_code;
};

// The table of gbabridge.proto's ERROR MODEL, with the exit code each row maps to.
const ReasonCase kReasonCases[] = {
    {Code::UNAVAILABLE, "NO_CARD", kExitCardUnavailable},
    {Code::UNAVAILABLE, "CARD_REMOVED", kExitCardUnavailable},
    {Code::UNAVAILABLE, "NO_READER", kExitCardUnavailable},
    {Code::UNAVAILABLE, "PCSCD_NOT_RUNNING", kExitCardUnavailable},
    {Code::UNAVAILABLE, "CARD_UNRESPONSIVE", kExitCardUnavailable},
    {Code::UNAVAILABLE, "BSF_UNREACHABLE", kExitBsfUnavailable},
    {Code::UNAVAILABLE, "BSF_TLS_FAILED", kExitBsfUnavailable},
    {Code::UNAVAILABLE, "SYNC_FAILED", kExitBsfUnavailable},
    {Code::FAILED_PRECONDITION, "PIN_REQUIRED", kExitPin},
    {Code::FAILED_PRECONDITION, "PIN_BLOCKED", kExitPin},
    {Code::FAILED_PRECONDITION, "PIN_REJECTED", kExitPin},
    {Code::FAILED_PRECONDITION, "GBA_NOT_SUPPORTED", kExitGbaNotSupported},
    {Code::FAILED_PRECONDITION, "GBA_U_NOT_SUPPORTED", kExitGbaNotSupported},
    {Code::UNAUTHENTICATED, "NETWORK_AUTH_FAILED", kExitAuthFailed},
    {Code::UNAUTHENTICATED, "BSF_NOT_AUTHENTIC", kExitBsfRejected},
    {Code::UNAUTHENTICATED, "BSF_REJECTED", kExitBsfRejected},
    {Code::DATA_LOSS, "BSF_MALFORMED_REPLY", kExitBsfMalformed},
    {Code::PERMISSION_DENIED, "CALLER_NOT_ALLOWED", kExitNotAllowed},
    {Code::PERMISSION_DENIED, "NAF_NOT_ALLOWED", kExitNotAllowed},
    {Code::PERMISSION_DENIED, "UA_NOT_ALLOWED", kExitNotAllowed},
    {Code::PERMISSION_DENIED, "OPERATION_NOT_ALLOWED", kExitNotAllowed},
    {Code::ABORTED, "GBA_BOOTSTRAP_CHANGED", kExitCardUnavailable},
    {Code::INVALID_ARGUMENT, "INCORRECT_NAF_ID", kExitUsage},
    {Code::INVALID_ARGUMENT, "SECURITY_PROTOCOL_NOT_SUPPORTED", kExitUsage},
    {Code::RESOURCE_EXHAUSTED, "RATE_LIMITED", kExitRateLimited},
    {Code::INTERNAL, "INTERNAL_ERROR", kExitFailure},
};

TEST(ExitCodeForDaemonErrorTest, EveryReasonOfTheErrorModel) {
  for (const ReasonCase& c : kReasonCases) {
    EXPECT_EQ(ExitCodeForDaemonError(c.code, c.reason), c.exit_code) << c.reason;
  }
}

TEST(ExitCodeForDaemonErrorTest, EveryEnumValueIsCovered) {
  // A reason added to the proto must get a row above (and an exit code).
  const google::protobuf::EnumDescriptor* reasons = gbabridge::v1::ErrorReason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    const std::string name = reasons->value(i)->name();
    if (name == "ERROR_REASON_UNSPECIFIED") continue;
    bool found = false;
    for (const ReasonCase& c : kReasonCases) found = found || name == c.reason;
    EXPECT_TRUE(found) << name << " has no exit code test";
  }
}

TEST(ExitCodeForDaemonErrorTest, FallsBackToTheCodeWithoutAReason) {
  EXPECT_EQ(ExitCodeForDaemonError(Code::OK, ""), kExitOk);
  EXPECT_EQ(ExitCodeForDaemonError(Code::UNAVAILABLE, ""), kExitDaemonUnreachable);
  EXPECT_EQ(ExitCodeForDaemonError(Code::DEADLINE_EXCEEDED, ""), kExitDaemonUnreachable);
  EXPECT_EQ(ExitCodeForDaemonError(Code::PERMISSION_DENIED, ""), kExitNotAllowed);
  EXPECT_EQ(ExitCodeForDaemonError(Code::RESOURCE_EXHAUSTED, ""), kExitRateLimited);
  EXPECT_EQ(ExitCodeForDaemonError(Code::INVALID_ARGUMENT, ""), kExitUsage);
  EXPECT_EQ(ExitCodeForDaemonError(Code::UNAUTHENTICATED, ""), kExitBsfRejected);
  EXPECT_EQ(ExitCodeForDaemonError(Code::DATA_LOSS, ""), kExitBsfMalformed);
  EXPECT_EQ(ExitCodeForDaemonError(Code::INTERNAL, ""), kExitFailure);
  EXPECT_EQ(ExitCodeForDaemonError(Code::UNIMPLEMENTED, ""), kExitFailure);
  EXPECT_EQ(ExitCodeForDaemonError(Code::FAILED_PRECONDITION, ""), kExitFailure);
}

TEST(ExitCodeForDaemonErrorTest, UnknownReasonIsTreatedAsUnspecified) {
  // The daemon answered, so it is not "unreachable" even with UNAVAILABLE.
  EXPECT_EQ(ExitCodeForDaemonError(Code::UNAVAILABLE, "READER_ON_FIRE"), kExitFailure);
  EXPECT_EQ(ExitCodeForDaemonError(Code::PERMISSION_DENIED, "SOMETHING_NEW"), kExitNotAllowed);
  EXPECT_EQ(ExitCodeForDaemonError(Code::UNAVAILABLE, "ERROR_REASON_UNSPECIFIED"), kExitFailure);
}

TEST(ExitCodeForDaemonErrorTest, AForeignDomainsReasonIsUnknown) {
  // wire::ErrorReasonFromTrailers qualifies another domain's reason; it is not ours.
  EXPECT_EQ(ExitCodeForDaemonError(Code::FAILED_PRECONDITION, "example.com/PIN_BLOCKED"),
            kExitFailure);
}

DaemonTarget UnixTarget(const std::string& path) {
  DaemonTarget target;
  target.kind = DaemonTarget::Kind::kUnix;
  target.path = path;
  target.grpc_target = "unix:" + path;
  return target;
}

TEST(DescribeDaemonFailureTest, ReasonKeepsTheDaemonsMessage) {
  CliError f = DescribeDaemonFailure(
      grpc::Status(Code::FAILED_PRECONDITION, "PIN blocked: unblock with the PUK"), "PIN_BLOCKED",
      UnixTarget("/run/gbabridge/gbabridged.sock"), std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, kExitPin);
  EXPECT_EQ(f.reason, "PIN_BLOCKED");
  EXPECT_EQ(f.grpc_code, "FAILED_PRECONDITION");
  EXPECT_EQ(f.message, "PIN blocked: unblock with the PUK");
}

TEST(DescribeDaemonFailureTest, UnreachableUnixSocketNamesTheTargetAndWhatToCheck) {
  CliError f = DescribeDaemonFailure(
      grpc::Status(Code::UNAVAILABLE, "failed to connect to all addresses"), "",
      UnixTarget("/nonexistent/gbabridged.sock"), std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, kExitDaemonUnreachable);
  EXPECT_EQ(f.reason, "DAEMON_UNREACHABLE");
  EXPECT_THAT(f.message, HasSubstr("daemon not reachable at unix:/nonexistent/gbabridged.sock "
                                   "(is gbabridged running? permission on the socket?)"));
  EXPECT_THAT(f.message, HasSubstr("no socket at /nonexistent/gbabridged.sock"));
}

TEST(DescribeDaemonFailureTest, DeadlineNamesTheTimeout) {
  CliError f = DescribeDaemonFailure(grpc::Status(Code::DEADLINE_EXCEEDED, "Deadline"), "",
                                     UnixTarget("/s"), std::chrono::seconds(7));
  EXPECT_EQ(f.exit_code, kExitDaemonUnreachable);
  EXPECT_THAT(f.message, HasSubstr("no answer from the daemon at unix:/s within 7 s"));
}

TEST(DescribeDaemonFailureTest, EmptyMessageGetsOne) {
  CliError f = DescribeDaemonFailure(grpc::Status(Code::INTERNAL, ""), "INTERNAL_ERROR",
                                     UnixTarget("/s"), std::chrono::seconds(1));
  EXPECT_EQ(f.message, "the daemon answered INTERNAL");
}

TEST(DaemonExitCodesHelpTest, ListsTheNewCodes) {
  const std::string help = kDaemonExitCodesHelp;
  for (const char* line : {" 10  daemon unreachable", " 11  not allowed", " 12  rate limited",
                           " 13  GBA not supported"}) {
    EXPECT_THAT(help, HasSubstr(line));
  }
}

}  // namespace
}  // namespace gbabridge::cli
