// SessionManager against the in-process soft USIM and an in-process BSF (bsf_sim BsfServer on
// loopback): the NAF-key cache, single-flight bootstrapping, expiry, invalidation, and errors
// shared by every waiter. Keys are checked against the NAF's side (Zn).
#include "bootstrap/daemon/session_manager.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../bsf_sim/bsf_sim_test_util.h"
#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_client.h"
#include "bootstrap/client/gba_error.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/bsf_server.h"
#include "bsf_sim/subscriber_import.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "uicc/apdu_handler.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/usim.h"

namespace gbabridge::daemon {
namespace {

using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::kTestImsi;
using ::gbabridge::bsf::testing::kTestK;
using ::gbabridge::bsf::testing::kTestOpc;
using ::gbabridge::bsf::testing::TempDir;

constexpr char kToken[] = "zn-token-for-naf-example-org";
constexpr absl::Duration kWaitLimit = absl::Seconds(20);

NafId TlsNaf() { return *NafId::Create("naf.example.org", UaSecurityProtocolId::Tls(0x00AE)); }
NafId DigestNaf() { return *NafId::Create("naf.example.org", UaSecurityProtocolId::HttpDigest()); }
NafId PushNaf() { return *NafId::Create("naf.example.org", UaSecurityProtocolId::GenericPush()); }

// Counts AUTHENTICATE commands by kind (INS 88: P2 81 is the 3G context, P2 84 the GBA
// context with tag DD for bootstrapping and DE for NAF derivation, TS 31.102 §7.1.2), and can
// hold every command until released, so that tests can line callers up behind a bootstrap.
class CountingCard : public ApduHandler {
 public:
  explicit CountingCard(ApduHandler& inner) : inner_(inner) {}

  Bytes Reset() override { return inner_.Reset(); }
  Bytes Process(ByteView command) override {
    if (command.size() > 5 && command[1] == 0x88) {
      if (command[3] == 0x81 || (command[3] == 0x84 && command[5] == 0xDD)) ++bootstrap_auths;
      if (command[3] == 0x84 && command[5] == 0xDE) ++naf_derivations;
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (held_) {
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return !held_; });
      }
    }
    return inner_.Process(command);
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
    entered_ = false;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  bool WaitUntilEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoSeconds(kWaitLimit), [this] { return entered_; });
  }

  std::atomic<int> bootstrap_auths{0};
  std::atomic<int> naf_derivations{0};

 private:
  ApduHandler& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool entered_ = false;
};

// Monotonic time moves only when told to; UTC follows the real clock plus the same offset,
// because the BSF's lifetimes are real UTC times.
class FakeClock : public Clock {
 public:
  absl::Duration MonotonicNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return monotonic_;
  }
  absl::Time UtcNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::Now() + offset_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    monotonic_ += d;
    offset_ += d;
  }
  // The wall clock steps (NTP, an operator) while monotonic time goes on as before.
  void StepWallClock(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    offset_ += d;
  }

 private:
  std::mutex mu_;
  absl::Duration monotonic_ = absl::Hours(1000);
  absl::Duration offset_;
};

// A loopback port nobody listens on (bound, then released).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One slot per concurrent caller (StatusOr<NafKey> is move-only).
std::vector<absl::StatusOr<NafKey>> NotRun(int n) {
  std::vector<absl::StatusOr<NafKey>> results;
  for (int i = 0; i < n; ++i) results.emplace_back(absl::UnknownError("not run"));
  return results;
}

