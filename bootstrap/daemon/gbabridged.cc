#include "bootstrap/daemon/gbabridged.h"

#include <dlfcn.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <span>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bootstrap/daemon/audit_log.h"
#include "uicc/base/secret_file.h"
#include "uicc/base/secure_memory.h"
#include "uicc/card_error.h"
#include "uicc/modem/modem_presence.h"
#include "uicc/modem/modem_transport.h"

namespace gbabridge::daemon {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the ", absl::string_view(what.data(), what.size()), " ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Locked memory the daemon may need for keys: the NAF-key cache (32-byte keys in 64-byte
// slots, with room for the arena's page granularity), Ks, the PIN and transient copies.
size_t MemlockNeeded(const DaemonConfig& config) {
  return 64 * 1024 + config.max_cached_naf_keys * 64;
}

constexpr char kServiceName[] = "gbabridge.v1.GbaBridge";

// gRPC server bounds (StartServer); the unit's TasksMax=128 leaves room for the rest.
constexpr int kMaxServerThreads = 64;
constexpr int kMaxStreamsPerConnection = 16;

// Audit lines (audit_log.h) go to `path` when set, else to the main log. The file is opened
// for appending (created with the process umask: 0600 under the unit's UMask=0077) and each
// line is flushed at once, so that an audit trail survives a crash.
absl::Status SetUpAuditLog(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    auto logger = std::make_shared<spdlog::logger>(kAuditLoggerName, std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    spdlog::drop(kAuditLoggerName);
    spdlog::register_logger(std::move(logger));
  } catch (const spdlog::spdlog_ex& error) {
    return absl::InvalidArgumentError(absl::StrCat("[log] audit_file (--audit-file): cannot open ",
                                                   path, " for appending: ", error.what()));
  }
  spdlog::info("audit lines go to {}", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Gbabridged>> Gbabridged::Create(DaemonConfig config,
                                                               GbabridgedHooks hooks) {
  if (absl::Status s = ValidateDaemonConfig(config); !s.ok()) return s;
  auto daemon = std::unique_ptr<Gbabridged>(new Gbabridged(std::move(config), std::move(hooks)));
  const DaemonConfig& c = daemon->config_;

  SecretBytes pin;
  std::string pin_path = c.pin_file;
  if (!c.pin_credential.empty()) {
    // systemd passes credentials as files in a private, non-swappable directory
    // (systemd.exec(5), "Credentials").
    const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
    if (credentials == nullptr || *credentials == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "[card] pin_credential \"", c.pin_credential,
          "\" needs systemd's LoadCredential= or LoadCredentialEncrypted= for this name: "
          "CREDENTIALS_DIRECTORY is not set"));
    }
    pin_path = absl::StrCat(credentials, "/", c.pin_credential);
  }
  if (!pin_path.empty()) {
    absl::StatusOr<SecretBytes> read = ReadPinFile(pin_path);
    if (!read.ok()) return read.status();
    pin = *std::move(read);
  }
  if (!c.unix_socket_group.empty()) {
    absl::StatusOr<gid_t> gid = ResolveGroup(c.unix_socket_group);
    if (!gid.ok()) return gid.status();
    daemon->socket_group_ = *gid;
  }
  if (!c.tcp.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(c.tls_cert_file, "TLS certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<SecretBytes> key = ReadSecretFile(c.tls_key_file, "the TLS private key");
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> ca = ReadPem(c.tls_client_ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    daemon->tls_cert_pem_ = *std::move(cert);
    daemon->tls_key_pem_ = *std::move(key);
    daemon->tls_client_ca_pem_ = *std::move(ca);
  }

  daemon->events_ = std::make_unique<EventBus>();
  std::unique_ptr<CardPresenceSource> source = std::move(daemon->hooks_.reader_states);
  if (c.transport == CardTransportKind::kModem) {
    // One AT link for the card transport and the presence poll: the port is exclusive.
    auto link = std::make_shared<modem::ModemLink>(
        modem::ModemOptions{.port = c.modem_port,
                            .baud = c.modem_baud,
                            .lock_dir = c.modem_lock_dir,
                            .command_timeout = c.modem_command_timeout});
    if (!daemon->hooks_.open_channel) {
      const bool logical_channel = c.modem_logical_channel;
      daemon->hooks_.open_channel =
          [link, logical_channel]() -> absl::StatusOr<std::unique_ptr<CardTransport>> {
        absl::StatusOr<std::unique_ptr<modem::ModemTransport>> transport =
            modem::ModemTransport::Connect(link, {.logical_channel = logical_channel});
        if (!transport.ok()) return transport.status();
        spdlog::info("modem {}: card reached through {}", link->options().port,
                     (*transport)->uses_logical_channel()
                         ? absl::StrCat("AT+CGLA on logical channel ", (*transport)->channel())
                         : std::string("AT+CSIM"));
        return std::unique_ptr<CardTransport>(std::move(*transport));
      };
    }
    if (source == nullptr) source = std::make_unique<modem::ModemPresenceSource>(link);
  }
  std::string rejections_path = c.pin_rejections_file;
  if (const char* state = std::getenv("STATE_DIRECTORY");
      rejections_path.empty() && state != nullptr && *state != '\0') {
    // systemd's StateDirectory= (several are ':'-separated; the first is ours).
    rejections_path =
        absl::StrCat(std::string(state).substr(0, std::string(state).find(':')), "/pin-rejections");
  }
  absl::StatusOr<PinRejections> rejections = PinRejections::Load(rejections_path);
  if (!rejections.ok()) return rejections.status();
  if (!rejections_path.empty()) {
    spdlog::info("PIN rejections are remembered in {} ({} so far)", rejections_path,
                 rejections->size());
  }
  daemon->slot_ =
      std::make_unique<CardSlot>(CardSlotOptions{.reader = c.reader,
                                                 .pin = std::move(pin),
                                                 .open_channel = daemon->hooks_.open_channel,
                                                 .rejections = *std::move(rejections)});
  SessionManagerOptions session_options;
  session_options.client.bsf_url = c.bsf_url;
  session_options.client.ca_file = c.bsf_ca_file;
  session_options.client.connect_timeout = c.connect_timeout;
  session_options.client.total_timeout = c.total_timeout;
  session_options.client.force_gba_me = c.force_gba_me;
  session_options.client.product = absl::StrCat("gbabridge/", kGbabridgedVersion);
  session_options.refresh_margin = c.refresh_margin;
  session_options.max_cached_naf_keys = c.max_cached_naf_keys;
  session_options.max_session_lifetime = c.max_session_lifetime;
  // kBootstrapped, kError (failed bootstraps) and kSessionExpired come from the manager.
  EventBus* events = daemon->events_.get();
  session_options.on_event = [events](const DaemonEvent& event) {
    if (event.type == DaemonEventType::kError &&
        GetCardErrorReason(event.error) == CardErrorReason::kGbaBootstrapChanged) {
      // Someone else bootstrapped the card: another PC/SC client has access to it (threat
      // model L9). The session is dropped and the next request bootstraps again.
      spdlog::warn("GBA_U session dropped: {}", std::string(event.error.message()));
    }
    events->Publish(event);
  };
  CardSlot* slot = daemon->slot_.get();
  daemon->sessions_ = std::make_unique<SessionManager>(
      [slot]() -> absl::StatusOr<Usim*> { return slot->Provide(); }, std::move(session_options));

  if (source == nullptr) source = MakePcscReaderStateSource();
  daemon->watcher_ = std::make_unique<CardWatcher>(
      *daemon->sessions_, *daemon->events_, std::move(source),
      CardWatcherOptions{.reader = c.reader,
                         .bsf_url = c.bsf_url,
                         // WipeIfExpired() publishes kSessionExpired through on_event.
                         .publish_session_expired = false,
                         .on_card_changed = [slot] { slot->NotifyCardChanged(); }});

  // The service takes the "audit" logger as registered now (audit_log.h).
  if (absl::Status s = SetUpAuditLog(c.audit_file); !s.ok()) return s;
  daemon->rate_limiter_ = std::make_unique<RateLimiter>();
  Gbabridged* self = daemon.get();
  CardWatcher* watcher = daemon->watcher_.get();
  daemon->service_ = std::make_unique<GbaBridgeService>(
      *daemon->sessions_, c.policy, *daemon->rate_limiter_, *daemon->events_,
      [self](const grpc::ServerContext& context) {
        return ResolvePeer(context, self->unix_listener_.get());
      },
      [watcher] { return watcher->Snapshot(); },
      GbaBridgeServiceOptions{.daemon_version = kGbabridgedVersion});
  return daemon;
}

Gbabridged::Gbabridged(DaemonConfig config, GbabridgedHooks hooks)
    : config_(std::move(config)), hooks_(std::move(hooks)) {}

Gbabridged::~Gbabridged() { Shutdown(); }

void Gbabridged::HardenProcess() {
  // No core dumps and no ptrace by other processes of this user: the process holds Ks
  // (GBA_ME) and NAF keys. Secure memory is also MADV_DONTDUMP, this covers the rest (gRPC
  // and TLS buffers in flight).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    spdlog::warn("prctl(PR_SET_DUMPABLE, 0) failed: the process stays dumpable");
  }
  rlimit memlock{};
  if (::getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 && memlock.rlim_cur != RLIM_INFINITY &&
      memlock.rlim_cur < MemlockNeeded(config_)) {
    spdlog::warn(
        "RLIMIT_MEMLOCK is {} bytes; about {} are needed to keep keys out of swap. Raise it "
        "(systemd: LimitMEMLOCK=8M; shell: ulimit -l)",
        memlock.rlim_cur, MemlockNeeded(config_));
  }
  // Allocate (and free) one secret now, so the arena's first chunk shows whether mlock works.
  { SecretBytes probe(32); }
  const SecureMemoryStats stats = GetSecureMemoryStats();
  if (stats.locked_chunks < stats.chunks) {
    spdlog::warn(
        "secure memory: {} of {} chunks could not be locked (mlock failed): keys may be "
        "swapped out. Raise RLIMIT_MEMLOCK (systemd: LimitMEMLOCK=8M)",
        stats.chunks - stats.locked_chunks, stats.chunks);
  } else {
    spdlog::info("secure memory: {} chunk(s), all locked, {} bytes in use", stats.chunks,
                 stats.bytes_in_use);
  }
}

absl::Status Gbabridged::Start() {
  if (started_) return absl::FailedPreconditionError("gbabridged is already started");
  started_ = true;
  if (hooks_.harden_process) HardenProcess();
  if (config_.policy.clients().empty()) {
    spdlog::warn(
        "the client policy is empty: every caller will be refused (add [[client]] "
        "entries to the config or a --policy file)");
  }
  if ((config_.unix_socket_mode & 0006) != 0) {
    spdlog::warn(
        "the socket mode {:04o} lets every local user connect; the policy still "
        "decides who gets keys",
        config_.unix_socket_mode);
  }

  // The socket first: a second daemon, or a wrong path, fails before anything else starts.
  absl::StatusOr<std::unique_ptr<UnixSocketListener>> listener = UnixSocketListener::Create(
      {.path = config_.unix_socket, .mode = config_.unix_socket_mode, .group = socket_group_});
  if (!listener.ok()) return listener.status();
  unix_listener_ = *std::move(listener);

  if (absl::Status s = StartServer(); !s.ok()) {
    unix_listener_->Stop();
    return s;
  }
  if (absl::Status s = unix_listener_->Start(server_.get()); !s.ok()) return s;
  watcher_->Start();
  spdlog::info(
      "gbabridged {} serving on unix:{} (mode {:04o}){}; card: {}; BSF: {}; {} client policy "
      "entr{}",
      kGbabridgedVersion, config_.unix_socket, config_.unix_socket_mode,
      tcp_endpoint_.empty() ? "" : absl::StrCat(" and tcp:", tcp_endpoint_, " (mTLS)"),
      CardDescription(), BsfDescription(), config_.policy.clients().size(),
      config_.policy.clients().size() == 1 ? "y" : "ies");
  return absl::OkStatus();
}

absl::Status Gbabridged::StartServer() {
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection only when asked for (DaemonConfig::reflection): it answers every caller.
  // libgrpc++_reflection registers its plugin for every ServerBuilder as it loads, so it is
  // loaded now, on request, rather than linked.
  if (config_.reflection) {
    if (::dlopen(GBABRIDGE_GRPC_REFLECTION_SONAME, RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("[listen] reflection: cannot load ",
                                                        GBABRIDGE_GRPC_REFLECTION_SONAME,
                                                        " (Debian: libgrpc++1.51): ", ::dlerror()));
    }
  }
  grpc::ServerBuilder builder;
  // Bounds against a flood of local callers: gRPC's synchronous server takes a thread per
  // call in progress (a WatchEvents stream holds one for its lifetime); past the cap new
  // calls get RESOURCE_EXHAUSTED instead of new threads. Streams per connection are capped
  // too, so one client cannot take every thread over one connection.
  grpc::ResourceQuota quota("gbabridged");
  quota.SetMaxThreads(kMaxServerThreads);
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.RegisterService(service_.get());
  for (grpc::Service* extra : hooks_.extra_services) builder.RegisterService(extra);
  // Requests are a NAF name and a 5-byte id: anything large is not a client of ours.
  builder.SetMaxReceiveMessageSize(64 * 1024);
  int tcp_port = 0;
  absl::StatusOr<HostPort> tcp;
  if (!config_.tcp.empty()) {
    tcp = ParseHostPort(config_.tcp);
    if (!tcp.ok()) return tcp.status();
    // Mutual TLS only: the client must present a certificate issued by the client CA, and
    // its subject names it in the policy (cert_subjects).
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = tls_client_ca_pem_;
    ssl.pem_key_cert_pairs.push_back(
        {std::string(reinterpret_cast<const char*>(tls_key_pem_.data()), tls_key_pem_.size()),
         tls_cert_pem_});
    builder.AddListeningPort(config_.tcp, grpc::SslServerCredentials(ssl), &tcp_port);
    WipeString(ssl.pem_key_cert_pairs.front().private_key);
  }
  server_ = builder.BuildAndStart();
  tls_key_pem_.Clear();
  if (server_ == nullptr || (!config_.tcp.empty() && tcp_port == 0)) {
    server_.reset();
    return absl::UnavailableError(
        config_.tcp.empty()
            ? std::string("cannot start the gRPC server")
            : absl::StrCat("cannot listen on ", config_.tcp,
                           " (address in use or not local, or the TLS certificate, key or "
                           "client CA are not valid PEM?)"));
  }
  if (!config_.tcp.empty()) tcp_endpoint_ = HostPort{tcp->host, tcp_port}.ToString();
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
    health->SetServingStatus(kServiceName, true);
  }
  return absl::OkStatus();
}

std::string Gbabridged::CardDescription() const {
  if (config_.transport == CardTransportKind::kModem) {
    return absl::StrCat("the modem on ", config_.modem_port, " (", config_.modem_baud, " baud)");
  }
  return config_.reader.empty() ? std::string("the first PC/SC reader with a card")
                                : absl::StrCat("PC/SC reader \"", config_.reader, "\"");
}

std::string Gbabridged::BsfDescription() const {
  return config_.bsf_url.empty() ? std::string("derived from the card's IMSI (TS 23.003 §16.2)")
                                 : config_.bsf_url;
}

ReloadPlan Gbabridged::Reload(const DaemonConfig& next) {
  ReloadPlan plan = PlanReload(config_, next);
  service_->ReplacePolicy(next.policy);
  config_.policy = next.policy;
  config_.policy_entries = next.policy_entries;
  if (config_.log_level != next.log_level) {
    config_.log_level = next.log_level;
    // The main log only: audit lines stay at info whatever the level (audit_log.h).
    spdlog::default_logger()->set_level(spdlog::level::from_str(next.log_level));
  }
  const size_t entries = config_.policy.clients().size();
  spdlog::info("configuration reloaded ({}): {} client policy entr{}, log level {}",
               absl::StrJoin(next.sources, ", "), entries, entries == 1 ? "y" : "ies",
               config_.log_level);
  if (entries == 0) {
    spdlog::warn("the reloaded client policy is empty: every caller will be refused");
  }
  if (!plan.needs_restart.empty()) {
    spdlog::warn("changed, but kept as they were until gbabridged restarts: {}",
                 absl::StrJoin(plan.needs_restart, ", "));
  }
  return plan;
}

void Gbabridged::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
  }
  // No new connections: AddInsecureChannelFromFd must not race the server's shutdown.
  if (unix_listener_ != nullptr) unix_listener_->StopAccepting();
  if (events_ != nullptr) events_->Close();  // WatchEvents streams end now
  if (watcher_ != nullptr) watcher_->Stop();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    server_.reset();
  }
  // Keys must not outlive the daemon's service, even in memory being freed.
  if (sessions_ != nullptr) sessions_->InvalidateSession("shutdown");
  if (unix_listener_ != nullptr) unix_listener_->Stop();
  tls_key_pem_.Clear();
  if (started_) spdlog::info("gbabridged stopped; session and keys wiped");
}

}  // namespace gbabridge::daemon
