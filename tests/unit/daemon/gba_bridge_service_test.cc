// GbaBridgeService over a real in-process gRPC server: a policy parsed from TOML, a settable
// caller identity, the SessionManager on the in-process soft USIM, and the in-process BSF
// (bsf_sim BsfServer on loopback). Keys are checked against the NAF's side (Zn); every error
// reason reachable through the API is checked as a client sees it (code and trailers).
#include "bootstrap/daemon/gba_bridge_service.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../bsf_sim/bsf_sim_test_util.h"
#include "../soft_usim/soft_usim_test_util.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/daemon/audit_log.h"
#include "bootstrap/protocol/naf_id.h"
#include "bootstrap/wire/wire_error.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "bsf_sim/bsf_server.h"
#include "bsf_sim/subscriber_import.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"
#include "uicc/in_process_transport.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/usim.h"

namespace gbabridge::daemon {
namespace {

namespace v1 = ::gbabridge::v1;
using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::kTestImsi;
using ::gbabridge::bsf::testing::kTestK;
using ::gbabridge::bsf::testing::kTestOpc;
using ::gbabridge::bsf::testing::TempDir;

constexpr char kToken[] = "zn-token-for-naf-example-org";
constexpr char kNaf[] = "naf.example.org";
// Another K than the card's: the BSF's AUTN then fails the card's MAC check.
constexpr char kOtherK[] = "000102030405060708090a0b0c0d0e0f";

constexpr char kPolicy[] = R"(
[[client]]
name = "meter"
uids = [1001]
naf_patterns = ["naf.example.org", "*.m2m.example.org"]
ua_ids = ["01000100ae", "0100000002"]
may_request_gba_me = true

[[client]]
name = "admin"
uids = [0]
naf_patterns = ["naf.example.org"]
ua_ids = ["*"]
may_read_impi = true

[[client]]
name = "limited"
uids = [2002]
naf_patterns = ["naf.example.org"]
ua_ids = ["*"]
rate_limit = { requests = 2, per_seconds = 3600 }

[[client]]
name = "pinned"
uids = [3003]
naf_patterns = ["naf.example.org"]
ua_ids = ["*"]
may_force_bootstrap = false
)";

constexpr uint32_t kMeter = 1001;
constexpr uint32_t kAdmin = 0;
constexpr uint32_t kLimited = 2002;
constexpr uint32_t kPinned = 3003;
constexpr uint32_t kStranger = 4242;

std::string UaBytes(const UaSecurityProtocolId& ua) {
  return std::string(ua.octets().begin(), ua.octets().end());
}
const std::string kTlsUa = UaBytes(UaSecurityProtocolId::Tls(0x00AE));

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct World {
  // The HSS (bsf-sim's subscriber database).
  std::string hss_imsi = kTestImsi;
  std::string hss_k = kTestK;
  bool hss_gba_u = false;
  // The card.
  bool card_gba_u = false;
  std::string card_extra;  // soft-usim profile lines, e.g. a PIN
  bool no_card = false;    // the UsimProvider reports NO_CARD
  // The BSF: false points the daemon at a closed loopback port.
  bool bsf_up = true;
};

// A World with some fields changed (designated initialisers would trip
// -Wmissing-field-initializers).
template <typename F>
World With(F change) {
  World setup;
  change(setup);
  return setup;
}

// What a client sees of a failed call.
struct Failure {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string reason;  // the gbabridge-error-reason trailer
  std::string domain;  // the gbabridge-error-domain trailer
  std::string message;
};

Failure Observe(const grpc::Status& status, const grpc::ClientContext& context) {
  Failure f;
  const absl::Status local = wire::FromGrpcStatus(status, context.GetServerTrailingMetadata());
  f.code = local.code();
  f.reason = wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata());
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find(wire::kErrorDomainTrailer); it != trailers.end()) {
    f.domain.assign(it->second.data(), it->second.size());
  }
  f.message = status.error_message();
  // The client-side helpers agree with the raw trailer.
  EXPECT_EQ(std::string(wire::ErrorReasonName(local)),
            f.reason.empty() ? "ERROR_REASON_UNSPECIFIED" : f.reason);
  return f;
}

#define EXPECT_FAILURE(failure, expected_code, expected_reason)        \
  do {                                                                 \
    const Failure& f_ = (failure);                                     \
    EXPECT_EQ(f_.code, absl::StatusCode::expected_code) << f_.message; \
    EXPECT_EQ(f_.reason, expected_reason) << f_.message;               \
    EXPECT_EQ(f_.domain, "gbabridge.dev");                             \
  } while (0)

class GbaBridgeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The audit logger as the daemon would register it, writing into audit_.
    spdlog::drop(kAuditLoggerName);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(audit_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>(kAuditLoggerName, sink);
    spdlog::register_logger(logger);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      events_.Close();
      server_->Shutdown();
    }
    if (bsf_ != nullptr) bsf_->Stop();
    spdlog::drop(kAuditLoggerName);
  }

  void Start(const World& setup = World()) {
    // HSS and BSF.
    absl::StatusOr<std::unique_ptr<bsf::SubscriberStore>> store =
        bsf::SubscriberStore::Open(dir_.File("hss.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<bsf::Subscriber>> subs = bsf::ParseSubscriberImport(absl::StrCat(
        R"({"subscribers": [{"imsi": ")", setup.hss_imsi, R"(", "k": ")", setup.hss_k,
        R"(", "opc": ")", kTestOpc, R"(", "gba_u": )", setup.hss_gba_u ? "true" : "false", "}]}"));
    ASSERT_TRUE(subs.ok()) << subs.status();
    ASSERT_TRUE((*store)->Import(*subs, /*replace=*/true).ok());
    std::string bsf_url;
    if (setup.bsf_up) {
      bsf::BsfConfig config;
      config.ub_listen = "127.0.0.1:0";
      config.zn_listen = "127.0.0.1:0";
      config.db = dir_.File("hss.db");
      config.bsf_name = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
      config.naf_tokens.push_back(*bsf::MakeNafToken(kNaf, kToken));
      absl::StatusOr<std::unique_ptr<bsf::BsfServer>> server = bsf::BsfServer::Create(config);
      ASSERT_TRUE(server.ok()) << server.status();
      bsf_ = *std::move(server);
      ASSERT_TRUE(bsf_->Start().ok());
      bsf_url = absl::StrCat("http://127.0.0.1:", bsf_->ub_port(), "/");
    } else {
      const int port = FreePort();
      ASSERT_GT(port, 0);
      bsf_url = absl::StrCat("http://127.0.0.1:", port, "/");
    }

    // The card.
    card_ = soft_usim_testing::MakeCard(dir_.File("card.json"), setup.card_extra, setup.card_gba_u);
    ASSERT_NE(card_, nullptr);
    channel_ = std::make_unique<InProcessTransport>(*card_);
    usim_ = std::make_unique<Usim>(*channel_);

    SessionManagerOptions options;
    options.client.bsf_url = bsf_url;
    options.client.connect_timeout = absl::Seconds(2);
    options.client.total_timeout = absl::Seconds(10);
    options.on_event = [this](const DaemonEvent& event) { events_.Publish(event); };
    const bool no_card = setup.no_card;
    sessions_ = std::make_unique<SessionManager>(
        [this, no_card]() -> absl::StatusOr<Usim*> {
          if (no_card) return CardError(CardErrorReason::kNoCard, "no card in reader Test 00 00");
          return usim_.get();
        },
        std::move(options));

    absl::StatusOr<Policy> policy = Policy::Parse(kPolicy, "test");
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);

    snapshot_.reader = "Virtual PCD 00 00";
    snapshot_.card_present = !setup.no_card;
    snapshot_.iccid = "8900101012345678901";
    snapshot_.imsi_masked = "00101*******89";
    snapshot_.gba_u_capable = setup.card_gba_u;
    snapshot_.pin = PinStatus::kDisabled;
    snapshot_.bsf_url = bsf_url;

    service_ = std::make_unique<GbaBridgeService>(
        *sessions_, policy_, rate_limiter_, events_,
        [this](const grpc::ServerContext&) -> absl::StatusOr<PeerIdentity> {
          std::lock_guard<std::mutex> lock(mu_);
          return peer_;
        },
        [this] {
          std::lock_guard<std::mutex> lock(mu_);
          return snapshot_;
        },
        GbaBridgeServiceOptions{.daemon_version = "9.8.7"});
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::GbaBridge::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void SetPeer(absl::StatusOr<PeerIdentity> peer) {
    std::lock_guard<std::mutex> lock(mu_);
    peer_ = std::move(peer);
  }
  void CallAs(uint32_t uid) { SetPeer(PeerIdentity::Unix(uid, 5000 + uid)); }

  v1::GetNafKeyRequest KeyRequest(std::string fqdn = kNaf, std::string ua = kTlsUa) {
    v1::GetNafKeyRequest request;
    request.set_naf_fqdn(std::move(fqdn));
    request.set_ua_security_protocol_id(std::move(ua));
    return request;
  }

  grpc::Status GetNafKey(const v1::GetNafKeyRequest& request, v1::GetNafKeyResponse* response,
                         Failure* failure = nullptr) {
    grpc::ClientContext context;
    grpc::Status status = stub_->GetNafKey(&context, request, response);
    if (failure != nullptr) *failure = Observe(status, context);
    return status;
  }

  // A GetNafKey that must fail; what the client saw.
  Failure GetNafKeyFailure(const v1::GetNafKeyRequest& request) {
    v1::GetNafKeyResponse response;
    Failure failure;
    grpc::Status status = GetNafKey(request, &response, &failure);
    EXPECT_FALSE(status.ok());
    EXPECT_TRUE(response.key().empty());
    return failure;
  }

  // A Bootstrap that must fail; what the client saw.
  Failure BootstrapFailure(bool force, v1::GbaMode mode = v1::GBA_MODE_UNSPECIFIED) {
    grpc::ClientContext context;
    v1::BootstrapRequest request;
    request.set_force(force);
    request.set_gba_mode_preference(mode);
    v1::BootstrapResponse response;
    const grpc::Status status = stub_->Bootstrap(&context, request, &response);
    EXPECT_FALSE(status.ok());
    return Observe(status, context);
  }

  v1::GetNafKeyResponse GetNafKeyOk(const v1::GetNafKeyRequest& request) {
    v1::GetNafKeyResponse response;
    grpc::Status status = GetNafKey(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The NAF's side: Ks_(ext_)NAF over Zn, as hex.
  std::string ZnKeyHex(const std::string& btid, const std::string& fqdn, const std::string& ua) {
    auto stub = ::bsf::v1::Zn::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", bsf_->zn_port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    ::bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn(fqdn);
    request.set_ua_security_protocol_id(ua);
    ::bsf::v1::GetNafKeyResponse response;
    grpc::Status status = stub->GetNafKey(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return HexEncode(AsBytes(response.ks_naf()));
  }

  std::string AuditText() { return audit_.str(); }

  TempDir dir_;
  std::ostringstream audit_;
  std::unique_ptr<bsf::BsfServer> bsf_;
  std::unique_ptr<SoftUsim> card_;
  std::unique_ptr<InProcessTransport> channel_;
  std::unique_ptr<Usim> usim_;
  EventBus events_;
  std::unique_ptr<SessionManager> sessions_;
  Policy policy_;
  RateLimiter rate_limiter_;
  std::mutex mu_;
  absl::StatusOr<PeerIdentity> peer_ = PeerIdentity::Unix(kMeter, kMeter);
  CardSnapshot snapshot_;
  std::unique_ptr<GbaBridgeService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::GbaBridge::Stub> stub_;
};

// --- GetNafKey: success ---------------------------------------------------------------------

TEST_F(GbaBridgeServiceTest, AnAllowedCallerGetsTheKeyTheNafGetsGbaMe) {
  Start();
  CallAs(kMeter);
  const absl::Time before = absl::Now();
  v1::GetNafKeyResponse r = GetNafKeyOk(KeyRequest());
  ASSERT_EQ(r.key().size(), 32u);
  EXPECT_EQ(HexEncode(AsBytes(r.key())), ZnKeyHex(r.btid(), kNaf, kTlsUa));
  EXPECT_NE(r.btid().find("@bsf.mnc001.mcc001.pub.3gppnetwork.org"), std::string::npos) << r.btid();
  EXPECT_EQ(r.gba_mode(), v1::GBA_MODE_ME);
  const absl::Time expiry = FromTimestamp(r.key_expiry());
  EXPECT_GT(expiry, before + absl::Minutes(50));
  EXPECT_LT(expiry, absl::Now() + absl::Minutes(70));
  const Bytes naf_id = NafId::Create(kNaf, UaSecurityProtocolId::Tls(0x00AE))->Encode();
  EXPECT_EQ(r.naf_id(), std::string(naf_id.begin(), naf_id.end()));
  EXPECT_EQ(r.naf_id(), std::string(kNaf) + kTlsUa);
  EXPECT_TRUE(r.impi().empty()) << "meter has no may_read_impi";

  // Same key again, from the cache; the audit says so.
  v1::GetNafKeyResponse again = GetNafKeyOk(KeyRequest());
  EXPECT_EQ(again.key(), r.key());
  EXPECT_EQ(again.btid(), r.btid());

  const std::string audit = AuditText();
  EXPECT_NE(audit.find("info event=key_issued client=meter peer=\"uid=1001 gid=6001\" "
                       "naf=naf.example.org ua=01000100ae btid=" +
                       LogfmtValue(r.btid())),
            std::string::npos)
      << audit;
  EXPECT_NE(audit.find("mode=GBA_ME cache=miss"), std::string::npos) << audit;
  EXPECT_NE(audit.find("mode=GBA_ME cache=hit"), std::string::npos) << audit;
  EXPECT_NE(audit.find(absl::FormatTime("expiry=%Y-%m-%dT%H:%M:%SZ", expiry, absl::UTCTimeZone())),
            std::string::npos)
      << audit;
  // Never the key (in any case) and never the IMPI.
  const std::string key_hex = HexEncode(AsBytes(r.key()));
  EXPECT_EQ(audit.find(key_hex), std::string::npos);
  EXPECT_EQ(absl::AsciiStrToLower(audit).find(key_hex), std::string::npos);
  EXPECT_EQ(audit.find(kTestImpi), std::string::npos);
  EXPECT_EQ(audit.find(kTestImsi), std::string::npos);
}

TEST_F(GbaBridgeServiceTest, AnAllowedCallerGetsTheKeyTheNafGetsGbaU) {
  Start(With([](World& s) { s.hss_gba_u = s.card_gba_u = true; }));
  CallAs(kMeter);
  v1::GetNafKeyRequest request = KeyRequest("NAF.Example.ORG");  // case-insensitive
  request.set_gba_mode_preference(v1::GBA_MODE_U);
  v1::GetNafKeyResponse r = GetNafKeyOk(request);
  EXPECT_EQ(r.gba_mode(), v1::GBA_MODE_U);
  EXPECT_EQ(r.naf_id(), std::string(kNaf) + kTlsUa) << "lower-cased before derivation";
  EXPECT_EQ(HexEncode(AsBytes(r.key())), ZnKeyHex(r.btid(), kNaf, kTlsUa));
  EXPECT_NE(AuditText().find("mode=GBA_U cache=miss"), std::string::npos) << AuditText();
}

TEST_F(GbaBridgeServiceTest, AModePreferenceBootstrapsInThatMode) {
  Start(With([](World& s) { s.hss_gba_u = s.card_gba_u = true; }));
  CallAs(kMeter);
  v1::GetNafKeyResponse u = GetNafKeyOk(KeyRequest());
  EXPECT_EQ(u.gba_mode(), v1::GBA_MODE_U) << "the daemon prefers GBA_U on a GBA-aware card";
  v1::GetNafKeyRequest me_request = KeyRequest();
  me_request.set_gba_mode_preference(v1::GBA_MODE_ME);
  v1::GetNafKeyResponse me = GetNafKeyOk(me_request);
  EXPECT_EQ(me.gba_mode(), v1::GBA_MODE_ME);
  EXPECT_NE(me.btid(), u.btid());
  EXPECT_EQ(HexEncode(AsBytes(me.key())), ZnKeyHex(me.btid(), kNaf, kTlsUa));
}

TEST_F(GbaBridgeServiceTest, TheImpiOnlyForEntriesThatMayReadIt) {
  Start();
  CallAs(kAdmin);
  v1::GetNafKeyResponse admin = GetNafKeyOk(KeyRequest());
  EXPECT_EQ(admin.impi(), kTestImpi);
  CallAs(kMeter);
  v1::GetNafKeyResponse meter = GetNafKeyOk(KeyRequest());
  EXPECT_TRUE(meter.impi().empty());
  EXPECT_EQ(meter.key(), admin.key()) << "same NAF, same session";
  EXPECT_EQ(AuditText().find(kTestImpi), std::string::npos) << "never in the audit";
}

TEST_F(GbaBridgeServiceTest, ForceBootstrapGivesANewBtid) {
  Start();
  CallAs(kMeter);
  v1::GetNafKeyResponse first = GetNafKeyOk(KeyRequest());
  v1::GetNafKeyRequest request = KeyRequest();
  request.set_force_bootstrap(true);
  v1::GetNafKeyResponse forced = GetNafKeyOk(request);
  EXPECT_NE(forced.btid(), first.btid());
  EXPECT_EQ(HexEncode(AsBytes(forced.key())), ZnKeyHex(forced.btid(), kNaf, kTlsUa));
}

// What a request asks of the session every client shares is policy too (threat model L10):
// force_bootstrap needs may_force_bootstrap (on unless an entry says false), GBA_MODE_ME needs
// may_request_gba_me (off unless stated). Refused before any card access, and audited.
TEST_F(GbaBridgeServiceTest, ForcingABootstrapOrAskingForGbaMeIsPolicy) {
  Start(With([](World& s) { s.hss_gba_u = s.card_gba_u = true; }));
  CallAs(kPinned);
  v1::GetNafKeyResponse first = GetNafKeyOk(KeyRequest());
  EXPECT_EQ(first.gba_mode(), v1::GBA_MODE_U);
  const size_t apdus = channel_->apdu_count();
  v1::GetNafKeyRequest forced = KeyRequest();
  forced.set_force_bootstrap(true);
  EXPECT_FAILURE(GetNafKeyFailure(forced), kPermissionDenied, "OPERATION_NOT_ALLOWED");
  EXPECT_FAILURE(BootstrapFailure(/*force=*/true), kPermissionDenied, "OPERATION_NOT_ALLOWED");

  CallAs(kAdmin);  // may force, may not ask for GBA_ME
  v1::GetNafKeyRequest me = KeyRequest();
  me.set_gba_mode_preference(v1::GBA_MODE_ME);
  EXPECT_FAILURE(GetNafKeyFailure(me), kPermissionDenied, "OPERATION_NOT_ALLOWED");
  EXPECT_FAILURE(BootstrapFailure(/*force=*/false, v1::GBA_MODE_ME), kPermissionDenied,
                 "OPERATION_NOT_ALLOWED");
  EXPECT_EQ(channel_->apdu_count(), apdus) << "refused before any card access";
  EXPECT_NE(AuditText().find("OPERATION_NOT_ALLOWED"), std::string::npos) << AuditText();

  // Asking for GBA_U (the card's own mode) needs nothing; the session is the first one.
  v1::GetNafKeyRequest u = KeyRequest();
  u.set_gba_mode_preference(v1::GBA_MODE_U);
  EXPECT_EQ(GetNafKeyOk(u).btid(), first.btid());
  v1::GetNafKeyRequest admin_forced = KeyRequest();
  admin_forced.set_force_bootstrap(true);
  EXPECT_NE(GetNafKeyOk(admin_forced).btid(), first.btid());
}

// A mode preference that would replace the live session is a forced bootstrap for every
// client: a caller that may not force one may not do it this way either.
TEST_F(GbaBridgeServiceTest, AModeChangeCountsAsForcingABootstrap) {
  Start(With([](World& s) { s.hss_gba_u = s.card_gba_u = true; }));
  CallAs(kMeter);
  v1::GetNafKeyRequest me = KeyRequest();
  me.set_gba_mode_preference(v1::GBA_MODE_ME);
  const v1::GetNafKeyResponse shared = GetNafKeyOk(me);
  ASSERT_EQ(shared.gba_mode(), v1::GBA_MODE_ME);

  CallAs(kPinned);
  const size_t apdus = channel_->apdu_count();
  v1::GetNafKeyRequest u = KeyRequest();
  u.set_gba_mode_preference(v1::GBA_MODE_U);
  EXPECT_FAILURE(GetNafKeyFailure(u), kPermissionDenied, "OPERATION_NOT_ALLOWED");
  EXPECT_FAILURE(BootstrapFailure(/*force=*/false, v1::GBA_MODE_U), kPermissionDenied,
                 "OPERATION_NOT_ALLOWED");
  EXPECT_EQ(channel_->apdu_count(), apdus);
  // Without a preference it is served from the shared session.
  EXPECT_EQ(GetNafKeyOk(KeyRequest()).btid(), shared.btid());
}

// --- GetNafKey: every error a caller can meet -----------------------------------------------

TEST_F(GbaBridgeServiceTest, PolicyRefusalsArePermissionDenied) {
  Start();
  const size_t apdus = channel_->apdu_count();

  CallAs(kStranger);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kPermissionDenied, "CALLER_NOT_ALLOWED");
  SetPeer(absl::UnavailableError("SO_PEERCRED failed"));
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kPermissionDenied, "CALLER_NOT_ALLOWED");
  SetPeer(PeerIdentity::Certificate("CN=nobody"));
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kPermissionDenied, "CALLER_NOT_ALLOWED");

  CallAs(kMeter);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest("other.example.org")), kPermissionDenied,
                 "NAF_NOT_ALLOWED");
  // "*.m2m.example.org" does not match the bare suffix.
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest("m2m.example.org")), kPermissionDenied,
                 "NAF_NOT_ALLOWED");
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest(kNaf, UaBytes(UaSecurityProtocolId::GenericPush()))),
                 kPermissionDenied, "UA_NOT_ALLOWED");

  EXPECT_EQ(channel_->apdu_count(), apdus) << "refused before any card access";
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("warning event=denied rpc=GetNafKey peer=\"uid=4242 gid=9242\" "
                       "naf=naf.example.org ua=01000100ae reason=CALLER_NOT_ALLOWED "
                       "code=PERMISSION_DENIED"),
            std::string::npos)
      << audit;
  EXPECT_NE(audit.find("peer=\"unidentified peer\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("client=meter naf=other.example.org ua=01000100ae "
                       "reason=NAF_NOT_ALLOWED"),
            std::string::npos)
      << audit;
  EXPECT_NE(audit.find("reason=UA_NOT_ALLOWED"), std::string::npos) << audit;
}