class SessionManagerTest : public ::testing::Test {
 protected:
  void Provision(bool gba_u) {
    absl::StatusOr<std::unique_ptr<bsf::SubscriberStore>> store =
        bsf::SubscriberStore::Open(dir_.File("hss.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<bsf::Subscriber>> subs = bsf::ParseSubscriberImport(absl::StrCat(
        R"({"subscribers": [{"imsi": ")", kTestImsi, R"(", "k": ")", kTestK, R"(", "opc": ")",
        kTestOpc, R"(", "gba_u": )", gba_u ? "true" : "false", "}]}"));
    ASSERT_TRUE(subs.ok()) << subs.status();
    ASSERT_TRUE((*store)->Import(*subs, /*replace=*/true).ok());
  }

  void StartBsf(int ub_port = 0) {
    bsf::BsfConfig config;
    config.ub_listen = absl::StrCat("127.0.0.1:", ub_port);
    config.zn_listen = "127.0.0.1:0";
    config.db = dir_.File("hss.db");
    config.bsf_name = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
    config.naf_tokens.push_back(*bsf::MakeNafToken("naf.example.org", kToken));
    absl::StatusOr<std::unique_ptr<bsf::BsfServer>> server = bsf::BsfServer::Create(config);
    ASSERT_TRUE(server.ok()) << server.status();
    bsf_ = *std::move(server);
    ASSERT_TRUE(bsf_->Start().ok());
  }

  void InsertCard(bool gba_u) {
    card_ = soft_usim_testing::MakeCard(dir_.File("card.json"), "", gba_u);
    ASSERT_NE(card_, nullptr);
    counting_ = std::make_unique<CountingCard>(*card_);
    channel_ = std::make_unique<InProcessTransport>(*counting_);
    usim_ = std::make_unique<Usim>(*channel_);
  }

  // A provisioned BSF, a card and a manager on them.
  void SetUpAll(bool gba_u) {
    Provision(gba_u);
    StartBsf();
    InsertCard(gba_u);
    MakeManager(absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/"));
  }

  void MakeManager(std::string bsf_url, size_t max_cached_naf_keys = 1024) {
    SessionManagerOptions options;
    options.client.bsf_url = std::move(bsf_url);
    options.max_cached_naf_keys = max_cached_naf_keys;
    options.client.connect_timeout = absl::Seconds(2);
    options.client.total_timeout = absl::Seconds(10);
    options.clock = &clock_;
    options.on_event = [this](const DaemonEvent& event) {
      std::lock_guard<std::mutex> lock(events_mu_);
      events_.push_back(event);
    };
    manager_ = std::make_unique<SessionManager>(*usim_, std::move(options));
  }

  std::vector<DaemonEvent> TakeEvents() {
    std::lock_guard<std::mutex> lock(events_mu_);
    return std::exchange(events_, {});
  }

  // The NAF's side: Ks_(ext_)NAF over Zn, as hex ("" on error).
  std::string ZnKeyHex(const std::string& btid, const NafId& naf) {
    auto stub = ::bsf::v1::Zn::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", bsf_->zn_port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ::bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn(naf.fqdn());
    request.set_ua_security_protocol_id(
        std::string(naf.ua().octets().begin(), naf.ua().octets().end()));
    ::bsf::v1::GetNafKeyResponse response;
    grpc::Status status = stub->GetNafKey(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return HexEncode(AsBytes(response.ks_naf()));
  }

  NafKey Get(const NafId& naf, bool force = false) {
    absl::StatusOr<NafKey> key = manager_->GetNafKey(naf, force);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) {
      return NafKey{SecretBytes(), "", absl::InfinitePast(), GbaMode::kGbaMe, "", naf, false};
    }
    return *std::move(key);
  }

  // Waits until `n` callers wait on the in-flight bootstrap.
  bool WaitForWaiters(int n) {
    const absl::Time limit = absl::Now() + kWaitLimit;
    while (absl::Now() < limit) {
      if (manager_->Status().bootstrap_waiters == n) return true;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return false;
  }

  void ExpectFirstCallBootstrapsAndMatchesZn(bool gba_u) {
    SetUpAll(gba_u);
    EXPECT_FALSE(manager_->Status().session.has_value());
    NafKey key = Get(TlsNaf());
    EXPECT_EQ(counting_->bootstrap_auths, 1);
    EXPECT_EQ(key.mode, gba_u ? GbaMode::kGbaU : GbaMode::kGbaMe);
    EXPECT_EQ(key.impi, kTestImpi);
    EXPECT_EQ(key.naf, TlsNaf());
    EXPECT_EQ(key.key.size(), 32u);
    EXPECT_GT(key.expiry, absl::Now() + absl::Minutes(50));
    EXPECT_EQ(key.key.RevealHex(), ZnKeyHex(key.btid, TlsNaf()));
    if (gba_u) {
      // GbaClient::DeriveNafKey for GBA_U is the card's NAF derivation.
      absl::StatusOr<SecretBytes> from_card = usim_->DeriveKsExtNaf(TlsNaf().Encode(), key.impi);
      ASSERT_TRUE(from_card.ok()) << from_card.status();
      EXPECT_EQ(key.key.RevealHex(), from_card->RevealHex());
    }
    SessionManagerStatus status = manager_->Status();
    ASSERT_TRUE(status.session.has_value());
    EXPECT_EQ(status.session->btid, key.btid);
    EXPECT_EQ(status.session->expiry, key.expiry);
    EXPECT_EQ(status.session->mode, key.mode);
    EXPECT_EQ(status.cached_naf_keys, 1u);
    EXPECT_EQ(status.bootstraps, 1u);
  }

  void ExpectRepeatedCallCostsNoApdu(bool gba_u) {
    SetUpAll(gba_u);
    NafKey first = Get(TlsNaf());
    const size_t apdus = channel_->apdu_count();
    NafKey second = Get(TlsNaf());
    EXPECT_EQ(channel_->apdu_count(), apdus);
    EXPECT_EQ(second.key.RevealHex(), first.key.RevealHex());
    EXPECT_EQ(second.btid, first.btid);
  }

  FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<bsf::BsfServer> bsf_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<CountingCard> counting_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
  std::unique_ptr<SessionManager> manager_;
  std::mutex events_mu_;
  std::vector<DaemonEvent> events_;
};

TEST_F(SessionManagerTest, FirstCallBootstrapsAndMatchesZnGbaMe) {
  ExpectFirstCallBootstrapsAndMatchesZn(false);
}

TEST_F(SessionManagerTest, FirstCallBootstrapsAndMatchesZnGbaU) {
  ExpectFirstCallBootstrapsAndMatchesZn(true);
}

TEST_F(SessionManagerTest, RepeatedCallCostsNoApduGbaMe) { ExpectRepeatedCallCostsNoApdu(false); }

TEST_F(SessionManagerTest, RepeatedCallCostsNoApduGbaU) { ExpectRepeatedCallCostsNoApdu(true); }

TEST_F(SessionManagerTest, OtherNafOnTheSameSessionCostsNoApduGbaMe) {
  SetUpAll(false);
  NafKey tls = Get(TlsNaf());
  const size_t apdus = channel_->apdu_count();
  NafKey digest = Get(DigestNaf());
  EXPECT_EQ(channel_->apdu_count(), apdus);  // Ks_NAF comes from Ks in the ME
  EXPECT_EQ(digest.btid, tls.btid);
  EXPECT_NE(digest.key.RevealHex(), tls.key.RevealHex());
  EXPECT_EQ(digest.key.RevealHex(), ZnKeyHex(digest.btid, DigestNaf()));
  EXPECT_EQ(manager_->Status().cached_naf_keys, 2u);
}

TEST_F(SessionManagerTest, OtherNafOnTheSameSessionCostsOnlyTheNafDerivationGbaU) {
  SetUpAll(true);
  NafKey tls = Get(TlsNaf());
  const size_t apdus = channel_->apdu_count();
  NafKey digest = Get(DigestNaf());
  const size_t manager_cost = channel_->apdu_count() - apdus;
  EXPECT_EQ(counting_->bootstrap_auths, 1);
  // One per NAF, and one for the TMPI after the bootstrap (TS 33.220 B.4; the BSF
  // advertises 3gpp-gba-tmpi).
  EXPECT_EQ(counting_->naf_derivations, 3);
  EXPECT_EQ(digest.btid, tls.btid);
  EXPECT_EQ(digest.key.RevealHex(), ZnKeyHex(digest.btid, DigestNaf()));

  // The same as one NAF derivation bound to the session's bootstrap (EF_GBABP checked in the
  // same transaction), measured directly.
  absl::StatusOr<GbaBootstrapParameters> on_card = usim_->ReadGbaBootstrapParameters();
  ASSERT_TRUE(on_card.ok()) << on_card.status();
  const size_t before_direct = channel_->apdu_count();
  ASSERT_TRUE(
      usim_->DeriveKsExtNafForBootstrap(PushNaf().Encode(), tls.impi, on_card->rand, tls.btid)
          .ok());
  EXPECT_EQ(manager_cost, channel_->apdu_count() - before_direct);
}

// Another PC/SC client bootstraps the card behind the daemon's back: the card's Ks is now that
// bootstrap's. A cached key stays right (the BSF still holds the old B-TID), but a new GBA_U
// key must not come from the new Ks under the old B-TID: the session is dropped and the
// request bootstraps again, and its key is the NAF's.
TEST_F(SessionManagerTest, ACardBootstrappedByAnotherClientIsNotTrustedWithTheOldBtid) {
  SetUpAll(true);
  NafKey tls = Get(TlsNaf());
  GbaClientOptions other_options;
  other_options.bsf_url = absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/");
  GbaClient other(*usim_, other_options);
  absl::StatusOr<BootstrapSession> theirs = other.Bootstrap();
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  ASSERT_NE(theirs->btid, tls.btid);

  NafKey cached = Get(TlsNaf());
  EXPECT_EQ(cached.btid, tls.btid);
  EXPECT_EQ(cached.key.RevealHex(), ZnKeyHex(tls.btid, TlsNaf()));

  NafKey digest = Get(DigestNaf());
  EXPECT_NE(digest.btid, tls.btid);
  EXPECT_NE(digest.btid, theirs->btid);
  EXPECT_EQ(digest.key.RevealHex(), ZnKeyHex(digest.btid, DigestNaf()));
  EXPECT_EQ(counting_->bootstrap_auths, 3);
  const SessionManagerStatus status = manager_->Status();
  EXPECT_EQ(status.card_bootstrap_changes, 1u);
  EXPECT_THAT(status.last_invalidation, ::testing::HasSubstr("EF_GBABP"));
  ASSERT_TRUE(status.session.has_value());
  EXPECT_EQ(status.session->btid, digest.btid);
}

// A bootstrap cut short after the card's AUTHENTICATE (the card replaced Ks and RAND; nobody
// wrote the B-TID) leaves EF_GBABP half written. Shown here with EF_GBABP as such a card
// leaves it, and once more with a RAND that is not the session's.
TEST_F(SessionManagerTest, AHalfWrittenEfGbabpIsNotTrusted) {
  SetUpAll(true);
  NafKey tls = Get(TlsNaf());
  absl::StatusOr<GbaBootstrapParameters> on_card = usim_->ReadGbaBootstrapParameters();
  ASSERT_TRUE(on_card.ok()) << on_card.status();
  ASSERT_EQ(on_card->btid, tls.btid);
  ASSERT_TRUE(usim_->WriteGbaBootstrapParameters({on_card->rand, "", ""}).ok());
  const int derivations = counting_->naf_derivations;

  NafKey digest = Get(DigestNaf());
  EXPECT_NE(digest.btid, tls.btid);
  EXPECT_EQ(digest.key.RevealHex(), ZnKeyHex(digest.btid, DigestNaf()));
  EXPECT_EQ(counting_->bootstrap_auths, 2);
  // The new session's TMPI and its digest key; none from the stale Ks.
  EXPECT_EQ(counting_->naf_derivations, derivations + 2) << "no derivation from the stale Ks";

  Bytes other_rand = on_card->rand;
  other_rand[0] ^= 0xFF;
  ASSERT_TRUE(
      usim_->WriteGbaBootstrapParameters({other_rand, digest.btid, on_card->key_lifetime}).ok());
  NafKey push = Get(PushNaf());
  EXPECT_NE(push.btid, digest.btid);
  EXPECT_EQ(push.key.RevealHex(), ZnKeyHex(push.btid, PushNaf()));
  EXPECT_EQ(manager_->Status().card_bootstrap_changes, 2u);
}

// The cache holds at most max_cached_naf_keys keys (locked memory): a caller cycling through
// NAF names cannot grow it. Keys past the bound are still served, derived each time.
TEST_F(SessionManagerTest, TheNafKeyCacheIsBounded) {
  Provision(false);
  StartBsf();
  InsertCard(false);
  MakeManager(absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/"), /*max_cached_naf_keys=*/2);
  Get(TlsNaf());
  Get(DigestNaf());
  NafKey third = Get(PushNaf());
  EXPECT_EQ(manager_->Status().cached_naf_keys, 2u);
  NafKey again = Get(PushNaf());
  EXPECT_FALSE(again.cache_hit) << "past the bound nothing more is cached";
  EXPECT_EQ(again.key.RevealHex(), third.key.RevealHex());
  EXPECT_EQ(again.key.RevealHex(), ZnKeyHex(again.btid, PushNaf()));
  EXPECT_TRUE(Get(TlsNaf()).cache_hit);
}

// A bootstrap queued on the card while a GBA_U derivation finds EF_GBABP changed is kept: the
// changed card is not an invalidation of that bootstrap, which had not touched the card yet.
// Both callers get keys from the session it makes.
TEST_F(SessionManagerTest, ADetectedBootstrapChangeKeepsABootstrapQueuedOnTheCard) {
  SetUpAll(true);
  NafKey tls = Get(TlsNaf());
  absl::StatusOr<GbaBootstrapParameters> on_card = usim_->ReadGbaBootstrapParameters();
  ASSERT_TRUE(on_card.ok()) << on_card.status();
  ASSERT_TRUE(usim_->WriteGbaBootstrapParameters({on_card->rand, "", ""}).ok());

  counting_->Hold();
  std::vector<absl::StatusOr<NafKey>> results = NotRun(2);
  std::thread deriving([&] { results[0] = manager_->GetNafKey(DigestNaf()); });
  const bool entered = counting_->WaitUntilEntered();  // it holds the card, at EF_GBABP
  std::thread forcing([&] { results[1] = manager_->GetNafKey(PushNaf(), /*force=*/true); });
  bool queued = false;  // the forced bootstrap is in flight, waiting for the card
  for (const absl::Time limit = absl::Now() + kWaitLimit; !queued && absl::Now() < limit;) {
    queued = manager_->Status().bootstrap_in_flight;
    if (!queued) absl::SleepFor(absl::Milliseconds(1));
  }
  counting_->Release();
  deriving.join();
  forcing.join();
  ASSERT_TRUE(entered && queued);

  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_NE(results[0]->btid, tls.btid);
  EXPECT_EQ(results[0]->btid, results[1]->btid);
  EXPECT_EQ(results[0]->key.RevealHex(), ZnKeyHex(results[0]->btid, DigestNaf()));
  EXPECT_EQ(counting_->bootstrap_auths, 2);
}

TEST_F(SessionManagerTest, ConcurrentColdCallsShareOneBootstrap) {
  SetUpAll(false);
  constexpr int kCallers = 100;
  // Hold the card so that the leader is inside the bootstrap while everyone else arrives.
  counting_->Hold();
  std::vector<absl::StatusOr<NafKey>> results = NotRun(kCallers);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = manager_->GetNafKey(TlsNaf(), false); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  for (int i = 1; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = manager_->GetNafKey(TlsNaf(), false); });
  }
  const bool lined_up = WaitForWaiters(kCallers - 1);
  counting_->Release();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(lined_up);

  EXPECT_EQ(counting_->bootstrap_auths, 1);
  EXPECT_EQ(manager_->Status().bootstrap_attempts, 1u);
  std::set<std::string> keys;
  std::set<std::string> btids;
  for (const absl::StatusOr<NafKey>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    keys.insert(r->key.RevealHex());
    btids.insert(r->btid);
  }
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(btids.size(), 1u);
  EXPECT_EQ(*keys.begin(), ZnKeyHex(*btids.begin(), TlsNaf()));
}

