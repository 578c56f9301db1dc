#include "bootstrap/cli/naf_key_command.h"

#include <sstream>

#include "bootstrap/cli/exit_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/cli/fake_gba_bridge.h"
#include "uicc/base/bytes.h"

namespace gbabridge::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = gbabridge::v1;

constexpr char kBtid[] = "AAECAwQFBgcICQoLDA0ODw==@bsf.example.org";
// 32 recognisable key bytes: 00 11 22 ... repeated.
const std::string kKeyHex = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";

std::string Bin(std::string_view hex) {
  absl::StatusOr<Bytes> b = HexDecode(hex);
  return std::string(b->begin(), b->end());
}

NafKeyOptions Sel(std::string ua_hex, std::string tls_suite, bool http_digest, bool tls13) {
  NafKeyOptions options;
  options.ua_hex = std::move(ua_hex);
  options.tls_suite = std::move(tls_suite);
  options.http_digest = http_digest;
  options.tls13 = tls13;
  return options;
}

UaSecurityProtocolId Ua(const NafKeyOptions& options) {
  absl::StatusOr<UaSecurityProtocolId> ua = SelectUaId(options);
  EXPECT_TRUE(ua.ok()) << ua.status();
  return ua.ok() ? *ua : UaSecurityProtocolId::HttpDigest();
}

TEST(SelectUaIdTest, UaHexWithSpacesOrColons) {
  EXPECT_EQ(Ua(Sel("01 00 01 00 AE", "", false, false)).ToHex(), "01000100ae");
  EXPECT_EQ(Ua(Sel("01:00:00:00:02", "", false, false)), UaSecurityProtocolId::HttpDigest());
  EXPECT_EQ(Ua(Sel("0100000007", "", false, false)), UaSecurityProtocolId::Tls13SharedKey());
}

TEST(SelectUaIdTest, TlsSuiteBuilds010001yyzz) {
  EXPECT_EQ(Ua(Sel("", "0x00AE", false, false)).ToHex(), "01000100ae");
  EXPECT_EQ(Ua(Sel("", "00ae", false, false)).ToHex(), "01000100ae");
  EXPECT_EQ(Ua(Sel("", "AE", false, false)).ToHex(), "01000100ae");
  EXPECT_EQ(Ua(Sel("", "0XC0A8", false, false)).ToHex(), "010001c0a8");
  EXPECT_EQ(Ua(Sel("", "0x1301", false, false)), UaSecurityProtocolId::Tls(0x1301));
}

TEST(SelectUaIdTest, HttpDigestAndTls13) {
  EXPECT_EQ(Ua(Sel("", "", true, false)).ToHex(), "0100000002");
  EXPECT_EQ(Ua(Sel("", "", false, true)).ToHex(), "0100000007");
}