TEST_F(GbaBridgeServiceTest, ABadNafFqdnIsIncorrectNafIdEvenForAStranger) {
  Start();
  for (uint32_t uid : {kMeter, kStranger}) {
    CallAs(uid);
    for (const char* fqdn : {"", "localhost", "naf..example.org", "-naf.example.org",
                             "naf.example.org.", "naf_x.example.org", "naf example.org"}) {
      SCOPED_TRACE(absl::StrCat("fqdn '", fqdn, "'"));
      EXPECT_FAILURE(GetNafKeyFailure(KeyRequest(fqdn)), kInvalidArgument, "INCORRECT_NAF_ID");
    }
  }
  EXPECT_NE(AuditText().find("event=denied rpc=GetNafKey"), std::string::npos);
  EXPECT_NE(AuditText().find("naf=\"naf example.org\""), std::string::npos) << AuditText();
}

TEST_F(GbaBridgeServiceTest, ABadUaIdIsSecurityProtocolNotSupportedEvenForAStranger) {
  Start();
  for (uint32_t uid : {kMeter, kStranger}) {
    CallAs(uid);
    for (const std::string& ua :
         {std::string(), std::string("\x01\x00\x01\x00", 4),
          std::string("\x01\x00\x01\x00\xAE\x00", 6),
          std::string("\x05\x00\x00\x00\x01", 5),     // unassigned organisation octet
          std::string("\x00\x00\x00\x00\x01", 5)}) {  // 0x00 only as 00 00 00 00 00
      SCOPED_TRACE(absl::StrCat("ua ", HexEncode(AsBytes(ua))));
      EXPECT_FAILURE(GetNafKeyFailure(KeyRequest(kNaf, ua)), kInvalidArgument,
                     "SECURITY_PROTOCOL_NOT_SUPPORTED");
    }
  }
}