TEST_F(SessionManagerTest, ConcurrentColdCallsGbaUOneAuthenticate) {
  SetUpAll(true);
  constexpr int kCallers = 100;
  std::vector<absl::StatusOr<NafKey>> results = NotRun(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = manager_->GetNafKey(TlsNaf(), false); });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counting_->bootstrap_auths, 1);
  // The TMPI's derivation and the key's; the key is cached after that.
  EXPECT_EQ(counting_->naf_derivations, 2) << "the key is cached after the first derivation";
  std::set<std::string> keys;
  for (const absl::StatusOr<NafKey>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    keys.insert(r->key.RevealHex());
  }
  EXPECT_EQ(keys.size(), 1u);
}

// TS 33.220 §4.5.2: the daemon keeps the TMPI of its last bootstrap with the IMPI and names
// it on the next one (the BSF advertises 3gpp-gba-tmpi); GBA_ME and GBA_U.
class SessionManagerTmpiTest : public SessionManagerTest,
                               public ::testing::WithParamInterface<bool> {};

TEST_P(SessionManagerTmpiTest, TheNextBootstrapNamesTheLastTmpi) {
  SetUpAll(/*gba_u=*/GetParam());
  Get(TlsNaf());
  SessionManagerStatus first = manager_->Status();
  EXPECT_TRUE(first.has_tmpi);
  EXPECT_FALSE(first.last_bootstrap_used_tmpi);
  NafKey forced = Get(TlsNaf(), /*force=*/true);
  SessionManagerStatus second = manager_->Status();
  EXPECT_TRUE(second.last_bootstrap_used_tmpi);
  EXPECT_FALSE(second.last_bootstrap_tmpi_fallback);
  EXPECT_TRUE(second.has_tmpi);
  EXPECT_EQ(forced.key.RevealHex(), ZnKeyHex(forced.btid, TlsNaf()));
}

