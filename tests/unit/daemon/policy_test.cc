#include "bootstrap/daemon/policy.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "bootstrap/wire/wire_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPolicy = R"toml(
[[client]]
name = "meter-app"
uids = [1001]
naf_patterns = ["mef.example.com", "*.m2m.example.com"]
ua_ids = ["01000100AE", "0100000002"]
may_read_impi = false
rate_limit = { requests = 10, per_seconds = 1 }

[[client]]
name = "gateway"
cert_subjects = ["CN=meter,O=Acme"]
naf_patterns = ["gw.example.net"]
ua_ids = ["*"]
may_read_impi = true

[[client]]
name = "ops"
gids = [990]
naf_patterns = ["diag.example.com"]
ua_ids = ["01 00 00 00 07"]
)toml";

Policy MustParse(std::string_view text) {
  absl::StatusOr<Policy> policy = Policy::Parse(text, "test");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : Policy();
}

NafId Naf(std::string_view fqdn, std::string_view ua_hex = "01000100AE") {
  absl::StatusOr<UaSecurityProtocolId> ua = UaSecurityProtocolId::FromHex(ua_hex);
  EXPECT_TRUE(ua.ok()) << ua.status();
  absl::StatusOr<NafId> naf = NafId::Create(fqdn, *ua);
  EXPECT_TRUE(naf.ok()) << naf.status();
  return *naf;
}

v1::ErrorReason ReasonOf(const absl::StatusOr<const ClientPolicy*>& result) {
  return wire::ErrorReasonOf(result.status());
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<Policy> policy = Policy::Parse(text, "test");
  EXPECT_FALSE(policy.ok()) << text;
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(policy.status().message());
}

