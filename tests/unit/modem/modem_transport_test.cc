// The modem transport against the modem simulator on a real pseudo-terminal, with the
// soft USIM in it and the project's USIM client on top: every quirk of uicc/soft_usim/
// at_modem_simulator.h, and the faults (stall, SIM removal, unplug).
#include "uicc/modem/modem_transport.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/soft_usim/soft_usim_test_util.h"
#include "uicc/card_error.h"
#include "uicc/modem/modem_presence.h"
#include "uicc/soft_usim/at_modem_simulator.h"
#include "uicc/usim.h"

namespace gbabridge::modem {
namespace {

using soft_usim_testing::MakeAutn;
using soft_usim_testing::MakeCard;
using soft_usim_testing::MakeRand;
using soft_usim_testing::TempDir;
using soft_usim_testing::TestMilenage;

struct QuirkCase {
  const char* name;
  const char* quirks;
  bool t0;
  bool expect_channel;
  bool expect_replay;
};

class ModemTransportTest : public ::testing::Test {
 protected:
  void StartModem(const std::string& quirks, bool t0 = false) {
    card_ = MakeCard(dir_.File("state.json"), "", /*gba_u=*/true, t0);
    ASSERT_NE(card_, nullptr);
    absl::StatusOr<AtModemQuirks> parsed = ParseAtModemQuirks(quirks);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    absl::StatusOr<std::unique_ptr<AtModemSimulator>> sim = AtModemSimulator::Start(
        *card_,
        {.link_path = dir_.File("ttyGBA0"), .quirks = *parsed, .baud = 0, .sim_inserted = true});
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    link_ = std::make_shared<ModemLink>(ModemOptions{.port = dir_.File("ttyGBA0"),
                                                     .baud = 115200,
                                                     .lock_dir = dir_.path().string(),
                                                     .command_timeout = absl::Seconds(2),
                                                     .probe_timeout = absl::Seconds(1)});
  }

  absl::StatusOr<std::unique_ptr<ModemTransport>> Connect() {
    return ModemTransport::Connect(link_);
  }

  // A full AKA round on the card: the USIM client's AUTHENTICATE with a fresh vector.
  absl::Status Authenticate(Usim& usim, uint64_t sqn) {
    const Rand rand = MakeRand(static_cast<uint8_t>(sqn));
    const Bytes autn = MakeAutn(milenage_, rand, sqn);
    absl::StatusOr<Auth3gResult> r = usim.Authenticate3g(rand, autn);
    if (!r.ok()) return r.status();
    const MilenageF2345 expected = milenage_.F2345(rand);
    EXPECT_EQ(r->res.RevealHex(), expected.res.RevealHex());
    EXPECT_EQ(r->ck.RevealHex(), expected.ck.RevealHex());
    return absl::OkStatus();
  }

