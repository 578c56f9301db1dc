#include "uicc/soft_usim/card_profile.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::kTestK;
using ::gbabridge::soft_usim_testing::kTestOpc;
using ::gbabridge::soft_usim_testing::ProfileToml;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(CardProfileTest, LoadsSampleProfile) {
  absl::StatusOr<CardProfile> p = CardProfile::LoadFile(std::string(GBABRIDGE_SOURCE_DIR) +
                                                        "/uicc/soft_usim/profiles/sample.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->imsi, "001010123456789");
  EXPECT_EQ(p->k.RevealHex(), kTestK);
  EXPECT_EQ(p->opc.RevealHex(), kTestOpc);
  EXPECT_EQ(p->mnc_length, 2);
  EXPECT_TRUE(p->gba_u);
  EXPECT_FALSE(p->impi.has_value());
}

TEST(CardProfileTest, LoadsIsimSampleProfile) {
  absl::StatusOr<CardProfile> p = CardProfile::LoadFile(
      std::string(GBABRIDGE_SOURCE_DIR) + "/uicc/soft_usim/profiles/sample-isim.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->impi.has_value());
  EXPECT_THAT(*p->impi, HasSubstr("@ims.mnc001.mcc001.3gppnetwork.org"));
}

TEST(CardProfileTest, AppliesDefaults) {
  absl::StatusOr<CardProfile> p = CardProfile::Parse(ProfileToml(), "t");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->amf, (Amf{0x80, 0x00}));
  EXPECT_EQ(p->pin_block.RevealHex(), "30303030ffffffff");
  EXPECT_FALSE(p->pin_enabled);
  EXPECT_EQ(p->pin_tries, 3);
  EXPECT_EQ(p->ind_bits, 5);
  EXPECT_EQ(p->sqn_delta, uint64_t{1} << 28);
}

TEST(CardProfileTest, ComputesOpcFromOp) {
  const std::string toml = absl::StrCat(
      "imsi = \"001010123456789\"\niccid = \"8900101012345678901\"\nk = \"", kTestK, "\"\nop = \"",
      soft_usim_testing::kTestOp, "\"\nmnc_length = 3\namf = \"b9b9\"\npin = \"12345678\"\n");
  absl::StatusOr<CardProfile> p = CardProfile::Parse(toml, "t");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->opc.RevealHex(), kTestOpc);  // TS 35.208 set 1
  EXPECT_EQ(p->amf, (Amf{0xB9, 0xB9}));
  EXPECT_EQ(p->mnc_length, 3);
  EXPECT_EQ(p->pin_block.RevealHex(), "3132333435363738");
}

TEST(CardProfileTest, NeedsExactlyOneOfOpAndOpc) {
  absl::StatusOr<CardProfile> both = CardProfile::Parse(
      ProfileToml(absl::StrCat("op = \"", soft_usim_testing::kTestOp, "\"\n")), "t");
  EXPECT_THAT(both.status().message(), HasSubstr("exactly one of 'op' and 'opc'"));
  const std::string neither =
      "imsi = \"001010123456789\"\niccid = \"8900101012345678901\"\nk = \"" + std::string(kTestK) +
      "\"\nmnc_length = 2\n";
  EXPECT_THAT(CardProfile::Parse(neither, "t").status().message(), HasSubstr("neither"));
}

TEST(CardProfileTest, KeyErrorsNameTheFieldButNotTheValue) {
  const std::string bad_k = "465b5ce8b199b49faa5f0a2ee238a6zz";
  std::string toml = ProfileToml();
  toml.replace(toml.find(kTestK), 32, bad_k);
  absl::StatusOr<CardProfile> p = CardProfile::Parse(toml, "my.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("my.toml"));
  EXPECT_THAT(p.status().message(), HasSubstr("'k'"));
  EXPECT_THAT(p.status().message(), Not(HasSubstr("465b5ce8")));

  std::string short_opc = ProfileToml();
  short_opc.replace(short_opc.find(kTestOpc), 32, "cd63cb71");
  p = CardProfile::Parse(short_opc, "t");
  EXPECT_THAT(p.status().message(), HasSubstr("'opc'"));
  EXPECT_THAT(p.status().message(), Not(HasSubstr("cd63cb71")));
}

TEST(CardProfileTest, SyntaxErrorsGiveThePositionOnly) {
  std::string toml = ProfileToml();
  toml.replace(toml.find("k = \""), 5, "k = ");  // unquoted hex
  absl::StatusOr<CardProfile> p = CardProfile::Parse(toml, "t");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("line 3"));
  EXPECT_THAT(p.status().message(), Not(HasSubstr("465b")));
}

TEST(CardProfileTest, RejectsUnknownFields) {
  absl::StatusOr<CardProfile> p = CardProfile::Parse(ProfileToml("opc_ = \"00\"\n"), "t");
  EXPECT_THAT(p.status().message(), HasSubstr("unknown field 'opc_'"));
}

TEST(CardProfileTest, ValidatesFields) {
  struct Case {
    const char* extra;
    const char* field;
  };
  for (const Case& c :
       {Case{"pin = \"12a4\"\n", "'pin'"}, Case{"pin = \"123\"\n", "'pin'"},
        Case{"pin_tries = 0\n", "'pin_tries'"}, Case{"pin_enabled = 1\n", "'pin_enabled'"},
        Case{"ind_bits = 17\n", "'ind_bits'"}, Case{"sqn_delta = 0\n", "'sqn_delta'"},
        Case{"amf = \"800\"\n", "'amf'"}, Case{"impi = \"\"\n", "'impi'"}}) {
    absl::StatusOr<CardProfile> p = CardProfile::Parse(ProfileToml(c.extra), "t");
    EXPECT_THAT(p.status().message(), HasSubstr(c.field)) << c.extra;
  }
  std::string toml = ProfileToml();
  toml.replace(toml.find("mnc_length = 2"), 14, "mnc_length = 4");
  EXPECT_THAT(CardProfile::Parse(toml, "t").status().message(), HasSubstr("'mnc_length'"));
  toml = ProfileToml();
  toml.replace(toml.find("001010123456789"), 15, "00101012345678x");
  EXPECT_THAT(CardProfile::Parse(toml, "t").status().message(), HasSubstr("'imsi'"));
}

TEST(CardProfileTest, MissingFileIsNotFound) {
  absl::StatusOr<CardProfile> p = CardProfile::LoadFile("/nonexistent/profile.toml");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr("--profile"));
}

}  // namespace
}  // namespace gbabridge