TEST_F(GbaBridgeServiceTest, AnUnknownGbaModeIsGbaNotSupported) {
  Start();
  CallAs(kMeter);
  v1::GetNafKeyRequest request = KeyRequest();
  request.set_gba_mode_preference(static_cast<v1::GbaMode>(7));
  EXPECT_FAILURE(GetNafKeyFailure(request), kFailedPrecondition, "GBA_NOT_SUPPORTED");
}

TEST_F(GbaBridgeServiceTest, TheRateLimitIsResourceExhaustedBeforeAnyCardAccess) {
  Start();
  CallAs(kLimited);
  GetNafKeyOk(KeyRequest());
  GetNafKeyOk(KeyRequest());
  const size_t apdus = channel_->apdu_count();
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kResourceExhausted, "RATE_LIMITED");
  // Bootstrap draws from the same bucket.
  grpc::ClientContext context;
  v1::BootstrapResponse response;
  grpc::Status status = stub_->Bootstrap(&context, v1::BootstrapRequest(), &response);
  EXPECT_FAILURE(Observe(status, context), kResourceExhausted, "RATE_LIMITED");
  EXPECT_EQ(channel_->apdu_count(), apdus);
  // Other clients have their own buckets.
  CallAs(kMeter);
  GetNafKeyOk(KeyRequest());
  EXPECT_NE(AuditText().find("client=limited naf=naf.example.org ua=01000100ae "
                             "reason=RATE_LIMITED code=RESOURCE_EXHAUSTED"),
            std::string::npos)
      << AuditText();
}