  TempDir dir_;
  Milenage milenage_ = TestMilenage();
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<AtModemSimulator> sim_;
  std::shared_ptr<ModemLink> link_;
};

class ModemQuirkTest : public ModemTransportTest,
                       public ::testing::WithParamInterface<QuirkCase> {};

TEST_P(ModemQuirkTest, TheUsimClientWorksUnchanged) {
  const QuirkCase& c = GetParam();
  StartModem(c.quirks, c.t0);
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_TRUE(transport.ok()) << transport.status();
  EXPECT_EQ((*transport)->uses_logical_channel(), c.expect_channel);
  Usim usim(**transport);
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  ASSERT_TRUE(imsi.ok()) << imsi.status();
  EXPECT_EQ(imsi->digits, soft_usim_testing::kTestImsi);
  absl::StatusOr<bool> gba = usim.IsGbaCapable();
  ASSERT_TRUE(gba.ok()) << gba.status();
  EXPECT_TRUE(*gba);
  EXPECT_TRUE(Authenticate(usim, 0x40).ok());
  EXPECT_TRUE(Authenticate(usim, 0x60).ok());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(usim.ReadIccid().ok());
  if (c.expect_replay) {
    EXPECT_GT((*transport)->selection_replays(), 0) << "the modem's MF selects were survived";
  } else {
    EXPECT_EQ((*transport)->selection_replays(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Quirks, ModemQuirkTest,
    ::testing::Values(
        QuirkCase{"Plain", "", false, true, false}, QuirkCase{"T0Card", "", true, true, false},
        QuirkCase{"EchoStuck", "echo-stuck", false, true, false},
        QuirkCase{"BareCcho", "bare-ccho", false, true, false},
        QuirkCase{"NoLogicalChannels", "no-logical-channels", false, false, false},
        QuirkCase{"Pass61xx", "pass-61xx", true, true, false},
        QuirkCase{"Pass61xxOnCsim", "pass-61xx,no-logical-channels", true, false, false},
        QuirkCase{"RefusesGetResponse", "refuse-get-response", true, true, false},
        QuirkCase{"ReselectsMf", "reselect-mf,no-logical-channels", false, false, true},
        QuirkCase{"UrcBetween", "urc-between,echo-stuck", false, true, false},
        QuirkCase{"VerboseErrors", "verbose-errors,no-logical-channels", false, false, false}),
    [](const ::testing::TestParamInfo<QuirkCase>& info) { return std::string(info.param.name); });

TEST_F(ModemTransportTest, AStalledAuthenticateIsCardUnresponsiveAndTheNextOneWorks) {
  StartModem("stall-authenticate");
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_TRUE(transport.ok()) << transport.status();
  Usim usim(**transport);
  const absl::Time start = absl::Now();
  absl::Status stalled = Authenticate(usim, 0x40);
  EXPECT_EQ(GetCardErrorReason(stalled), CardErrorReason::kCardUnresponsive) << stalled;
  EXPECT_NE(stalled.message().find("modem_command_timeout_seconds"), std::string::npos);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "bounded by the command timeout";
  // The link resynchronises (AT / OK) before the next command.
  absl::Status next = Authenticate(usim, 0x60);
  EXPECT_TRUE(next.ok()) << next;
}

TEST_F(ModemTransportTest, CmeErrorsAreCardErrorsWithTheModemsWords) {
  StartModem("cme-error=4,no-logical-channels");
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_TRUE(transport.ok()) << transport.status();
  Usim usim(**transport);
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  ASSERT_FALSE(imsi.ok());
  EXPECT_EQ(GetCardErrorReason(imsi.status()), CardErrorReason::kTransportFailed);
  EXPECT_NE(imsi.status().message().find("+CME ERROR: 4"), std::string::npos) << imsi.status();
}

TEST_F(ModemTransportTest, NoSimIsNoCard) {
  StartModem("");
  sim_->RemoveSim();
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(GetCardErrorReason(transport.status()), CardErrorReason::kNoCard) << transport.status();
}

TEST_F(ModemTransportTest, NoPortIsNoReader) {
  StartModem("");
  sim_->Unplug();
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(GetCardErrorReason(transport.status()), CardErrorReason::kNoReader)
      << transport.status();
}

TEST_F(ModemTransportTest, TheLockFileKeepsASecondUserOff) {
  StartModem("");
  absl::StatusOr<std::unique_ptr<ModemTransport>> first = Connect();
  ASSERT_TRUE(first.ok()) << first.status();
  auto second_link = std::make_shared<ModemLink>(
      ModemOptions{.port = dir_.File("ttyGBA0"), .lock_dir = dir_.path().string()});
  absl::StatusOr<std::unique_ptr<ModemTransport>> second = ModemTransport::Connect(second_link);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("already open"), std::string::npos) << second.status();
}

TEST_F(ModemTransportTest, PresenceFollowsTheSimAndThePort) {
  StartModem("");
  ModemPresenceSource presence(link_, absl::Milliseconds(50));
  absl::StatusOr<std::vector<ReaderState>> first = presence.Wait(absl::Seconds(1));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_TRUE((*first)[0].card_present);
  EXPECT_EQ((*first)[0].name, dir_.File("ttyGBA0"));

  sim_->RemoveSim();
  absl::StatusOr<std::vector<ReaderState>> removed = presence.Wait(absl::Seconds(2));
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_FALSE((*removed)[0].card_present);

  sim_->InsertSim();
  absl::StatusOr<std::vector<ReaderState>> inserted = presence.Wait(absl::Seconds(2));
  ASSERT_TRUE(inserted.ok());
  ASSERT_EQ(inserted->size(), 1u);
  EXPECT_TRUE((*inserted)[0].card_present);
  EXPECT_GT((*inserted)[0].event_count, (*removed)[0].event_count);

  sim_->Unplug();
  absl::StatusOr<std::vector<ReaderState>> gone = presence.Wait(absl::Seconds(2));
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->empty()) << "no port, no reader";

  sim_->Replug();
  absl::StatusOr<std::vector<ReaderState>> back = presence.Wait(absl::Seconds(3));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_TRUE((*back)[0].card_present);
}

TEST_F(ModemTransportTest, AnUnplugMidSessionIsCardRemovedAndAReconnectWorks) {
  StartModem("");
  absl::StatusOr<std::unique_ptr<ModemTransport>> transport = Connect();
  ASSERT_TRUE(transport.ok()) << transport.status();
  {
    Usim usim(**transport);
    ASSERT_TRUE(Authenticate(usim, 0x40).ok());
    sim_->Unplug();
    sim_->Replug();
    absl::Status lost = Authenticate(usim, 0x60);
    EXPECT_EQ(GetCardErrorReason(lost), CardErrorReason::kCardRemoved) << lost;
  }
  // Said once; then the same transport reaches the card of the new modem session, as
  // PcscTransport does after a removal (the daemon's CardSlot keeps its transport).
  Usim usim(**transport);
  absl::Status again = Authenticate(usim, 0x80);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_TRUE((*transport)->uses_logical_channel());
}

TEST(ClaOnChannelTest, Ts102221Classes) {
  EXPECT_EQ(ClaOnChannel(0x00, 0), 0x00);
  EXPECT_EQ(ClaOnChannel(0x00, 1), 0x01);
  EXPECT_EQ(ClaOnChannel(0x80, 3), 0x83);
  EXPECT_EQ(ClaOnChannel(0x00, 4), 0x40);
  EXPECT_EQ(ClaOnChannel(0x80, 19), 0xCF);
}

}  // namespace
}  // namespace gbabridge::modem
