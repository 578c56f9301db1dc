// Diameter Zn settings, checked without starting a freeDiameter core (one per process):
// the TOML keys, --diameter-naf, the loopback rule for plain TCP, the generated
// freeDiameter configuration, and the example NAF's --zn-diameter.
#include <string>

#include "bsf_sim/bsf_config.h"
#include "bsf_sim/bsf_server.h"
#include "bsf_sim/diameter_zn_server.h"
#include "bsf_sim/in_memory_session_store.h"
#include "bsf_sim_test_util.h"
#include "examples/tls_psk/diameter_zn_fetcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/zn_diameter/diameter_node.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::TempDir;
using ::gbabridge::bsf::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DiameterZnConfigTest, TomlKeys) {
  TempDir dir;
  const std::string path = dir.File("bsf.toml");
  WriteFile(path, R"(
diameter_listen = "127.0.0.1:3868"
diameter_identity = "bsf.example.org"
diameter_realm = "example.org"
diameter_nafs = ["naf.example.org", "peer.example.org=mef.example.org,b.example.org"]
diameter_tls_port = 5868
diameter_tls_cert = "bsf.pem"
diameter_tls_key = "bsf.key"
diameter_tls_ca = "/etc/ca.pem"
)");
  BsfConfig config;
  ASSERT_TRUE(LoadBsfConfigFile(path, config).ok());
  EXPECT_EQ(config.diameter_listen, "127.0.0.1:3868");
  EXPECT_EQ(config.diameter_identity, "bsf.example.org");
  EXPECT_EQ(config.diameter_realm, "example.org");
  EXPECT_THAT(config.diameter_nafs,
              ElementsAre("naf.example.org", "peer.example.org=mef.example.org,b.example.org"));
  EXPECT_EQ(config.diameter_tls_port, 5868);
  EXPECT_EQ(config.diameter_tls_cert, dir.File("bsf.pem"));  // relative to the file
  EXPECT_EQ(config.diameter_tls_ca, "/etc/ca.pem");

  WriteFile(path, "diameter_nafs = \"naf.example.org\"\n");
  BsfConfig bad;
  absl::Status s = LoadBsfConfigFile(path, bad);
  EXPECT_THAT(std::string(s.message()), HasSubstr("diameter_nafs must be an array"));
}

TEST(DiameterZnConfigTest, DiameterNafSpec) {
  absl::StatusOr<DiameterNaf> plain = ParseDiameterNaf("NAF.Example.org");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->identity, "naf.example.org");
  EXPECT_THAT(plain->fqdns, ElementsAre("naf.example.org"));
  absl::StatusOr<DiameterNaf> mapped =
      ParseDiameterNaf("peer.example.org=mef.example.org,b.ex.org");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(mapped->identity, "peer.example.org");
  EXPECT_THAT(mapped->fqdns, ElementsAre("mef.example.org", "b.ex.org"));
  EXPECT_FALSE(ParseDiameterNaf("").ok());
  EXPECT_FALSE(ParseDiameterNaf("peer.example.org=").ok());
  EXPECT_FALSE(ParseDiameterNaf("bad name=mef.example.org").ok());
}