TEST_F(GbaBridgeServiceTest, NoCardIsUnavailable) {
  Start(With([](World& s) { s.no_card = true; }));
  CallAs(kMeter);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kUnavailable, "NO_CARD");
  EXPECT_NE(AuditText().find("warning event=failed rpc=GetNafKey"), std::string::npos);
  EXPECT_NE(AuditText().find("reason=NO_CARD code=UNAVAILABLE"), std::string::npos);
}

TEST_F(GbaBridgeServiceTest, AnUnreachableBsfIsUnavailable) {
  Start(With([](World& s) { s.bsf_up = false; }));
  CallAs(kMeter);
  Failure f = GetNafKeyFailure(KeyRequest());
  EXPECT_FAILURE(f, kUnavailable, "BSF_UNREACHABLE");
  EXPECT_NE(f.message.find("127.0.0.1"), std::string::npos) << "says which BSF: " << f.message;
}

TEST_F(GbaBridgeServiceTest, APinProtectedCardIsPinRequired) {
  Start(With([](World& s) { s.card_extra = "pin = \"1234\"\npin_enabled = true\n"; }));
  CallAs(kMeter);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kFailedPrecondition, "PIN_REQUIRED");
}

TEST_F(GbaBridgeServiceTest, AFalseNetworkIsNetworkAuthFailed) {
  Start(With([](World& s) { s.hss_k = kOtherK; }));
  CallAs(kMeter);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kUnauthenticated, "NETWORK_AUTH_FAILED");
}

