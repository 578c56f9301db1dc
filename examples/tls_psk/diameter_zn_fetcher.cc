#include "examples/tls_psk/diameter_zn_fetcher.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/naf_id.h"

namespace gbabridge::examples {

absl::Status ParseDiameterPeer(std::string_view spec, DiameterZnSettings& settings) {
  const size_t at = spec.find('@');
  absl::StatusOr<HostPort> address = at == std::string_view::npos || at == 0
                                         ? absl::InvalidArgumentError("no IDENTITY@ before it")
                                         : ParseHostPort(spec.substr(at + 1));
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--zn-diameter \"", std::string(spec), "\": ", std::string(address.status().message()),
        "; give the BSF's Diameter identity, address and port: IDENTITY@HOST:PORT, e.g. "
        "bsf.gba.test@127.0.0.1:3868"));
  }
  settings.bsf_identity = std::string(spec.substr(0, at));
  settings.bsf_host = address->host == "localhost" ? "127.0.0.1" : address->host;
  settings.bsf_port = address->port;
  return absl::OkStatus();
}

DiameterZnFetcher::DiameterZnFetcher(std::unique_ptr<zn_diameter::DiameterNode> node,
                                     std::string bsf_identity, std::string bsf_realm,
                                     std::chrono::milliseconds timeout)
    : node_(std::move(node)),
      client_(*node_, std::move(bsf_identity), std::move(bsf_realm)),
      timeout_(timeout) {}

absl::StatusOr<std::unique_ptr<DiameterZnFetcher>> DiameterZnFetcher::Connect(
    const DiameterZnSettings& settings, absl::Duration connect_timeout,
    std::chrono::milliseconds request_timeout) {
  zn_diameter::DiameterNodeOptions options;
  options.identity = settings.identity;
  options.realm = settings.realm;
  options.port = 0;  // dials out only
  if (settings.tls) {
    options.tls_cert_file = settings.tls_cert_file;
    options.tls_key_file = settings.tls_key_file;
    options.tls_ca_file = settings.tls_ca_file;
  }
  options.connect_peers.push_back({.identity = settings.bsf_identity,
                                   .host = settings.bsf_host,
                                   .port = settings.bsf_port,
                                   .tls = settings.tls});
  options.tc_timer_seconds = 1;  // a NAF started beside the BSF retries quickly
  options.log = [](zn_diameter::DiameterLogLevel level, std::string_view line) {
    if (level == zn_diameter::DiameterLogLevel::kError ||
        level == zn_diameter::DiameterLogLevel::kWarning) {
      std::cerr << "gba-tls-naf: diameter: " << line << std::endl;
    }
  };
  absl::StatusOr<std::unique_ptr<zn_diameter::DiameterNode>> node =
      zn_diameter::DiameterNode::Create(std::move(options));
  if (!node.ok()) return node.status();
  if (absl::Status s = (*node)->Start(); !s.ok()) return s;
  if (absl::Status s = (*node)->WaitForPeer(settings.bsf_identity, connect_timeout); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("BSF unreachable over Diameter at ",
                                               settings.bsf_host, ":", settings.bsf_port, ": ",
                                               std::string(s.message())));
  }
  return std::unique_ptr<DiameterZnFetcher>(new DiameterZnFetcher(
      *std::move(node), settings.bsf_identity, settings.bsf_realm, request_timeout));
}

absl::StatusOr<ZnFetchedKey> DiameterZnFetcher::Fetch(const std::string& naf_fqdn,
                                                      const PskIdentity& identity) {
  absl::StatusOr<NafId> naf = NafId::Create(naf_fqdn, TlsUaId());
  if (!naf.ok()) return naf.status();
  zn_diameter::ZnQuery query;
  query.btid = identity.btid;
  query.naf_id = naf->Encode();
  query.gba_u_aware = identity.gba_u;
  if (!gaa_service_id_.empty()) query.gsids.push_back(gaa_service_id_);
  absl::StatusOr<zn_diameter::ZnKeyAnswer> answer =
      client_.Lookup(query, absl::FromChrono(timeout_));
  if (!answer.ok()) return answer.status();
  ZnFetchedKey fetched;
  fetched.key = std::move(answer->me_key);
  fetched.gba_u = answer->uicc_key.has_value();
  fetched.expiry = answer->key_expiry;
  if (answer->user_security_settings.has_value()) {
    fetched.user_security_settings =
        std::string(answer->user_security_settings->begin(), answer->user_security_settings->end());
  }
  return fetched;  // answer->uicc_key (Ks_int_NAF) is wiped with `answer`
}

}  // namespace gbabridge::examples
