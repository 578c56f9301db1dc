#include "bsf_sim/diameter_zn_server.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
// clang-format on

#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bootstrap/protocol/naf_id.h"
#include "bsf_sim/listen_address.h"
#include "bsf_sim/string_views.h"
#include "proto/zn_diameter/diameter_node.h"
#include "proto/zn_diameter/zn_messages.h"

namespace gbabridge::bsf {
namespace {

using zn_diameter::DiameterNode;
using zn_diameter::ZnDictionary;

uint32_t ResultCodeFor(ZnRefusal refusal) {
  switch (refusal) {
    case ZnRefusal::kNone:
      return zn_diameter::kDiameterSuccess;
    case ZnRefusal::kBadBtid:
    case ZnRefusal::kUnknownBtid:
      return zn_diameter::kErrorTransactionIdentifierInvalid;
    case ZnRefusal::kNafNotAuthorized:
    case ZnRefusal::kNotInUss:
      return zn_diameter::kErrorNotAuthorized;
    case ZnRefusal::kBadNafId:
      return zn_diameter::kDiameterInvalidAvpValue;
    case ZnRefusal::kStoreUnavailable:
      return zn_diameter::kDiameterTooBusy;
    case ZnRefusal::kInternal:
      break;
  }
  return zn_diameter::kDiameterUnableToComply;
}

int Dispatch(msg** message, avp*, session*, void* opaque, disp_action* action) {
  *action = DISP_ACT_SEND;
  return static_cast<DiameterZnServer*>(opaque)->Handle(message);
}

void LogFromDiameter(zn_diameter::DiameterLogLevel level, std::string_view line) {
  switch (level) {
    case zn_diameter::DiameterLogLevel::kDebug:
      spdlog::debug("diameter: {}", line);
      break;
    case zn_diameter::DiameterLogLevel::kInfo:
      spdlog::info("diameter: {}", line);
      break;
    case zn_diameter::DiameterLogLevel::kWarning:
      spdlog::warn("diameter: {}", line);
      break;
    case zn_diameter::DiameterLogLevel::kError:
      spdlog::error("diameter: {}", line);
      break;
  }
}

}  // namespace

absl::StatusOr<DiameterNaf> ParseDiameterNaf(std::string_view spec) {
  DiameterNaf naf;
  const size_t eq = spec.find('=');
  naf.identity = absl::AsciiStrToLower(std::string(spec.substr(0, eq)));
  if (absl::Status s = ValidateFqdn(naf.identity); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--diameter-naf \"", std::string(spec),
                     "\": the Diameter identity: ", ToString(s.message())));
  }
  if (eq == std::string_view::npos) {
    naf.fqdns.push_back(naf.identity);
    return naf;
  }
  for (absl::string_view fqdn :
       absl::StrSplit(absl::string_view(spec.data() + eq + 1, spec.size() - eq - 1), ',')) {
    std::string lower = absl::AsciiStrToLower(fqdn);
    if (absl::Status s = ValidateFqdn(lower); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--diameter-naf \"", std::string(spec),
                                                     "\": NAF FQDN \"", lower,
                                                     "\": ", ToString(s.message())));
    }
    naf.fqdns.push_back(std::move(lower));
  }
  return naf;
}

DiameterZnServer::DiameterZnServer(DiameterZnOptions options, const SessionStore& sessions,
                                   SubscriberStore* subscribers)
    : options_(std::move(options)), lookup_(sessions, subscribers, options_.naf_services) {}

DiameterZnServer::~DiameterZnServer() {
  if (handler_ != nullptr) fd_disp_unregister(&handler_, nullptr);
  node_.reset();  // shuts the core down before lookup_ goes
}

absl::StatusOr<std::unique_ptr<DiameterZnServer>> DiameterZnServer::Start(
    DiameterZnOptions options, const SessionStore& sessions, SubscriberStore* subscribers) {
  if (options.port == 0 && options.tls_port == 0) {
    return absl::InvalidArgumentError("Diameter Zn needs a port (--diameter-listen) or a TLS port");
  }
  if (options.port != 0 && !IsLoopbackHost(options.listen_host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Diameter Zn over plain TCP on ", options.listen_host,
        " is refused: keys would cross the network in clear. Listen on 127.0.0.1, or use TLS "
        "only (--diameter-tls-port with --diameter-tls-cert, --diameter-tls-key, "
        "--diameter-tls-ca, and no plain port)"));
  }
  if (options.nafs.empty()) {
    return absl::InvalidArgumentError(
        "Diameter Zn without NAFs: name each NAF peer with --diameter-naf IDENTITY[=FQDN,...]");
  }
  zn_diameter::DiameterNodeOptions node_options;
  node_options.identity = options.identity;
  node_options.realm = options.realm;
  node_options.listen_host = options.listen_host;
  node_options.port = options.port;
  node_options.tls_port = options.tls_port;
  node_options.tls_cert_file = options.tls_cert_file;
  node_options.tls_key_file = options.tls_key_file;
  node_options.tls_ca_file = options.tls_ca_file;
  for (const DiameterNaf& naf : options.nafs) node_options.accept_peers.push_back(naf.identity);
  node_options.accept_plain_peers = options.port != 0;  // checked loopback above
  node_options.app_threads = options.app_threads;
  node_options.log = LogFromDiameter;

  std::unique_ptr<DiameterZnServer> server(
      new DiameterZnServer(std::move(options), sessions, subscribers));
  absl::StatusOr<std::unique_ptr<DiameterNode>> node = DiameterNode::Create(node_options);
  if (!node.ok()) return node.status();
  server->node_ = *std::move(node);
  disp_when when{};
  when.app = server->node_->zn().application;
  when.command = server->node_->zn().request;
  if (int rc = fd_disp_register(Dispatch, DISP_HOW_CC, &when, server.get(), &server->handler_);
      rc != 0) {
    return absl::InternalError(absl::StrCat("cannot register the Zn handler: ", rc));
  }
  if (absl::Status s = server->node_->Start(); !s.ok()) return s;
  return server;
}