TEST_F(GbaBridgeServiceTest, AnUnknownSubscriberIsBsfRejected) {
  Start(With([](World& s) { s.hss_imsi = "001010000000042"; }));
  CallAs(kMeter);
  EXPECT_FAILURE(GetNafKeyFailure(KeyRequest()), kUnauthenticated, "BSF_REJECTED");
}

TEST_F(GbaBridgeServiceTest, GbaUOnACardWithoutGbaIsGbaUNotSupported) {
  Start(With([](World& s) { s.card_gba_u = false; }));
  CallAs(kMeter);
  v1::GetNafKeyRequest request = KeyRequest();
  request.set_gba_mode_preference(v1::GBA_MODE_U);
  EXPECT_FAILURE(GetNafKeyFailure(request), kFailedPrecondition, "GBA_U_NOT_SUPPORTED");
  // Without the preference the same card serves GBA_ME keys.
  request.set_gba_mode_preference(v1::GBA_MODE_UNSPECIFIED);
  EXPECT_EQ(GetNafKeyOk(request).gba_mode(), v1::GBA_MODE_ME);
}

// --- Bootstrap ------------------------------------------------------------------------------

TEST_F(GbaBridgeServiceTest, BootstrapReturnsTheSessionAndReusesIt) {
  Start();
  CallAs(kMeter);
  auto bootstrap = [&](bool force, v1::BootstrapResponse* response) {
    grpc::ClientContext context;
    v1::BootstrapRequest request;
    request.set_force(force);
    return stub_->Bootstrap(&context, request, response);
  };
  v1::BootstrapResponse first;
  ASSERT_TRUE(bootstrap(false, &first).ok());
  EXPECT_FALSE(first.btid().empty());
  EXPECT_EQ(first.gba_mode(), v1::GBA_MODE_ME);
  EXPECT_GT(FromTimestamp(first.expiry()), absl::Now() + absl::Minutes(50));
  v1::BootstrapResponse same;
  ASSERT_TRUE(bootstrap(false, &same).ok());
  EXPECT_EQ(same.btid(), first.btid());
  v1::BootstrapResponse forced;
  ASSERT_TRUE(bootstrap(true, &forced).ok());
  EXPECT_NE(forced.btid(), first.btid());
  // GetNafKey uses that session.
  EXPECT_EQ(GetNafKeyOk(KeyRequest()).btid(), forced.btid());
  EXPECT_NE(AuditText().find("info event=bootstrap client=meter"), std::string::npos);

  CallAs(kStranger);
  grpc::ClientContext context;
  v1::BootstrapResponse denied;
  grpc::Status status = stub_->Bootstrap(&context, v1::BootstrapRequest(), &denied);
  EXPECT_FAILURE(Observe(status, context), kPermissionDenied, "CALLER_NOT_ALLOWED");
}

TEST_F(GbaBridgeServiceTest, BootstrapGbaUOnACardWithoutGba) {
  Start();
  CallAs(kMeter);
  grpc::ClientContext context;
  v1::BootstrapRequest request;
  request.set_gba_mode_preference(v1::GBA_MODE_U);
  v1::BootstrapResponse response;
  grpc::Status status = stub_->Bootstrap(&context, request, &response);
  EXPECT_FAILURE(Observe(status, context), kFailedPrecondition, "GBA_U_NOT_SUPPORTED");
}

// --- GetStatus ------------------------------------------------------------------------------