TEST(PolicyTest, AllowedCallerGetsItsEntry) {
  const Policy policy = MustParse(kPolicy);
  ASSERT_EQ(policy.clients().size(), 3u);
  absl::StatusOr<const ClientPolicy*> client =
      policy.Authorize(PeerIdentity::Unix(1001, 1001), Naf("mef.example.com"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->name, "meter-app");
  ASSERT_TRUE((*client)->rate_limit.has_value());
  EXPECT_EQ((*client)->rate_limit->requests, 10);
  EXPECT_EQ((*client)->rate_limit->per, std::chrono::seconds(1));
  EXPECT_TRUE(
      policy.Authorize(PeerIdentity::Unix(1001, 5), Naf("a.m2m.example.com", "0100000002")).ok());
}

// What an entry may ask of the shared session (threat model L10): forcing a bootstrap is
// allowed unless the entry says otherwise; asking for GBA_ME is not unless it says so.
TEST(PolicyTest, SessionPermissionsDefaultsAndOverrides) {
  const Policy defaults = MustParse(
      "[[client]]\nname = \"a\"\nuids = [1]\nnaf_patterns = [\"x.example\"]\nua_ids = [\"*\"]\n");
  EXPECT_TRUE(defaults.clients()[0].may_force_bootstrap);
  EXPECT_FALSE(defaults.clients()[0].may_request_gba_me);
  const Policy set = MustParse(
      "[[client]]\nname = \"a\"\nuids = [1]\nnaf_patterns = [\"x.example\"]\nua_ids = [\"*\"]\n"
      "may_force_bootstrap = false\nmay_request_gba_me = true\n");
  EXPECT_FALSE(set.clients()[0].may_force_bootstrap);
  EXPECT_TRUE(set.clients()[0].may_request_gba_me);
  EXPECT_THAT(ParseError("[[client]]\nname = \"a\"\nuids = [1]\nnaf_patterns = [\"x.example\"]\n"
                         "ua_ids = [\"*\"]\nmay_force_bootstrap = \"no\"\n"),
              HasSubstr("field 'may_force_bootstrap' must be true or false"));
}

TEST(PolicyTest, DeniedNafPattern) {
  const Policy policy = MustParse(kPolicy);
  absl::StatusOr<const ClientPolicy*> result =
      policy.Authorize(PeerIdentity::Unix(1001, 1001), Naf("other.example.com"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(result), v1::NAF_NOT_ALLOWED);
  EXPECT_THAT(result.status().message(), HasSubstr("meter-app"));
  EXPECT_THAT(result.status().message(), HasSubstr("other.example.com"));
}

TEST(PolicyTest, DeniedUaId) {
  const Policy policy = MustParse(kPolicy);
  absl::StatusOr<const ClientPolicy*> result =
      policy.Authorize(PeerIdentity::Unix(1001, 1001), Naf("mef.example.com", "0100000007"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(result), v1::UA_NOT_ALLOWED);
  EXPECT_THAT(result.status().message(), HasSubstr("0100000007"));
}

TEST(PolicyTest, UidNotAllowed) {
  const Policy policy = MustParse(kPolicy);
  absl::StatusOr<const ClientPolicy*> result =
      policy.Authorize(PeerIdentity::Unix(1002, 1002), Naf("mef.example.com"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(result), v1::CALLER_NOT_ALLOWED);
  EXPECT_THAT(result.status().message(), HasSubstr("uid=1002"));
  EXPECT_EQ(policy.FindClient(PeerIdentity::Unix(1002, 1002)).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(policy.MayReadImpi(PeerIdentity::Unix(1002, 1002)));
}

TEST(PolicyTest, GidMatch) {
  const Policy policy = MustParse(kPolicy);
  absl::StatusOr<const ClientPolicy*> client =
      policy.Authorize(PeerIdentity::Unix(4242, 990), Naf("diag.example.com", "0100000007"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->name, "ops");
  EXPECT_FALSE((*client)->rate_limit.has_value());
}

TEST(PolicyTest, FirstMatchingEntryDecides) {
  // uid 1001 with primary gid 990 is named by "meter-app" first: "ops" is not consulted.
  const Policy policy = MustParse(kPolicy);
  absl::StatusOr<const ClientPolicy*> result =
      policy.Authorize(PeerIdentity::Unix(1001, 990), Naf("diag.example.com", "0100000007"));
  EXPECT_EQ(ReasonOf(result), v1::NAF_NOT_ALLOWED);
}

TEST(PolicyTest, CertSubjectMatch) {
  const Policy policy = MustParse(kPolicy);
  const PeerIdentity peer = PeerIdentity::Certificate("CN=meter,O=Acme");
  absl::StatusOr<const ClientPolicy*> client =
      policy.Authorize(peer, Naf("GW.Example.NET", "FF01020304"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->name, "gateway");
  EXPECT_TRUE(policy.MayReadImpi(peer));
  EXPECT_FALSE(policy.MayReadImpi(PeerIdentity::Unix(1001, 1001)));
  // Exact comparison: another subject, or the same text in a different case, is not it.
  EXPECT_EQ(ReasonOf(policy.Authorize(PeerIdentity::Certificate("CN=meter,O=Evil"),
                                      Naf("gw.example.net"))),
            v1::CALLER_NOT_ALLOWED);
  EXPECT_EQ(ReasonOf(policy.Authorize(PeerIdentity::Certificate("cn=meter,o=acme"),
                                      Naf("gw.example.net"))),
            v1::CALLER_NOT_ALLOWED);
}

TEST(PolicyTest, DefaultDenyWithEmptyPolicy) {
  for (const Policy& policy : {Policy(), MustParse(""), MustParse("title = 'no clients'")}) {
    EXPECT_TRUE(policy.clients().empty());
    absl::StatusOr<const ClientPolicy*> result =
        policy.Authorize(PeerIdentity::Unix(0, 0), Naf("mef.example.com"));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(ReasonOf(result), v1::CALLER_NOT_ALLOWED);
    EXPECT_FALSE(policy.MayReadImpi(PeerIdentity::Unix(0, 0)));
  }
  // A peer with no identity at all matches nothing.
  EXPECT_EQ(ReasonOf(MustParse(kPolicy).FindClient(PeerIdentity{})), v1::CALLER_NOT_ALLOWED);
}

TEST(PolicyTest, WildcardEdgeCases) {
  absl::StatusOr<NafPattern> pattern = NafPattern::Parse("*.M2M.example.com");
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  EXPECT_EQ(pattern->ToString(), "*.m2m.example.com");
  EXPECT_TRUE(pattern->Matches("a.m2m.example.com"));
  EXPECT_TRUE(pattern->Matches("A.M2M.EXAMPLE.COM"));
  EXPECT_TRUE(pattern->Matches("x.y.m2m.example.com"));  // one or more labels
  EXPECT_FALSE(pattern->Matches("m2m.example.com"));     // zero labels
  EXPECT_FALSE(pattern->Matches("evil-m2m.example.com"));
  EXPECT_FALSE(pattern->Matches("evilm2m.example.com"));
  EXPECT_FALSE(pattern->Matches(".m2m.example.com"));
  EXPECT_FALSE(pattern->Matches("a.m2m.example.com.evil.org"));
  EXPECT_FALSE(pattern->Matches("a.m2m.example.co"));

  absl::StatusOr<NafPattern> exact = NafPattern::Parse("Mef.Example.com");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_TRUE(exact->Matches("MEF.example.COM"));
  EXPECT_FALSE(exact->Matches("a.mef.example.com"));
  EXPECT_FALSE(exact->Matches("mef.example.com.evil.org"));

  for (std::string_view bad :
       {"*", "*.", "*.com", "a.*.b", "a.*.example.com", "*.*.example.com", "**.example.com",
        "*example.com", "mef.example.*", "", "bad_label.example.com", "example"}) {
    EXPECT_FALSE(NafPattern::Parse(bad).ok()) << bad;
  }
}

TEST(PolicyTest, ConfigErrorsNameEntryAndField) {
  const std::string bad_ua = ParseError(R"toml(
[[client]]
name = "meter-app"
uids = [1001]
naf_patterns = ["mef.example.com"]
ua_ids = ["01000100ZZ"]
)toml");
  EXPECT_THAT(bad_ua, HasSubstr("client[0] ('meter-app')"));
  EXPECT_THAT(bad_ua, HasSubstr("'ua_ids'"));

  EXPECT_THAT(ParseError(R"toml(
[[client]]
name = "short"
uids = [1]
naf_patterns = ["mef.example.com"]
ua_ids = ["010001"]
)toml"),
              HasSubstr("'ua_ids'"));

  for (std::string_view pattern : {"*", "a.*.b", "*.com"}) {
    const std::string error =
        ParseError(absl::StrCat("[[client]]\nname = \"p\"\nuids = [1]\nnaf_patterns = [\"",
                                std::string(pattern), "\"]\nua_ids = [\"*\"]\n"));
    EXPECT_THAT(error, HasSubstr("client[0] ('p'): field 'naf_patterns'")) << pattern;
  }

  EXPECT_THAT(ParseError(R"toml(
[[client]]
name = "ok"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
[[client]]
name = "nobody"
uids = []
gids = []
cert_subjects = []
naf_patterns = ["mef.example.com"]
ua_ids = ["*"]
)toml"),
              HasSubstr("client[1] ('nobody'): names no caller"));

  // Each of these breaks one field; the message must name it.
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"(uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"])",
       "'name'"},
      {R"(name = "x"
uids = [-1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"])",
       "'uids'"},
      {R"(name = "x"
gids = ["wheel"]
naf_patterns = ["a.example.com"]
ua_ids = ["*"])",
       "'gids'"},
      {R"(name = "x"
uids = [1]
ua_ids = ["*"])",
       "'naf_patterns'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"])",
       "'ua_ids'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*", "0100000002"])",
       "'ua_ids'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
may_read_impi = "yes")",
       "'may_read_impi'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