// TS 33.220 §4.5.2: after any BSF error the daemon forgets the TMPI, and the next bootstrap
// names the IMPI (it neither sends the TMPI nor needs the fallback).
TEST_P(SessionManagerTmpiTest, AFailedBootstrapForgetsTheTmpi) {
  SetUpAll(/*gba_u=*/GetParam());
  Get(TlsNaf());
  ASSERT_TRUE(manager_->Status().has_tmpi);
  const int port = bsf_->ub_port();
  bsf_->Stop();
  absl::StatusOr<NafKey> failed = manager_->GetNafKey(TlsNaf(), /*force_bootstrap=*/true);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(GetGbaErrorReason(failed.status()), GbaErrorReason::kBsfUnreachable);
  EXPECT_FALSE(manager_->Status().has_tmpi) << "the TMPI outlived a failed bootstrap";

  StartBsf(port);
  const NafKey next = Get(TlsNaf(), /*force=*/true);
  const SessionManagerStatus after = manager_->Status();
  EXPECT_FALSE(after.last_bootstrap_used_tmpi) << "a forgotten TMPI was sent";
  EXPECT_FALSE(after.last_bootstrap_tmpi_fallback);
  EXPECT_TRUE(after.has_tmpi) << "the new bootstrap gives a new TMPI";
  EXPECT_EQ(next.key.RevealHex(), ZnKeyHex(next.btid, TlsNaf()));
}

