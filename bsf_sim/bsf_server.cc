#include "bsf_sim/bsf_server.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "bsf_sim/listen_address.h"

namespace gbabridge::bsf {

absl::StatusOr<std::optional<DiameterZnOptions>> DiameterOptionsFor(const BsfConfig& config) {
  if (config.diameter_listen.empty() && config.diameter_tls_port == 0 &&
      config.diameter_tls_listen.empty()) {
    return std::nullopt;
  }
  if (config.diameter_tls_port != 0 && !config.diameter_tls_listen.empty()) {
    return absl::InvalidArgumentError(
        "give --diameter-tls-listen HOST:PORT or --diameter-tls-port PORT, not both");
  }
  DiameterZnOptions diameter;
  diameter.identity = config.diameter_identity.empty() ? config.bsf_name : config.diameter_identity;
  diameter.realm = config.diameter_realm;
  auto parse = [](const std::string& spec, const char* flag) -> absl::StatusOr<ListenAddress> {
    absl::StatusOr<ListenAddress> listen = ParseListenAddress(spec);
    if (!listen.ok()) return listen.status();
    if (listen->port == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag,
          " needs a port: freeDiameter cannot pick one (3868 is Diameter's, 5868 Diameter "
          "over TLS)"));
    }
    if (listen->host == "localhost") listen->host = "127.0.0.1";
    return listen;
  };
  if (!config.diameter_listen.empty()) {
    absl::StatusOr<ListenAddress> listen = parse(config.diameter_listen, "--diameter-listen");
    if (!listen.ok()) return listen.status();
    diameter.listen_host = listen->host;
    diameter.port = listen->port;
  }
  diameter.tls_port = config.diameter_tls_port;
  if (!config.diameter_tls_listen.empty()) {
    absl::StatusOr<ListenAddress> listen =
        parse(config.diameter_tls_listen, "--diameter-tls-listen");
    if (!listen.ok()) return listen.status();
    // freeDiameter listens on one set of addresses (ListenOn) for both of its ports.
    if (!config.diameter_listen.empty() && listen->host != diameter.listen_host) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--diameter-listen (", diameter.listen_host, ") and --diameter-tls-listen (",
          listen->host,
          ") must name the same host: freeDiameter listens on one address for both; for TLS "
          "on another host, give --diameter-tls-listen alone"));
    }
    diameter.listen_host = listen->host;
    diameter.tls_port = listen->port;
  }
  diameter.tls_cert_file = config.diameter_tls_cert;
  diameter.tls_key_file = config.diameter_tls_key;
  diameter.tls_ca_file = config.diameter_tls_ca;
  diameter.naf_services = config.naf_services;
  for (const std::string& spec : config.diameter_nafs) {
    absl::StatusOr<DiameterNaf> naf = ParseDiameterNaf(spec);
    if (!naf.ok()) return naf.status();
    diameter.nafs.push_back(*std::move(naf));
  }
  if (diameter.nafs.empty()) {
    return absl::InvalidArgumentError(
        "Diameter Zn is on but names no NAF: add --diameter-naf IDENTITY[=FQDN,...]");
  }
  return diameter;
}