rate_limit = { requests = 0, per_seconds = 1 })",
       "'rate_limit'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
rate_limit = { requests = 5, per_second = 1 })",
       "'rate_limit'"},
      {R"(name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
may_read_imp = true)",
       "unknown field 'may_read_imp'"},
  };
  for (const auto& [body, expected] : cases) {
    EXPECT_THAT(ParseError(absl::StrCat("[[client]]\n", std::string(body), "\n")),
                HasSubstr(std::string(expected)))
        << body;
  }

  EXPECT_THAT(ParseError(R"toml(
[[client]]
name = "twin"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
[[client]]
name = "twin"
uids = [2]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
)toml"),
              HasSubstr("client[1]: field 'name' repeats 'twin'"));
  EXPECT_THAT(ParseError("client = 3"), HasSubstr("array of tables"));
  EXPECT_THAT(ParseError("[[client]\nname = 1"), HasSubstr("TOML syntax error at line 1"));
}

TEST(PolicyTest, FractionalRatePeriod) {
  const Policy policy = MustParse(R"toml(
[[client]]
name = "x"
uids = [1]
naf_patterns = ["a.example.com"]
ua_ids = ["*"]
rate_limit = { requests = 3, per_seconds = 0.5 }
)toml");
  ASSERT_EQ(policy.clients().size(), 1u);
  EXPECT_EQ(policy.clients()[0].rate_limit->per, std::chrono::milliseconds(500));
}

TEST(PolicyTest, ExamplePolicyFileParses) {
  std::ifstream file(GBABRIDGE_SOURCE_DIR "/bootstrap/daemon/examples/policy.toml");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const Policy policy = MustParse(text.str());
  ASSERT_EQ(policy.clients().size(), 3u);
  EXPECT_TRUE(policy.Authorize(PeerIdentity::Unix(1001, 1001), Naf("mef.example.com")).ok());
}

}  // namespace
}  // namespace gbabridge::daemon