INSTANTIATE_TEST_SUITE_P(Modes, SessionManagerTmpiTest, ::testing::Bool());

TEST_F(SessionManagerTest, ForceBootstrapGivesANewBtid) {
  SetUpAll(false);
  NafKey first = Get(TlsNaf());
  NafKey forced = Get(TlsNaf(), /*force=*/true);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
  EXPECT_NE(forced.btid, first.btid);
  EXPECT_NE(forced.key.RevealHex(), first.key.RevealHex());
  EXPECT_EQ(forced.key.RevealHex(), ZnKeyHex(forced.btid, TlsNaf()));

  absl::StatusOr<SessionSummary> same = manager_->Bootstrap(false);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->btid, forced.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
  absl::StatusOr<SessionSummary> fresh = manager_->Bootstrap(true);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(fresh->btid, forced.btid);
  EXPECT_EQ(fresh->mode, GbaMode::kGbaMe);
  EXPECT_EQ(counting_->bootstrap_auths, 3);
  // A new session starts with an empty key cache.
  EXPECT_EQ(manager_->Status().cached_naf_keys, 0u);
}

TEST_F(SessionManagerTest, ReBootstrapsAtExpiryMinusTheMargin) {
  SetUpAll(false);
  NafKey first = Get(TlsNaf());
  // Default margin: 60 s before the BSF's lifetime ends.
  const absl::Duration to_deadline = first.expiry - absl::Seconds(60) - clock_.UtcNow();
  clock_.Advance(to_deadline - absl::Seconds(1));
  EXPECT_EQ(Get(TlsNaf()).btid, first.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 1);

  clock_.Advance(absl::Seconds(2));
  EXPECT_FALSE(manager_->Status().session.has_value());
  EXPECT_EQ(manager_->Status().cached_naf_keys, 0u) << "expired keys are wiped";
  NafKey renewed = Get(TlsNaf());
  EXPECT_NE(renewed.btid, first.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
  EXPECT_EQ(renewed.key.RevealHex(), ZnKeyHex(renewed.btid, TlsNaf()));
}

TEST_F(SessionManagerTest, WallClockStepsNeitherExtendNorCutASession) {
  SetUpAll(false);
  NafKey first = Get(TlsNaf());
  const absl::Duration to_deadline = first.expiry - absl::Seconds(60) - clock_.UtcNow();
  // A step forward past the key's UTC expiry, and one back by a day: the session's deadline
  // is on the monotonic clock, so neither changes what is served.
  clock_.StepWallClock(absl::Hours(5));
  EXPECT_EQ(Get(TlsNaf()).btid, first.btid);
  clock_.StepWallClock(-absl::Hours(29));
  EXPECT_EQ(Get(TlsNaf()).btid, first.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 1);
  // The monotonic deadline still ends it on time, whatever the wall clock says.
  clock_.Advance(to_deadline + absl::Seconds(1));
  EXPECT_FALSE(manager_->Status().session.has_value());
  EXPECT_NE(Get(TlsNaf()).btid, first.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
}

TEST_F(SessionManagerTest, ADeviceClockYearsBehindKeepsASessionNoLongerThanTheCap) {
  // The device's clock is 5 years behind: the BSF's one-hour expiry looks 5 years away.
  // max_session_lifetime (default 24 h) bounds how long the device keeps Ks anyway.
  SetUpAll(false);
  clock_.StepWallClock(-absl::Hours(5 * 365 * 24));
  NafKey first = Get(TlsNaf());
  EXPECT_LE(first.expiry - clock_.UtcNow(), absl::Hours(24)) << "the expiry callers see is capped";
  clock_.Advance(absl::Hours(24) - absl::Minutes(2));
  EXPECT_EQ(Get(TlsNaf()).btid, first.btid);
  clock_.Advance(absl::Minutes(2));
  EXPECT_FALSE(manager_->Status().session.has_value()) << "Ks kept past max_session_lifetime";
  EXPECT_EQ(manager_->Status().cached_naf_keys, 0u);
}

TEST_F(SessionManagerTest, WipeIfExpiredDropsOnlyAnExpiredSession) {
  SetUpAll(false);
  ASSERT_TRUE(manager_->Bootstrap().ok());
  EXPECT_FALSE(manager_->WipeIfExpired());
  EXPECT_TRUE(manager_->Status().session.has_value());
  clock_.Advance(absl::Hours(2));
  EXPECT_TRUE(manager_->WipeIfExpired());
  EXPECT_FALSE(manager_->WipeIfExpired());
  EXPECT_FALSE(manager_->Status().session.has_value());
}

TEST_F(SessionManagerTest, InvalidateSessionWipesAndTheNextCallReBootstraps) {
  SetUpAll(false);
  NafKey first = Get(TlsNaf());
  Get(DigestNaf());
  EXPECT_EQ(manager_->Status().cached_naf_keys, 2u);

  manager_->InvalidateSession("card removed");
  SessionManagerStatus status = manager_->Status();
  EXPECT_FALSE(status.session.has_value());
  EXPECT_EQ(status.cached_naf_keys, 0u);
  EXPECT_EQ(status.last_invalidation, "card removed");
  EXPECT_EQ(first.key.size(), 32u) << "the caller's copy is its own";

  NafKey next = Get(TlsNaf());
  EXPECT_NE(next.btid, first.btid);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
}

TEST_F(SessionManagerTest, InvalidationDuringABootstrapDiscardsItsResult) {
  SetUpAll(false);
  counting_->Hold();
  absl::StatusOr<NafKey> result = absl::UnknownError("not run");
  std::thread caller([&] { result = manager_->GetNafKey(TlsNaf(), false); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  manager_->InvalidateSession("ICCID changed");
  counting_->Release();
  caller.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(std::string(result.status().message()).find("ICCID changed"), std::string::npos);
  EXPECT_FALSE(manager_->Status().session.has_value());
  EXPECT_TRUE(manager_->GetNafKey(TlsNaf(), false).ok());
}

TEST_F(SessionManagerTest, WithCardWaitsForTheBootstrapHoldingTheCard) {
  SetUpAll(false);
  counting_->Hold();
  std::thread caller([&] { EXPECT_TRUE(manager_->GetNafKey(TlsNaf(), false).ok()); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  std::atomic<bool> read_done{false};
  std::string iccid;
  std::thread reader([&] {
    EXPECT_TRUE(manager_
                    ->WithCard([&](Usim& usim) -> absl::Status {
                      absl::StatusOr<Bytes> raw = usim.ReadIccid();
                      if (!raw.ok()) return raw.status();
                      iccid = HexEncode(*raw);
                      return absl::OkStatus();
                    })
                    .ok());
    read_done = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(read_done) << "the card read must wait for the bootstrap";
  counting_->Release();
  caller.join();
  reader.join();
  EXPECT_FALSE(iccid.empty());
  EXPECT_EQ(counting_->bootstrap_auths, 1);
}

TEST_F(SessionManagerTest, FailedBootstrapReachesEveryWaiterAndALaterCallRetries) {
  Provision(false);
  InsertCard(false);
  const int port = FreePort();
  ASSERT_GT(port, 0);
  MakeManager(absl::StrCat("http://127.0.0.1:", port, "/"));  // nobody listens there yet

  constexpr int kCallers = 10;
  counting_->Hold();
  std::vector<absl::StatusOr<NafKey>> results = NotRun(kCallers);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = manager_->GetNafKey(TlsNaf(), false); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  for (int i = 1; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = manager_->GetNafKey(TlsNaf(), false); });
  }
  const bool lined_up = WaitForWaiters(kCallers - 1);
  counting_->Release();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(lined_up);

  EXPECT_EQ(manager_->Status().bootstrap_attempts, 1u);
  EXPECT_EQ(counting_->bootstrap_auths, 0);
  for (const absl::StatusOr<NafKey>& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(GetGbaErrorReason(r.status()), GbaErrorReason::kBsfUnreachable) << r.status();
    EXPECT_EQ(r.status(), results[0].status()) << "every waiter gets the leader's error";
  }
  EXPECT_FALSE(manager_->Status().bootstrap_in_flight);

  // The failure is not cached: once the BSF is up, the next call bootstraps.
  StartBsf(port);
  NafKey key = Get(TlsNaf());
  EXPECT_EQ(manager_->Status().bootstrap_attempts, 2u);
  EXPECT_EQ(counting_->bootstrap_auths, 1);
  EXPECT_EQ(key.key.RevealHex(), ZnKeyHex(key.btid, TlsNaf()));
}

TEST_F(SessionManagerTest, CacheHitsAreMarked) {
  SetUpAll(false);
  EXPECT_FALSE(Get(TlsNaf()).cache_hit);
  EXPECT_TRUE(Get(TlsNaf()).cache_hit);
  EXPECT_FALSE(Get(DigestNaf()).cache_hit);
  EXPECT_FALSE(Get(TlsNaf(), /*force=*/true).cache_hit) << "a new session starts uncached";
}

TEST_F(SessionManagerTest, AModePreferenceReplacesASessionInTheOtherMode) {
  SetUpAll(true);
  NafKey u = Get(TlsNaf());
  ASSERT_EQ(u.mode, GbaMode::kGbaU);

  // GBA_ME asked on a GBA_U session: a new bootstrap in the 3G context.
  absl::StatusOr<NafKey> me = manager_->GetNafKey(TlsNaf(), false, GbaMode::kGbaMe);
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->mode, GbaMode::kGbaMe);
  EXPECT_NE(me->btid, u.btid);
  EXPECT_FALSE(me->cache_hit);
  EXPECT_EQ(counting_->bootstrap_auths, 2);
  EXPECT_EQ(me->key.RevealHex(), ZnKeyHex(me->btid, TlsNaf()));

  // No preference, or the same one: the GBA_ME session serves.
  EXPECT_EQ(Get(TlsNaf()).btid, me->btid);
  absl::StatusOr<SessionSummary> same = manager_->Bootstrap(false, GbaMode::kGbaMe);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->btid, me->btid);
  EXPECT_EQ(counting_->bootstrap_auths, 2);

  // And back to GBA_U through Bootstrap().
  absl::StatusOr<SessionSummary> back = manager_->Bootstrap(false, GbaMode::kGbaU);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->mode, GbaMode::kGbaU);
  EXPECT_EQ(counting_->bootstrap_auths, 3);
  absl::StatusOr<NafKey> u2 = manager_->GetNafKey(TlsNaf(), false, GbaMode::kGbaU);
  ASSERT_TRUE(u2.ok()) << u2.status();
  EXPECT_EQ(u2->btid, back->btid);
  EXPECT_EQ(u2->key.RevealHex(), ZnKeyHex(u2->btid, TlsNaf()));
}

TEST_F(SessionManagerTest, GbaUOnACardWithoutGbaFailsBeforeAnyBootstrap) {
  SetUpAll(false);
  NafKey me = Get(TlsNaf());
  const uint64_t attempts = manager_->Status().bootstrap_attempts;

  absl::StatusOr<NafKey> u = manager_->GetNafKey(TlsNaf(), false, GbaMode::kGbaU);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kFailedPrecondition) << u.status();
  EXPECT_EQ(GetCardErrorReason(u.status()), CardErrorReason::kGbaNotSupported);
  absl::StatusOr<SessionSummary> b = manager_->Bootstrap(true, GbaMode::kGbaU);
  EXPECT_EQ(GetCardErrorReason(b.status()), CardErrorReason::kGbaNotSupported) << b.status();

  // No AUTHENTICATE, no Ub run: the GBA_ME session is untouched and still serves.
  EXPECT_EQ(counting_->bootstrap_auths, 1);
  EXPECT_EQ(manager_->Status().bootstrap_attempts, attempts + 2);
  ASSERT_TRUE(manager_->Status().session.has_value());
  EXPECT_EQ(Get(TlsNaf()).btid, me.btid);
}

TEST_F(SessionManagerTest, GbaUIsRefusedWhenTheDaemonIsConfiguredForGbaMe) {
  Provision(true);
  StartBsf();
  InsertCard(true);
  SessionManagerOptions options;
  options.client.bsf_url = absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/");
  options.client.force_gba_me = true;
  options.clock = &clock_;
  manager_ = std::make_unique<SessionManager>(*usim_, std::move(options));
  absl::StatusOr<SessionSummary> u = manager_->Bootstrap(false, GbaMode::kGbaU);
  EXPECT_EQ(GetCardErrorReason(u.status()), CardErrorReason::kGbaNotSupported) << u.status();
  absl::StatusOr<SessionSummary> any = manager_->Bootstrap();
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->mode, GbaMode::kGbaMe);
}

TEST_F(SessionManagerTest, ABootstrapPublishesBootstrapped) {
  SetUpAll(true);
  NafKey key = Get(TlsNaf());
  Get(TlsNaf());  // a cache hit publishes nothing
  std::vector<DaemonEvent> events = TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, DaemonEventType::kBootstrapped);
  EXPECT_EQ(events[0].btid, key.btid);
  EXPECT_EQ(events[0].expiry, key.expiry);
  EXPECT_EQ(events[0].mode, GbaMode::kGbaU);
  EXPECT_LE(absl::AbsDuration(events[0].time - clock_.UtcNow()), absl::Seconds(30));
  EXPECT_TRUE(events[0].error.ok());
}