absl::StatusOr<std::unique_ptr<BsfServer>> BsfServer::Create(const BsfConfig& config,
                                                             BsfServerHooks hooks) {
  if (absl::Status s = ValidateBsfConfig(config); !s.ok()) return s;
  absl::StatusOr<ListenAddress> ub_listen = ParseListenAddress(config.ub_listen);
  if (!ub_listen.ok()) return ub_listen.status();
  absl::StatusOr<ListenAddress> zn_listen = ParseListenAddress(config.zn_listen);
  if (!zn_listen.ok()) return zn_listen.status();

  std::unique_ptr<BsfServer> bsf(new BsfServer());
  bsf->sweep_interval_ = config.sweep_interval;
  // The database must exist (`bsf-sim subscribers import` creates it): a misspelt --db
  // must not start an empty HSS that refuses every UE.
  absl::StatusOr<std::unique_ptr<SubscriberStore>> store =
      SubscriberStore::Open(config.db, SubscriberStore::OpenMode::kReadWriteExisting);
  if (!store.ok()) return store.status();
  bsf->subscribers_ = *std::move(store);
  bsf->generator_ = std::make_unique<AvGenerator>(*bsf->subscribers_,
                                                  AvGeneratorOptions{.ind_bits = config.ind_bits});
  bsf->sessions_ = std::make_unique<InMemorySessionStore>(config.max_sessions);
  bsf->authenticator_ = std::make_unique<UbAuthenticator>(
      UbAuthenticatorOptions{.bsf_name = config.bsf_name,
                             .realm = config.realm.empty() ? config.bsf_name : config.realm,
                             .lifetime = config.lifetime,
                             .nonce_timeout = config.nonce_timeout,
                             .tmpi = config.tmpi,
                             .forget_tmpis = config.forget_tmpis},
      *bsf->generator_, *bsf->sessions_);

  absl::StatusOr<std::unique_ptr<UbServer>> ub =
      UbServer::Create(UbServerOptions{.listen = *ub_listen,
                                       .tls_cert_file = config.ub_tls_cert,
                                       .tls_key_file = config.ub_tls_key,
                                       .max_body_bytes = 64 * 1024,
                                       .threads = config.ub_threads},
                       *bsf->authenticator_);
  if (!ub.ok()) return ub.status();
  bsf->ub_server_ = *std::move(ub);

  ZnServerOptions zn_options{.listen = *zn_listen,
                             .tls_cert_file = config.zn_tls_cert,
                             .tls_key_file = config.zn_tls_key,
                             .client_ca_file = config.zn_client_ca,
                             .naf_tokens = {},
                             .naf_services = config.naf_services,
                             .extra_services = std::move(hooks.extra_zn_services)};
  for (const NafToken& token : config.naf_tokens) zn_options.naf_tokens.push_back(token.Clone());
  absl::StatusOr<std::unique_ptr<ZnServer>> zn =
      ZnServer::Create(std::move(zn_options), *bsf->sessions_, bsf->subscribers_.get());
  if (!zn.ok()) return zn.status();
  bsf->zn_server_ = *std::move(zn);

  absl::StatusOr<std::optional<DiameterZnOptions>> diameter = DiameterOptionsFor(config);
  if (!diameter.ok()) return diameter.status();
  bsf->diameter_options_ = *std::move(diameter);
  return bsf;
}

std::string BsfServer::diameter_endpoint() const {
  if (diameter_server_ == nullptr) return "";
  const DiameterZnOptions& o = diameter_server_->options();
  std::string out;
  if (o.port != 0) out = ListenAddress{o.listen_host, o.port}.WithPort(o.port);
  if (o.tls_port != 0) {
    absl::StrAppend(&out, out.empty() ? "" : ",",
                    "tls:", ListenAddress{o.listen_host, o.tls_port}.WithPort(o.tls_port));
  }
  return out;
}

BsfServer::~BsfServer() { Stop(); }

absl::Status BsfServer::Start() {
  if (absl::Status s = ub_server_->Start(); !s.ok()) return s;
  if (absl::Status s = zn_server_->Start(); !s.ok()) {
    ub_server_->Stop();
    return s;
  }
  if (diameter_options_.has_value() && diameter_server_ == nullptr) {
    absl::StatusOr<std::unique_ptr<DiameterZnServer>> diameter =
        DiameterZnServer::Start(*diameter_options_, *sessions_, subscribers_.get());
    if (!diameter.ok()) {
      zn_server_->Stop();
      ub_server_->Stop();
      return diameter.status();
    }
    diameter_server_ = *std::move(diameter);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  sweeper_ = std::thread([this] { SweepLoop(); });
  return absl::OkStatus();
}

void BsfServer::SweepLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, absl::ToChronoNanoseconds(sweep_interval_),
                         [this] { return stopping_; })) {
    lock.unlock();
    if (const size_t n = sessions_->SweepExpired(); n > 0) {
      spdlog::info("swept {} expired bootstrapping session(s); their Ks are wiped", n);
    }
    authenticator_->SweepPending();
    lock.lock();
  }
}

void BsfServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  // Zn first: a NAF request in flight may still read a session; Ub afterwards. The
  // Diameter core runs once per process: it stops here for good.
  diameter_server_.reset();
  if (zn_server_ != nullptr) zn_server_->Stop();
  if (ub_server_ != nullptr) ub_server_->Stop();
}

}  // namespace gbabridge::bsf
