// bsf-sim configuration: the TOML file, NAF tokens, and validation.
#include "bsf_sim/bsf_config.h"

#include <string>

#include "bsf_sim/listen_address.h"
#include "bsf_sim_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::TempDir;
using ::gbabridge::bsf::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(BsfConfigTest, LoadsEveryKeyAndResolvesRelativePaths) {
  TempDir dir;
  const std::string path = dir.File("bsf.toml");
  WriteFile(path, R"(
ub_listen = "127.0.0.1:0"
zn_listen = "[::1]:0"
db = "hss.db"
bsf_name = "bsf.mnc001.mcc001.pub.3gppnetwork.org"
realm = "home.example.org"
lifetime = 120
nonce_timeout = 30
ind_bits = 4
max_sessions = 10
ub_tls_cert = "/etc/bsf/ub.pem"
ub_tls_key = "ub.key"
zn_tls_cert = "zn.pem"
zn_tls_key = "zn.key"
zn_client_ca = "ca.pem"

[naf_tokens]
"naf.example.org" = "first-secret"
"NAF2.example.org" = "second-secret"

[naf_services]
"NAF.example.org" = ["42", "7"]
)");
  BsfConfig config;
  ASSERT_TRUE(LoadBsfConfigFile(path, config).ok());
  EXPECT_EQ(config.ub_listen, "127.0.0.1:0");
  EXPECT_EQ(config.zn_listen, "[::1]:0");
  EXPECT_EQ(config.db, dir.File("hss.db"));
  EXPECT_EQ(config.bsf_name, "bsf.mnc001.mcc001.pub.3gppnetwork.org");
  EXPECT_EQ(config.realm, "home.example.org");
  EXPECT_EQ(config.lifetime, absl::Seconds(120));
  EXPECT_EQ(config.nonce_timeout, absl::Seconds(30));
  EXPECT_EQ(config.ind_bits, 4);
  EXPECT_EQ(config.max_sessions, 10u);
  EXPECT_EQ(config.ub_tls_cert, "/etc/bsf/ub.pem");
  EXPECT_EQ(config.ub_tls_key, dir.File("ub.key"));
  EXPECT_EQ(config.zn_client_ca, dir.File("ca.pem"));
  auto token_of = [&](const std::string& fqdn) -> const NafToken* {
    for (const NafToken& t : config.naf_tokens) {
      if (t.naf_fqdn == fqdn) return &t;
    }
    return nullptr;
  };
  ASSERT_EQ(config.naf_tokens.size(), 2u);
  ASSERT_NE(token_of("naf2.example.org"), nullptr);  // lower-cased
  ASSERT_NE(token_of("naf.example.org"), nullptr);
  EXPECT_TRUE(
      ConstantTimeEquals(token_of("naf.example.org")->token.view(), AsBytes("first-secret")));
  EXPECT_TRUE(NafMayName(config.naf_services, "naf.example.org", "7"));
  EXPECT_FALSE(NafMayName(config.naf_services, "naf2.example.org", "42"));
  EXPECT_TRUE(ValidateBsfConfig(config).ok());

  // A flag given later replaces the file's token for the same NAF.
  SetNafToken(config, *ParseNafToken("naf.example.org=from-the-flag"));
  ASSERT_EQ(config.naf_tokens.size(), 2u);
  EXPECT_TRUE(
      ConstantTimeEquals(token_of("naf.example.org")->token.view(), AsBytes("from-the-flag")));
}

TEST(BsfConfigTest, ErrorsNameTheKeyButNeverATokenValue) {
  TempDir dir;
  struct Case {
    std::string toml;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"lifetim = 5\n", "unknown key 'lifetim'"},
           {"lifetime = \"1h\"\n", "lifetime must be an integer"},
           {"lifetime = 0\n", "lifetime is 0"},
           {"ind_bits = 17\n", "ind_bits is 17"},
           {"db = 3\n", "db must be a string"},
           {"[naf_tokens]\n\"not a host\" = \"tok-secret-1\"\n", "not a NAF FQDN"},
           {"[naf_tokens]\n\"naf.example.org\" = 5\n", "must be a string"},
           {"naf_tokens = \"tok-secret-1\"\n", "naf_tokens must be a table"},
           {"[naf_services]\n\"naf.example.org\" = [42]\n", "entries must be strings"},
           {"[naf_services]\n\"naf.example.org\" = [\"x1\"]\n", "not 1 to 10 decimal digits"},
           {"naf_services = 1\n", "naf_services must be a table"},
           {"bsf_name = \"tok-secret-1\n", "TOML syntax error at line 1"},
       }) {
    WriteFile(dir.File("c.toml"), c.toml);
    BsfConfig config;
    absl::Status status = LoadBsfConfigFile(dir.File("c.toml"), config);
    ASSERT_FALSE(status.ok()) << c.toml;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected)) << c.toml;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("tok-secret-1")));
  }
  BsfConfig config;
  EXPECT_EQ(LoadBsfConfigFile(dir.File("missing.toml"), config).code(),
            absl::StatusCode::kNotFound);
}

TEST(BsfConfigTest, NafTokenFlag) {
  absl::StatusOr<NafToken> token = ParseNafToken("Naf.Example.org=abc=def");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->naf_fqdn, "naf.example.org");
  EXPECT_TRUE(ConstantTimeEquals(token->token.view(), AsBytes("abc=def")));
  for (const char* bad :
       {"naf.example.org", "naf.example.org=", "=secret-x", "bad host=secret-x"}) {
    absl::StatusOr<NafToken> t = ParseNafToken(bad);
    EXPECT_FALSE(t.ok()) << bad;
    EXPECT_THAT(std::string(t.status().message()), Not(HasSubstr("secret-x")));
  }
}

TEST(BsfConfigTest, ValidationSaysWhatIsMissing) {
  BsfConfig config;
  EXPECT_THAT(std::string(ValidateBsfConfig(config).message()), HasSubstr("--db"));
  config.db = "/tmp/x.db";
  EXPECT_THAT(std::string(ValidateBsfConfig(config).message()), HasSubstr("--bsf-name"));
  config.bsf_name = "bsf.example.org";
  EXPECT_TRUE(ValidateBsfConfig(config).ok());
  config.ub_listen = "127.0.0.1";
  EXPECT_THAT(std::string(ValidateBsfConfig(config).message()), HasSubstr("--ub-listen"));
  config.ub_listen = "127.0.0.1:0";
  config.realm = "a\"b";
  EXPECT_FALSE(ValidateBsfConfig(config).ok());
}

TEST(BsfListenAddressTest, ParsesHostPort) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  a = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->WithPort(5), "[::1]:5");
  for (const char* bad : {"", "host", ":80", "::1:80", "[::1]80", "h:65536", "h:-1", "h:x"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gbabridge::bsf