TEST_F(SessionManagerTest, AFailedBootstrapPublishesOneErrorForAllItsWaiters) {
  Provision(false);
  InsertCard(false);
  const int port = FreePort();
  ASSERT_GT(port, 0);
  MakeManager(absl::StrCat("http://127.0.0.1:", port, "/"));
  constexpr int kCallers = 5;
  counting_->Hold();
  std::vector<absl::StatusOr<NafKey>> results = NotRun(kCallers);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = manager_->GetNafKey(TlsNaf(), false); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  for (int i = 1; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = manager_->GetNafKey(TlsNaf(), false); });
  }
  const bool lined_up = WaitForWaiters(kCallers - 1);
  counting_->Release();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(lined_up);

  std::vector<DaemonEvent> events = TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, DaemonEventType::kError);
  EXPECT_EQ(GetGbaErrorReason(events[0].error), GbaErrorReason::kBsfUnreachable);
  EXPECT_EQ(events[0].error, results[0].status());
}

TEST_F(SessionManagerTest, WipeIfExpiredPublishesSessionExpiredAndStatusReportsIt) {
  SetUpAll(false);
  absl::StatusOr<SessionSummary> first = manager_->Bootstrap();
  ASSERT_TRUE(first.ok()) << first.status();
  TakeEvents();

  clock_.Advance(absl::Hours(2));
  EXPECT_TRUE(manager_->WipeIfExpired());
  std::vector<DaemonEvent> events = TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, DaemonEventType::kSessionExpired);
  SessionManagerStatus status = manager_->Status();
  EXPECT_FALSE(status.session.has_value());
  ASSERT_TRUE(status.expired_session.has_value());
  EXPECT_EQ(status.expired_session->btid, first->btid);
  EXPECT_EQ(status.expired_session->expiry, first->expiry);

  manager_->InvalidateSession("card removed");
  EXPECT_FALSE(manager_->Status().expired_session.has_value());
  EXPECT_TRUE(TakeEvents().empty()) << "the CardWatcher reports removals, not the manager";
}