TEST_F(GbaBridgeServiceTest, GetStatusReportsTheSnapshotAndTheSession) {
  Start(With([](World& s) { s.hss_gba_u = s.card_gba_u = true; }));
  CallAs(kLimited);  // any entry may ask; GetStatus is not rate limited
  auto get_status = [&]() {
    grpc::ClientContext context;
    v1::GetStatusResponse response;
    EXPECT_TRUE(stub_->GetStatus(&context, v1::GetStatusRequest(), &response).ok());
    return response;
  };
  for (int i = 0; i < 3; ++i) get_status();
  const size_t apdus = channel_->apdu_count();
  v1::GetStatusResponse before = get_status();
  EXPECT_EQ(channel_->apdu_count(), apdus) << "GetStatus never touches the card";
  EXPECT_EQ(before.daemon_version(), "9.8.7");
  EXPECT_EQ(before.reader(), "Virtual PCD 00 00");
  EXPECT_TRUE(before.card_present());
  EXPECT_EQ(before.imsi_masked(), "00101*******89");
  EXPECT_TRUE(before.gba_u_capable());
  EXPECT_EQ(before.pin_state(), v1::PIN_STATE_DISABLED);
  EXPECT_EQ(before.bsf_url(), snapshot_.bsf_url);
  EXPECT_EQ(before.session_state(), v1::SESSION_STATE_NONE);
  EXPECT_FALSE(before.has_session_expiry());
  EXPECT_EQ(before.gba_mode(), v1::GBA_MODE_UNSPECIFIED);

  CallAs(kMeter);
  v1::GetNafKeyResponse key = GetNafKeyOk(KeyRequest());
  v1::GetStatusResponse after = get_status();
  EXPECT_EQ(after.session_state(), v1::SESSION_STATE_VALID);
  EXPECT_EQ(FromTimestamp(after.session_expiry()), FromTimestamp(key.key_expiry()));
  EXPECT_EQ(after.gba_mode(), v1::GBA_MODE_U);

  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_.pin = PinStatus::kBlocked;
  }
  EXPECT_EQ(get_status().pin_state(), v1::PIN_STATE_BLOCKED);

  CallAs(kStranger);
  grpc::ClientContext context;
  v1::GetStatusResponse denied;
  grpc::Status status = stub_->GetStatus(&context, v1::GetStatusRequest(), &denied);
  EXPECT_FAILURE(Observe(status, context), kPermissionDenied, "CALLER_NOT_ALLOWED");
}

// --- WatchEvents ----------------------------------------------------------------------------

TEST_F(GbaBridgeServiceTest, WatchEventsStartsWithASnapshotThenStreamsUntilCancelled) {
  Start();
  CallAs(kMeter);
  grpc::ClientContext watch;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      stub_->WatchEvents(&watch, v1::WatchEventsRequest());
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::EVENT_TYPE_SNAPSHOT);
  EXPECT_EQ(event.status().daemon_version(), "9.8.7");
  EXPECT_EQ(event.status().session_state(), v1::SESSION_STATE_NONE);
  EXPECT_EQ(event.reader(), "Virtual PCD 00 00");
  EXPECT_LE(absl::AbsDuration(FromTimestamp(event.time()) - absl::Now()), absl::Seconds(30));

  v1::GetNafKeyResponse key = GetNafKeyOk(KeyRequest());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::EVENT_TYPE_BOOTSTRAPPED);
  EXPECT_EQ(event.btid(), key.btid());
  EXPECT_EQ(FromTimestamp(event.expiry()), FromTimestamp(key.key_expiry()));
  EXPECT_EQ(event.gba_mode(), v1::GBA_MODE_ME);
  EXPECT_TRUE(event.error_code().empty());

  // Events from elsewhere in the daemon (the CardWatcher) come through the same bus.
  DaemonEvent removed;
  removed.type = DaemonEventType::kCardRemoved;
  removed.reader = "Virtual PCD 00 00";
  events_.Publish(removed);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::EVENT_TYPE_CARD_REMOVED);
  EXPECT_EQ(event.reader(), "Virtual PCD 00 00");
  EXPECT_TRUE(event.btid().empty());

  watch.TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server side notices within its poll interval and drops its subscription.
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (events_.subscriber_count() > 0 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(events_.subscriber_count(), 0u);
}

TEST_F(GbaBridgeServiceTest, WatchEventsReportsAFailedBootstrapAsAnError) {
  Start(With([](World& s) { s.bsf_up = false; }));
  CallAs(kMeter);
  grpc::ClientContext watch;
  auto reader = stub_->WatchEvents(&watch, v1::WatchEventsRequest());
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_EQ(event.type(), v1::EVENT_TYPE_SNAPSHOT);
  GetNafKeyFailure(KeyRequest());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::EVENT_TYPE_ERROR);
  EXPECT_EQ(event.error_code(), "UNAVAILABLE");
  EXPECT_EQ(event.error_reason(), "BSF_UNREACHABLE");
  EXPECT_FALSE(event.error_message().empty());
  watch.TryCancel();
  reader->Finish();
}

TEST_F(GbaBridgeServiceTest, WatchEventsEndsWhenTheDaemonShutsDown) {
  Start();
  CallAs(kMeter);
  grpc::ClientContext watch;
  auto reader = stub_->WatchEvents(&watch, v1::WatchEventsRequest());
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  events_.Close();
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GbaBridgeServiceTest, WatchEventsNeedsAPolicyEntry) {
  Start();
  CallAs(kStranger);
  grpc::ClientContext watch;
  auto reader = stub_->WatchEvents(&watch, v1::WatchEventsRequest());
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_FAILURE(Observe(status, watch), kPermissionDenied, "CALLER_NOT_ALLOWED");
}