TEST(DiameterZnConfigTest, PlainTcpOnlyOnLoopbackAndNafsRequired) {
  InMemorySessionStore sessions(10);
  DiameterZnOptions options;
  options.listen_host = "0.0.0.0";
  options.port = 3868;
  options.nafs = {{"naf.example.org", {"naf.example.org"}}};
  absl::StatusOr<std::unique_ptr<DiameterZnServer>> server =
      DiameterZnServer::Start(options, sessions, nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("keys would cross the network"));
  options.listen_host = "127.0.0.1";
  options.nafs.clear();
  server = DiameterZnServer::Start(options, sessions, nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--diameter-naf"));
}

TEST(DiameterZnConfigTest, GeneratedFreeDiameterConfig) {
  zn_diameter::DiameterNodeOptions o;
  o.identity = "bsf.example.org";
  o.port = 3868;
  absl::StatusOr<std::string> plain = zn_diameter::RenderFreeDiameterConfig(o);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(*plain, HasSubstr("Identity = \"bsf.example.org\";"));
  EXPECT_THAT(*plain, HasSubstr("Realm = \"example.org\";"));
  EXPECT_THAT(*plain, HasSubstr("SecPort = 0;"));  // TLS off: no TLS_Cred needed
  EXPECT_THAT(*plain, Not(HasSubstr("TLS_Cred")));
  EXPECT_THAT(*plain, HasSubstr("No_SCTP;"));

  o.tls_port = 5868;
  EXPECT_FALSE(zn_diameter::RenderFreeDiameterConfig(o).ok()) << "a TLS port without files";
  o.tls_cert_file = "c.pem";
  o.tls_key_file = "k.pem";
  o.tls_ca_file = "ca.pem";
  o.connect_peers = {
      {.identity = "naf.example.org", .host = "127.0.0.1", .port = 3869, .tls = true}};
  absl::StatusOr<std::string> tls = zn_diameter::RenderFreeDiameterConfig(o);
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_THAT(*tls, HasSubstr("TLS_Cred = \"c.pem\", \"k.pem\";"));
  EXPECT_THAT(*tls, HasSubstr("ConnectPeer = \"naf.example.org\" { ConnectTo = \"127.0.0.1\"; "
                              "Port = 3869; No_SCTP; };"));
  // Nothing from the options can break out of a quoted value.
  o.identity = "bsf\";LoadExtension=\"x";
  EXPECT_FALSE(zn_diameter::RenderFreeDiameterConfig(o).ok());
  EXPECT_EQ(zn_diameter::DefaultDiameterRealm("bsf.example.org"), "example.org");
}

TEST(DiameterZnConfigTest, ExampleNafPeerSpec) {
  examples::DiameterZnSettings settings;
  ASSERT_TRUE(examples::ParseDiameterPeer("bsf.gba.test@localhost:3868", settings).ok());
  EXPECT_EQ(settings.bsf_identity, "bsf.gba.test");
  EXPECT_EQ(settings.bsf_host, "127.0.0.1");
  EXPECT_EQ(settings.bsf_port, 3868);
  for (const char* bad : {"127.0.0.1:3868", "@127.0.0.1:3868", "bsf@127.0.0.1", "bsf@h:0"}) {
    EXPECT_FALSE(examples::ParseDiameterPeer(bad, settings).ok()) << bad;
  }
}

// TLS for NAFs on other machines: --diameter-tls-listen on any host (TLS only), or beside a
// loopback plain port on the same host; freeDiameter has one ListenOn for both ports.
TEST(DiameterZnConfigTest, TlsListensOnAnyHostAndSharesThePlainPortsHost) {
  BsfConfig config;
  config.bsf_name = "bsf.example.org";
  config.diameter_nafs = {"naf.example.org"};
  config.diameter_tls_listen = "0.0.0.0:5868";
  absl::StatusOr<std::optional<DiameterZnOptions>> tls_only = DiameterOptionsFor(config);
  ASSERT_TRUE(tls_only.ok()) << tls_only.status();
  ASSERT_TRUE(tls_only->has_value());
  EXPECT_EQ((*tls_only)->listen_host, "0.0.0.0");
  EXPECT_EQ((*tls_only)->tls_port, 5868);
  EXPECT_EQ((*tls_only)->port, 0) << "no plain port";

  config.diameter_listen = "127.0.0.1:3868";
  absl::StatusOr<std::optional<DiameterZnOptions>> split = DiameterOptionsFor(config);
  ASSERT_FALSE(split.ok());
  EXPECT_THAT(std::string(split.status().message()), HasSubstr("must name the same host"));

  config.diameter_tls_listen = "127.0.0.1:5868";
  absl::StatusOr<std::optional<DiameterZnOptions>> both = DiameterOptionsFor(config);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ((*both)->port, 3868);
  EXPECT_EQ((*both)->tls_port, 5868);

  config.diameter_tls_port = 5869;
  EXPECT_THAT(std::string(DiameterOptionsFor(config).status().message()), HasSubstr("not both"));
  config.diameter_tls_port = 0;
  config.diameter_tls_listen = "0.0.0.0:0";
  config.diameter_listen.clear();
  EXPECT_THAT(std::string(DiameterOptionsFor(config).status().message()),
              HasSubstr("needs a port"));

  BsfConfig off;
  absl::StatusOr<std::optional<DiameterZnOptions>> none = DiameterOptionsFor(off);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace gbabridge::bsf