TEST_F(SessionManagerTest, ARequestThatFindsTheSessionExpiredPublishesItToo) {
  SetUpAll(false);
  NafKey first = Get(TlsNaf());
  TakeEvents();
  // Just past the refresh deadline (expiry minus the 60 s margin): the fake UTC clock moves
  // too, and the BSF's next lifetime is counted from the real clock, so stay close.
  clock_.Advance(first.expiry - absl::Seconds(60) - clock_.UtcNow() + absl::Seconds(1));
  NafKey renewed = Get(TlsNaf());
  EXPECT_NE(renewed.btid, first.btid);
  EXPECT_FALSE(manager_->Status().expired_session.has_value()) << "a new session replaced it";
  EXPECT_FALSE(manager_->WipeIfExpired()) << "nothing left for the timer";
  std::vector<DaemonEvent> events = TakeEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, DaemonEventType::kSessionExpired);
  EXPECT_EQ(events[0].expiry, first.expiry);
  EXPECT_EQ(events[1].type, DaemonEventType::kBootstrapped);
  EXPECT_EQ(events[1].btid, renewed.btid);
}

TEST_F(SessionManagerTest, AForcedBootstrapThatNeverReachedTheCardKeepsTheGbaUSession) {
  SetUpAll(/*gba_u=*/true);
  const NafKey first = Get(TlsNaf());
  ASSERT_FALSE(first.btid.empty());
  bsf_->Stop();  // BSF unreachable: the bootstrap fails before any AUTHENTICATE
  absl::StatusOr<NafKey> forced = manager_->GetNafKey(TlsNaf(), /*force_bootstrap=*/true);
  ASSERT_FALSE(forced.ok());
  EXPECT_EQ(GetGbaErrorReason(forced.status()), GbaErrorReason::kBsfUnreachable);
  const int derivations = counting_->naf_derivations;
  const NafKey cached = Get(TlsNaf());
  EXPECT_TRUE(cached.cache_hit);
  EXPECT_EQ(cached.btid, first.btid);
  EXPECT_EQ(cached.key.RevealHex(), first.key.RevealHex());
  // A key not cached yet is still derived on the card from the same session.
  const NafKey other = Get(DigestNaf());
  EXPECT_EQ(other.btid, first.btid);
  EXPECT_EQ(counting_->naf_derivations, derivations + 1);
}