// Each stream holds a server thread: one client may keep only a few open (oneM2M SER-001).
TEST_F(GbaBridgeServiceTest, WatchEventsStreamsPerClientAreCapped) {
  Start();
  CallAs(kMeter);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Event>>> readers;
  v1::Event event;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    readers.push_back(stub_->WatchEvents(contexts.back().get(), v1::WatchEventsRequest()));
    ASSERT_TRUE(readers.back()->Read(&event)) << i;
  }
  grpc::ClientContext fifth;
  auto refused = stub_->WatchEvents(&fifth, v1::WatchEventsRequest());
  EXPECT_FALSE(refused->Read(&event));
  grpc::Status status = refused->Finish();
  EXPECT_FAILURE(Observe(status, fifth), kResourceExhausted, "RATE_LIMITED");

  // Closing one frees its place.
  contexts[0]->TryCancel();
  readers[0]->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    grpc::ClientContext again;
    auto reader = stub_->WatchEvents(&again, v1::WatchEventsRequest());
    reopened = reader->Read(&event);
    again.TryCancel();
    reader->Finish();
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(reopened);
  for (size_t i = 1; i < contexts.size(); ++i) {
    contexts[i]->TryCancel();
    readers[i]->Finish();
  }
}

// --- Conversions ----------------------------------------------------------------------------

TEST(GbaBridgeConversionsTest, ModesPinStatesAndEvents) {
  EXPECT_EQ(GbaModeToProto(GbaMode::kGbaMe), v1::GBA_MODE_ME);
  EXPECT_EQ(GbaModeToProto(GbaMode::kGbaU), v1::GBA_MODE_U);
  EXPECT_EQ(*GbaModeFromProto(v1::GBA_MODE_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(*GbaModeFromProto(v1::GBA_MODE_ME), GbaMode::kGbaMe);
  EXPECT_EQ(*GbaModeFromProto(v1::GBA_MODE_U), GbaMode::kGbaU);
  EXPECT_FALSE(GbaModeFromProto(static_cast<v1::GbaMode>(3)).ok());

  EXPECT_EQ(PinStateToProto(PinStatus::kUnknown), v1::PIN_STATE_UNSPECIFIED);
  EXPECT_EQ(PinStateToProto(PinStatus::kDisabled), v1::PIN_STATE_DISABLED);
  EXPECT_EQ(PinStateToProto(PinStatus::kVerified), v1::PIN_STATE_VERIFIED);
  EXPECT_EQ(PinStateToProto(PinStatus::kRequired), v1::PIN_STATE_REQUIRED);
  EXPECT_EQ(PinStateToProto(PinStatus::kBlocked), v1::PIN_STATE_BLOCKED);

  DaemonEvent dropped;
  dropped.type = DaemonEventType::kEventsDropped;
  dropped.time = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
  v1::Event out = EventToProto(dropped);
  EXPECT_EQ(out.type(), v1::EVENT_TYPE_EVENTS_DROPPED);
  EXPECT_EQ(out.time().seconds(), 1700000000);
  EXPECT_EQ(out.time().nanos(), 250'000'000);

  DaemonEvent error;
  error.type = DaemonEventType::kError;
  error.reader = "r";
  error.error = CardError(CardErrorReason::kPcscdNotRunning, "pcscd is not running");
  out = EventToProto(error);
  EXPECT_EQ(out.type(), v1::EVENT_TYPE_ERROR);
  EXPECT_EQ(out.error_code(), "UNAVAILABLE");
  EXPECT_EQ(out.error_reason(), "PCSCD_NOT_RUNNING");
  EXPECT_EQ(out.error_message(), "pcscd is not running");
  EXPECT_EQ(out.reader(), "r");

  DaemonEvent expired;
  expired.type = DaemonEventType::kSessionExpired;
  EXPECT_EQ(EventToProto(expired).type(), v1::EVENT_TYPE_SESSION_EXPIRED);
  DaemonEvent inserted;
  inserted.type = DaemonEventType::kCardInserted;
  EXPECT_EQ(EventToProto(inserted).type(), v1::EVENT_TYPE_CARD_INSERTED);

  google::protobuf::Timestamp ts;
  SetTimestamp(absl::InfiniteFuture(), &ts);
  EXPECT_EQ(ts.seconds(), 253402300799);
  SetTimestamp(absl::InfinitePast(), &ts);
  EXPECT_EQ(ts.seconds(), -62135596800);
  EXPECT_EQ(ts.nanos(), 0);
}

TEST(AuditLogTest, LogfmtValuesAreQuotedWhenNeeded) {
  EXPECT_EQ(LogfmtValue("meter"), "meter");
  EXPECT_EQ(LogfmtValue(""), "\"\"");
  EXPECT_EQ(LogfmtValue("uid=1 gid=2"), "\"uid=1 gid=2\"");
  EXPECT_EQ(LogfmtValue("CN=a\"b\\c"), "\"CN=a\\\"b\\\\c\"");
  EXPECT_EQ(LogfmtValue("a\nb"), "\"a\\x0ab\"");
}

}  // namespace
}  // namespace gbabridge::daemon