TEST(SelectUaIdTest, ExactlyOneSelector) {
  EXPECT_TRUE(absl::IsInvalidArgument(SelectUaId(NafKeyOptions()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SelectUaId(Sel("0100000002", "", true, false)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SelectUaId(Sel("0100000002", "AE", false, false)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SelectUaId(Sel("", "", true, true)).status()));
  absl::Status both = SelectUaId(Sel("", "0x1301", false, true)).status();
  EXPECT_TRUE(absl::IsInvalidArgument(both));
  EXPECT_THAT(std::string(both.message()), HasSubstr("drop --tls-suite"));
}

TEST(SelectUaIdTest, BadValues) {
  for (const char* suite : {"0x", "0xZZ", "0x12345", "12 34", "-1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(SelectUaId(Sel("", suite, false, false)).status()))
        << suite;
  }
  for (const char* ua : {"0100", "01000100AE00", "0g00000002", "0501000000"}) {
    absl::Status s = SelectUaId(Sel(ua, "", false, false)).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << ua;
    EXPECT_THAT(std::string(s.message()), HasSubstr("--ua")) << ua;
  }
}

TEST(ParseGbaModeOptionTest, Values) {
  EXPECT_EQ(*ParseGbaModeOption("auto"), v1::GBA_MODE_UNSPECIFIED);
  EXPECT_EQ(*ParseGbaModeOption("me"), v1::GBA_MODE_ME);
  EXPECT_EQ(*ParseGbaModeOption("u"), v1::GBA_MODE_U);
  EXPECT_FALSE(ParseGbaModeOption("U").ok());
}

TEST(PskIdentityTest, PrefixDependsOnTheMode) {
  // TS 33.222; docs/gba-facts.md §8.
  EXPECT_EQ(PskIdentity("x@bsf", v1::GBA_MODE_ME), "3GPP-bootstrapping.x@bsf");
  EXPECT_EQ(PskIdentity("x@bsf", v1::GBA_MODE_U), "3GPP-bootstrapping-uicc.x@bsf");
}

TEST(IsTlsUaIdTest, TlsIdsOnly) {
  EXPECT_TRUE(IsTlsUaId(UaSecurityProtocolId::Tls(0x00AE)));
  EXPECT_TRUE(IsTlsUaId(UaSecurityProtocolId::Tls13SharedKey()));
  EXPECT_TRUE(IsTlsUaId(UaSecurityProtocolId::OmaTls(0x008C)));
  EXPECT_FALSE(IsTlsUaId(UaSecurityProtocolId::HttpDigest()));
  EXPECT_FALSE(IsTlsUaId(UaSecurityProtocolId::Tmpi()));
  EXPECT_FALSE(IsTlsUaId(UaSecurityProtocolId::OmaSipDigest()));
}

class NafKeyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.started());
    v1::GetNafKeyResponse& r = daemon_.service().naf_key_response;
    r.set_key(Bin(kKeyHex));
    r.set_btid(kBtid);
    r.mutable_key_expiry()->set_seconds(1795815600);  // 2026-11-27T21:40:00Z
    r.set_gba_mode(v1::GBA_MODE_U);
    r.set_naf_id("mef.example.com" + Bin("01000100ae"));
  }

  NafKeyOptions Options() {
    NafKeyOptions options;
    options.connection.connect = daemon_.target();
    options.connection.timeout_seconds = 10;
    options.naf_fqdn = "mef.example.com";
    options.tls_suite = "0x00AE";
    return options;
  }

  int Run(const NafKeyOptions& options) {
    out_.str("");
    err_.str("");
    return RunNafKey(options, out_, err_);
  }

  testing::FakeDaemon daemon_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(NafKeyCommandTest, HumanOutputHidesTheKey) {
  ASSERT_EQ(Run(Options()), kExitOk) << err_.str();
  const std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("NAF:          mef.example.com\n"));
  EXPECT_THAT(text, HasSubstr("Ua:           01000100ae (" +
                              UaSecurityProtocolId::Tls(0x00AE).Describe() + ")\n"));
  EXPECT_THAT(text, HasSubstr(std::string("B-TID:        ") + kBtid + "\n"));
  EXPECT_THAT(text, HasSubstr("Expires:      2026-11-27T21:40:00Z\n"));
  EXPECT_THAT(text, HasSubstr("GBA mode:     GBA_U\n"));
  EXPECT_THAT(text,
              HasSubstr("NAF_Id:       " + HexEncode(AsBytes("mef.example.com")) + "01000100ae\n"));
  EXPECT_THAT(text, HasSubstr(std::string("PSK identity: 3GPP-bootstrapping-uicc.") + kBtid));
  EXPECT_THAT(text, HasSubstr("Ks_ext_NAF:   32 bytes, hidden; --show-key to print\n"));
  EXPECT_THAT(text, Not(HasSubstr(kKeyHex)));
  EXPECT_THAT(text, Not(HasSubstr("IMPI")));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(NafKeyCommandTest, ShowKeyPrintsIt) {
  NafKeyOptions options = Options();
  options.show_key = true;
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Ks_ext_NAF:   " + kKeyHex + "\n"));
}

TEST_F(NafKeyCommandTest, GbaMeKeyAndPskIdentity) {
  daemon_.service().naf_key_response.set_gba_mode(v1::GBA_MODE_ME);
  ASSERT_EQ(Run(Options()), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr(std::string("PSK identity: 3GPP-bootstrapping.") + kBtid));
  EXPECT_THAT(out_.str(), HasSubstr("Ks_NAF:       32 bytes, hidden"));
}

TEST_F(NafKeyCommandTest, HttpDigestShowsTheDigestUserInsteadOfAPskIdentity) {
  NafKeyOptions options = Options();
  options.tls_suite.clear();
  options.http_digest = true;
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr(std::string("Digest user:  ") + kBtid));
  EXPECT_THAT(out_.str(), Not(HasSubstr("PSK identity")));
}

TEST_F(NafKeyCommandTest, ImpiOnlyWhenReturned) {
  daemon_.service().naf_key_response.set_impi("001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
  ASSERT_EQ(Run(Options()), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("IMPI:         001010123456789@ims"));
}

TEST_F(NafKeyCommandTest, SendsTheRequestFields) {
  NafKeyOptions options = Options();
  options.naf_fqdn = "MEF.Example.COM";
  options.force = true;
  options.gba_mode = "me";
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  v1::GetNafKeyRequest request = daemon_.service().last_naf_key_request();
  EXPECT_EQ(request.naf_fqdn(), "mef.example.com");
  EXPECT_EQ(request.ua_security_protocol_id(), Bin("01000100ae"));
  EXPECT_TRUE(request.force_bootstrap());
  EXPECT_EQ(request.gba_mode_preference(), v1::GBA_MODE_ME);

  options.force = false;
  options.gba_mode = "auto";
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  request = daemon_.service().last_naf_key_request();
  EXPECT_FALSE(request.force_bootstrap());
  EXPECT_EQ(request.gba_mode_preference(), v1::GBA_MODE_UNSPECIFIED);
}

TEST_F(NafKeyCommandTest, JsonWithoutKey) {
  NafKeyOptions options = Options();
  options.json = true;
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["naf"], "mef.example.com");
  EXPECT_EQ(j["ua"], "01000100ae");
  EXPECT_EQ(j["btid"], kBtid);
  EXPECT_EQ(j["expiry"], "2026-11-27T21:40:00Z");
  EXPECT_EQ(j["gba_mode"], "GBA_U");
  EXPECT_EQ(j["naf_id"], HexEncode(AsBytes("mef.example.com")) + "01000100ae");
  EXPECT_EQ(j["psk_identity"], std::string("3GPP-bootstrapping-uicc.") + kBtid);
  EXPECT_FALSE(j.contains("key"));
  EXPECT_FALSE(j.contains("impi"));
  EXPECT_THAT(out_.str(), Not(HasSubstr(kKeyHex)));
}

TEST_F(NafKeyCommandTest, JsonWithKeyAndImpi) {
  daemon_.service().naf_key_response.set_impi("impi@example");
  NafKeyOptions options = Options();
  options.json = true;
  options.show_key = true;
  ASSERT_EQ(Run(options), kExitOk) << err_.str();
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["key"], kKeyHex);
  EXPECT_EQ(j["impi"], "impi@example");
}