std::vector<std::string> DiameterZnServer::NamesOf(std::string_view peer) const {
  const std::string id = absl::AsciiStrToLower(std::string(peer));
  for (const DiameterNaf& naf : options_.nafs) {
    if (naf.identity == id) return naf.fqdns;
  }
  return {};
}

int DiameterZnServer::Handle(msg** message) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  const ZnDictionary& zn = node_->zn();
  msg* request = *message;
  DiamId_t source = nullptr;
  size_t source_len = 0;
  fd_msg_source_get(request, &source, &source_len);
  const std::string peer = source != nullptr ? std::string(source, source_len) : "?";

  avp* offending = nullptr;  // inside `request`, which the answer keeps until it is sent
  absl::StatusOr<zn_diameter::ZnQuery> query = zn_diameter::ReadZnRequest(zn, request, &offending);
  if (int rc = fd_msg_new_answer_from_req(fd_g_config->cnf_dict, message, 0); rc != 0) {
    spdlog::error("Zn/Diameter {}: cannot create an answer: {}", peer, rc);
    return rc;  // the core answers DIAMETER_UNABLE_TO_COMPLY
  }
  msg* answer = *message;
  uint32_t code = zn_diameter::kDiameterSuccess;
  std::string why;
  std::optional<ZnKeys> keys;
  if (!query.ok()) {
    code = zn_diameter::kDiameterInvalidAvpValue;
    why = ToString(query.status().message());
    spdlog::info("Zn/Diameter {}: malformed request: {}", peer, why);
  } else {
    ZnKeyRequest key_request;
    key_request.btid = query->btid;
    absl::StatusOr<NafId> naf = NafId::Decode(query->naf_id);
    if (naf.ok()) {
      key_request.naf_fqdn = naf->fqdn();
      const auto& ua = naf->ua().octets();
      key_request.ua_security_protocol_id.assign(ua.begin(), ua.end());
    } else {
      // Let ZnLookup report it in order (a bad B-TID first), with the raw FQDN part.
      key_request.naf_fqdn = std::string(query->naf_id.begin(), query->naf_id.end() - 5);
      key_request.ua_security_protocol_id.assign(query->naf_id.end() - 5, query->naf_id.end());
    }
    key_request.gaa_service_ids = query->gsids;  // TS 29.109 §6.1.1: any number
    key_request.gba_u_aware = query->gba_u_aware;
    ZnLookupResult result =
        lookup_.Lookup(key_request, NamesOf(peer), absl::StrCat("Zn/Diameter ", peer));
    code = ResultCodeFor(result.refusal);
    why = result.message;
    if (result.ok()) keys = std::move(result.keys);
    if (result.refusal == ZnRefusal::kBadNafId) {
      fd_msg_search_avp(request, zn.naf_id, &offending);
    }
  }

  absl::Status built = zn_diameter::AddZnApplicationId(zn, answer);
  if (built.ok() && keys.has_value()) {
    zn_diameter::ZnKeyAnswer fields;
    fields.impi = keys->impi;
    fields.me_key = std::move(keys->ks_naf);
    fields.uicc_key = std::move(keys->ks_int_naf);
    fields.key_expiry = keys->key_expiry;
    fields.bootstrap_time = keys->bootstrap_time;
    fields.user_security_settings = keys->user_security_settings;
    fields.gba_type = zn_diameter::kGbaType3g;  // UMTS AKA, GBA_ME and GBA_U alike
    built = zn_diameter::AddZnKeyAnswer(zn, answer, fields);
    if (!built.ok()) {
      // Never a 2001 with half the keys: the key AVPs go, the answer says 5012.
      spdlog::error("Zn/Diameter {}: cannot add the keys to the answer: {}", peer,
                    ToString(built.message()));
      zn_diameter::RemoveZnKeyAnswer(zn, answer);
      code = zn_diameter::kDiameterUnableToComply;
      why = "the BSF could not build the answer";
      built = absl::OkStatus();
    }
  }
  // The result goes in after the keys, so that it is known whether they could be added.
  if (built.ok()) built = zn_diameter::SetZnResult(zn, answer, code, why);
  if (built.ok() && code == zn_diameter::kDiameterInvalidAvpValue && offending != nullptr) {
    built = zn_diameter::AddFailedAvp(zn, answer, offending);
  }
  if (!built.ok()) {
    spdlog::error("Zn/Diameter {}: cannot build the answer: {}", peer, ToString(built.message()));
    zn_diameter::RemoveZnKeyAnswer(zn, answer);
  }
  // The key AVPs leave in the answer, whose buffer freeDiameter frees after sending (not
  // wiped: as with gRPC, the transport owns that copy).
  return 0;
}

}  // namespace gbabridge::bsf