TEST_F(SessionManagerTest, AForcedBootstrapThatReachedTheCardDropsTheGbaUSession) {
  SetUpAll(/*gba_u=*/true);
  const NafKey first = Get(TlsNaf());
  ASSERT_FALSE(first.btid.empty());
  // The HSS now holds another K: the card rejects AUTN (after an AUTHENTICATE was sent).
  {
    absl::StatusOr<std::unique_ptr<bsf::SubscriberStore>> store =
        bsf::SubscriberStore::Open(dir_.File("hss.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<bsf::Subscriber>> subs = bsf::ParseSubscriberImport(
        absl::StrCat(R"({"subscribers": [{"imsi": ")", kTestImsi,
                     R"(", "k": "00112233445566778899aabbccddeeff", "opc": ")", kTestOpc,
                     R"(", "gba_u": true}]})"));
    ASSERT_TRUE(subs.ok()) << subs.status();
    ASSERT_TRUE((*store)->Import(*subs, /*replace=*/true).ok());
  }
  const int auths = counting_->bootstrap_auths;
  absl::StatusOr<NafKey> forced = manager_->GetNafKey(TlsNaf(), /*force_bootstrap=*/true);
  ASSERT_FALSE(forced.ok());
  EXPECT_GT(counting_->bootstrap_auths, auths);
  // The card's Ks may have changed (TS 31.102 §7.1.2.4): the old session is not used again.
  absl::StatusOr<NafKey> after = manager_->GetNafKey(TlsNaf(), false);
  EXPECT_FALSE(after.ok()) << "the dropped session's cached key was served";
}

TEST_F(SessionManagerTest, AnInvalidatedBootstrapIsCardRemoved) {
  SetUpAll(false);
  counting_->Hold();
  absl::StatusOr<NafKey> result = absl::UnknownError("not run");
  std::thread caller([&] { result = manager_->GetNafKey(TlsNaf(), false); });
  ASSERT_TRUE(counting_->WaitUntilEntered());
  manager_->InvalidateSession("card removed");
  counting_->Release();
  caller.join();
  EXPECT_EQ(GetCardErrorReason(result.status()), CardErrorReason::kCardRemoved) << result.status();
}

}  // namespace
}  // namespace gbabridge::daemon