TEST_F(NafKeyCommandTest, WrongKeyLengthFromTheDaemonIsAnError) {
  daemon_.service().naf_key_response.set_key(Bin("0011"));
  EXPECT_EQ(Run(Options()), kExitFailure);
  EXPECT_THAT(err_.str(), HasSubstr("2-byte key"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(NafKeyCommandTest, LocalUsageErrorsNeedNoDaemon) {
  NafKeyOptions options = Options();
  options.connection.connect = "unix:/nonexistent/gbabridged.sock";
  options.naf_fqdn = "not a fqdn";
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("error: --naf \"not a fqdn\""));
  EXPECT_THAT(err_.str(), HasSubstr("[USAGE]"));

  options = Options();
  options.http_digest = true;  // and --tls-suite
  EXPECT_EQ(Run(options), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("exactly one of"));
  EXPECT_EQ(daemon_.service().naf_key_calls(), 0);
}

struct ErrorCase {
  grpc::StatusCode code;
  const char* reason;
  int exit_code;
};

class NafKeyErrorTest : public NafKeyCommandTest,
                        public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(NafKeyErrorTest, MapsTheDaemonErrorToTheExitCode) {
  const ErrorCase& c = GetParam();
  daemon_.service().error = testing::CannedError{c.code, c.reason, "canned failure"};
  EXPECT_EQ(Run(Options()), c.exit_code);
  const std::string shown = *c.reason != '\0' ? c.reason : "";
  if (!shown.empty()) {
    EXPECT_EQ(err_.str(), "error: canned failure [" + shown + "]\n");
  }
  EXPECT_EQ(out_.str(), "");

  NafKeyOptions options = Options();
  options.json = true;
  EXPECT_EQ(Run(options), c.exit_code);
  nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["error"]["exit_code"], c.exit_code);
  if (!shown.empty()) {
    EXPECT_EQ(j["error"]["reason"], shown);
  }
}

using Code = grpc::StatusCode;
INSTANTIATE_TEST_SUITE_P(
    EveryReason, NafKeyErrorTest,
    ::testing::Values(
        ErrorCase{Code::UNAVAILABLE, "NO_CARD", kExitCardUnavailable},
        ErrorCase{Code::UNAVAILABLE, "CARD_REMOVED", kExitCardUnavailable},
        ErrorCase{Code::UNAVAILABLE, "NO_READER", kExitCardUnavailable},
        ErrorCase{Code::UNAVAILABLE, "PCSCD_NOT_RUNNING", kExitCardUnavailable},
        ErrorCase{Code::FAILED_PRECONDITION, "PIN_REQUIRED", kExitPin},
        ErrorCase{Code::FAILED_PRECONDITION, "PIN_BLOCKED", kExitPin},
        ErrorCase{Code::FAILED_PRECONDITION, "PIN_REJECTED", kExitPin},
        ErrorCase{Code::FAILED_PRECONDITION, "GBA_NOT_SUPPORTED", kExitGbaNotSupported},
        ErrorCase{Code::FAILED_PRECONDITION, "GBA_U_NOT_SUPPORTED", kExitGbaNotSupported},
        ErrorCase{Code::UNAVAILABLE, "BSF_UNREACHABLE", kExitBsfUnavailable},
        ErrorCase{Code::UNAVAILABLE, "BSF_TLS_FAILED", kExitBsfUnavailable},
        ErrorCase{Code::UNAVAILABLE, "SYNC_FAILED", kExitBsfUnavailable},
        ErrorCase{Code::DATA_LOSS, "BSF_MALFORMED_REPLY", kExitBsfMalformed},
        ErrorCase{Code::UNAUTHENTICATED, "NETWORK_AUTH_FAILED", kExitAuthFailed},
        ErrorCase{Code::UNAUTHENTICATED, "BSF_NOT_AUTHENTIC", kExitBsfRejected},
        ErrorCase{Code::UNAUTHENTICATED, "BSF_REJECTED", kExitBsfRejected},
        ErrorCase{Code::PERMISSION_DENIED, "CALLER_NOT_ALLOWED", kExitNotAllowed},
        ErrorCase{Code::PERMISSION_DENIED, "NAF_NOT_ALLOWED", kExitNotAllowed},
        ErrorCase{Code::PERMISSION_DENIED, "UA_NOT_ALLOWED", kExitNotAllowed},
        ErrorCase{Code::INVALID_ARGUMENT, "INCORRECT_NAF_ID", kExitUsage},
        ErrorCase{Code::INVALID_ARGUMENT, "SECURITY_PROTOCOL_NOT_SUPPORTED", kExitUsage},
        ErrorCase{Code::RESOURCE_EXHAUSTED, "RATE_LIMITED", kExitRateLimited},
        ErrorCase{Code::INTERNAL, "INTERNAL_ERROR", kExitFailure},
        // Unknown reasons fall back to the code; the daemon did answer.
        ErrorCase{Code::UNAVAILABLE, "SOMETHING_NEW", kExitFailure},
        ErrorCase{Code::PERMISSION_DENIED, "SOMETHING_NEW", kExitNotAllowed},
        // No reason at all: by code.
        ErrorCase{Code::PERMISSION_DENIED, "", kExitNotAllowed},
        ErrorCase{Code::RESOURCE_EXHAUSTED, "", kExitRateLimited},
        ErrorCase{Code::INTERNAL, "", kExitFailure}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) {
      return absl::StrCat(info.index, "_", *info.param.reason ? info.param.reason : "none");
    });

TEST_F(NafKeyCommandTest, ReasonFromAnotherDomainIsUnknown) {
  daemon_.service().error =
      testing::CannedError{Code::UNAVAILABLE, "NO_CARD", "proxy says no", "proxy.example"};
  // Not NO_CARD (exit 3), and not "unreachable" either: someone did answer.
  EXPECT_EQ(Run(Options()), kExitFailure);
  EXPECT_EQ(err_.str(), "error: proxy says no [proxy.example/NO_CARD]\n");
}

TEST_F(NafKeyCommandTest, DaemonNotRunningExitsTen) {
  NafKeyOptions options = Options();
  options.connection.connect = "unix:" + daemon_.dir() + "/absent.sock";
  EXPECT_EQ(Run(options), kExitDaemonUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("error: daemon not reachable at unix:" + daemon_.dir() +
                                    "/absent.sock (is gbabridged running? permission on the "
                                    "socket?)"));
  EXPECT_THAT(err_.str(), HasSubstr("[DAEMON_UNREACHABLE]"));
}

TEST_F(NafKeyCommandTest, NoAnswerWithinTimeoutExitsTen) {
  daemon_.service().delay = std::chrono::milliseconds(2500);
  NafKeyOptions options = Options();
  options.connection.timeout_seconds = 1;
  EXPECT_EQ(Run(options), kExitDaemonUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("within 1 s (--timeout"));
  EXPECT_THAT(err_.str(), HasSubstr("[DAEMON_UNREACHABLE]"));
}

}  // namespace
}  // namespace gbabridge::cli
