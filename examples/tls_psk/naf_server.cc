// gba-tls-naf: an example NAF (the M2M service) that accepts TLS-PSK connections keyed
// with GBA: it takes the B-TID from the device's PSK identity, gets the key from the BSF
// over Zn, and answers one line per connection. The pattern to copy: psk_tls.cc (the
// server callback) and zn_key_source.cc (Zn and the key cache).
//
//   gba-tls-naf --listen 127.0.0.1:4433 --naf mef.example.com
//       --zn 127.0.0.1:50051 --zn-token demo-token
//   gba-tls-naf --listen 127.0.0.1:4433 --naf mef.example.com
//       --zn-diameter bsf.gba.test@127.0.0.1:3868          (Zn over Diameter, TS 29.109)
//
// Prints "READY tls=HOST:PORT" on stdout once it listens, then one log line per
// connection on stderr (identity, B-TID, cipher; never a key). Connections are served one
// at a time, each with a 10-second I/O timeout. Exit status: 0 (with --once: the one
// session succeeded), 1 failure, 2 usage.
#include <grpcpp/channel.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/naf_id.h"
#include "examples/tls_psk/diameter_zn_fetcher.h"
#include "examples/tls_psk/psk_tls.h"
#include "examples/tls_psk/tcp.h"
#include "examples/tls_psk/zn_key_source.h"
#include "nlohmann/json.hpp"
#include "uicc/base/command_line.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Fail(int code, absl::string_view message) {
  return gbabridge::ReportFailure(code, std::string_view(message.data(), message.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using gbabridge::examples::HostPort;
  CLI::App app(
      "gba-tls-naf: an example NAF serving TLS 1.2 with TLS_PSK_WITH_AES_128_CBC_SHA256 "
      "keyed with GBA (TS 33.222 §5.4): identity hint \"3GPP-bootstrapping\", PSK identity "
      "\"3GPP-bootstrapping[-uicc].\" + B-TID, PSK = Ks_(ext_)NAF for Ua id 01 00 01 00 AE "
      "fetched from the BSF over Zn (bsf.v1.Zn/GetNafKey) and cached until it expires. An "
      "unknown B-TID fails the handshake with the alert unknown_psk_identity, which tells "
      "the device to bootstrap again. Each connection: one line in, \"hello <identity>, you "
      "sent: <line>\" out.");
  std::string listen = "127.0.0.1:4433";
  std::string naf_fqdn;
  std::string zn = "127.0.0.1:50051";
  std::string zn_token;
  gbabridge::examples::ZnTlsFiles zn_tls;
  bool once = false;
  std::string lookup_identity;
  bool json = false;
  std::string gsid;
  bool show_key = false;
  app.add_option("--listen", listen, "HOST:PORT for TLS; port 0 picks a free one")
      ->capture_default_str();
  // --naf as in gbabridge and gba-tls-device; --naf-fqdn is the name of 0.1, accepted
  // until 0.3.
  app.add_option("--naf,--naf-fqdn", naf_fqdn,
                 "this NAF's FQDN: the keys are derived for it, and the BSF only gives this "
                 "NAF the keys of its own FQDN (--naf-fqdn: old name)")
      ->required();
  app.add_option("--zn", zn, "the BSF's Zn endpoint, HOST:PORT")->capture_default_str();
  auto* token = app.add_option("--zn-token", zn_token,
                               "bearer token for Zn (plain text, loopback BSF only, e.g. "
                               "bsf-sim --naf-token FQDN=TOKEN); also from $GBA_TLS_NAF_ZN_TOKEN, "
                               "which keeps it out of the process list")
                    ->envname("GBA_TLS_NAF_ZN_TOKEN");
  auto* cert = app.add_option("--zn-tls-cert", zn_tls.cert_file,
                              "client certificate (PEM) for mutual TLS on Zn, naming this "
                              "NAF's FQDN")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--zn-tls-key", zn_tls.key_file, "its private key (PEM)")
                  ->check(CLI::ExistingFile);
  auto* ca = app.add_option("--zn-ca", zn_tls.ca_file, "CA of the BSF's certificate (PEM)")
                 ->check(CLI::ExistingFile);
  cert->needs(key, ca);
  key->needs(cert, ca);
  ca->needs(cert, key);
  token->excludes(cert);
  // Zn over Diameter (TS 29.109 §6) instead of gRPC.
  std::string zn_diameter;
  gbabridge::examples::DiameterZnSettings diameter;
  auto* zn_diameter_option =
      app.add_option("--zn-diameter", zn_diameter,
                     "get keys over Diameter Zn from the BSF peer IDENTITY@HOST:PORT (e.g. "
                     "bsf.gba.test@127.0.0.1:3868) instead of gRPC --zn");
  app.add_option("--diameter-identity", diameter.identity,
                 "this NAF's Diameter Identity (default: --naf); the BSF must list it")
      ->needs(zn_diameter_option);
  app.add_option("--diameter-realm", diameter.realm,
                 "this NAF's Diameter realm (default: the identity without its first label)")
      ->needs(zn_diameter_option);
  app.add_option("--zn-diameter-realm", diameter.bsf_realm,
                 "the BSF's realm, Destination-Realm (default: its identity without the first "
                 "label)")
      ->needs(zn_diameter_option);
  auto* d_cert = app.add_option("--diameter-tls-cert", diameter.tls_cert_file,
                                "Diameter over TLS: this NAF's certificate (PEM)")
                     ->check(CLI::ExistingFile)
                     ->needs(zn_diameter_option);
  auto* d_key = app.add_option("--diameter-tls-key", diameter.tls_key_file, "its private key")
                    ->check(CLI::ExistingFile);
  auto* d_ca = app.add_option("--diameter-tls-ca", diameter.tls_ca_file,
                              "the CA of both certificates (PEM); the BSF's must name its "
                              "Diameter identity")
                   ->check(CLI::ExistingFile);
  d_cert->needs(d_key, d_ca);
  d_key->needs(d_cert, d_ca);
  d_ca->needs(d_cert, d_key);
  zn_diameter_option->excludes(token)->excludes(cert);
  app.add_flag("--once", once, "serve one connection, then exit (status 0 if it succeeded)");
  app.add_option("--lookup", lookup_identity,
                 "do not serve: fetch the key for this PSK identity (\"3GPP-bootstrapping"
                 "[-uicc].<B-TID>\") over Zn once, print it, and exit");
  app.add_option("--gsid", gsid,
                 "the GAA service id (decimal GSID) to name on Zn, for that service's user "
                 "security settings (TS 33.220 §4.4.6); the BSF must know this NAF runs it")
      ->check(CLI::TypeValidator<unsigned>());
  app.add_flag("--json", json, "with --lookup: print JSON");
  app.add_flag("--show-key", show_key, "with --lookup: print the key (hex); hidden otherwise");
  gbabridge::AddVersionFlag(app, "gba-tls-naf");
  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }
  signal(SIGPIPE, SIG_IGN);  // a device that hangs up must give an error, not kill us

  if (absl::Status fqdn = gbabridge::ValidateFqdn(naf_fqdn); !fqdn.ok()) {
    return Fail(kExitUsage, absl::StrCat("--naf: ", fqdn.message()));
  }
  const bool use_tls = !zn_tls.cert_file.empty();
  const bool use_diameter = !zn_diameter.empty();
  if (!use_diameter && !use_tls && zn_token.empty()) {
    return Fail(kExitUsage,
                "the NAF must authenticate to the BSF: give --zn-token, or --zn-tls-cert, "
                "--zn-tls-key and --zn-ca (or use Diameter: --zn-diameter)");
  }
  absl::StatusOr<HostPort> listen_address = gbabridge::examples::ParseHostPort(listen, true);
  if (!listen_address.ok()) return Fail(kExitUsage, listen_address.status().message());
  gbabridge::examples::ZnKeySourceOptions key_options;
  key_options.naf_fqdn = naf_fqdn;
  std::unique_ptr<gbabridge::examples::ZnKeyFetcher> fetcher;
  if (use_diameter) {
    if (absl::Status s = gbabridge::examples::ParseDiameterPeer(zn_diameter, diameter); !s.ok()) {
      return Fail(kExitUsage, s.message());
    }
    if (diameter.identity.empty()) diameter.identity = naf_fqdn;
    diameter.tls = !diameter.tls_cert_file.empty();
    absl::StatusOr<std::unique_ptr<gbabridge::examples::DiameterZnFetcher>> connected =
        gbabridge::examples::DiameterZnFetcher::Connect(diameter, absl::Seconds(10),
                                                        key_options.timeout);
    if (!connected.ok()) return Fail(kExitFailure, connected.status().message());
    fetcher = *std::move(connected);
  } else {
    absl::StatusOr<HostPort> zn_address = gbabridge::examples::ParseHostPort(zn);
    if (!zn_address.ok()) return Fail(kExitUsage, zn_address.status().message());
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        gbabridge::examples::MakeZnChannel(*zn_address, use_tls ? &zn_tls : nullptr);
    if (!channel.ok()) return Fail(kExitUsage, channel.status().message());
    fetcher = std::make_unique<gbabridge::examples::GrpcZnFetcher>(
        ::bsf::v1::Zn::NewStub(*channel),
        gbabridge::SecretBytes::CopyFrom(gbabridge::AsBytes(zn_token)), key_options.timeout);
  }
  gbabridge::Cleanse(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(zn_token.data()), zn_token.size()));
  fetcher->set_gaa_service_id(gsid);
  gbabridge::examples::ZnKeySource keys(std::move(fetcher), std::move(key_options));
  if (!lookup_identity.empty()) {
    // What the TLS server does for each handshake (psk_tls.cc), without the handshake:
    // identity -> B-TID -> Zn -> Ks_(ext_)NAF.
    absl::StatusOr<gbabridge::examples::PskIdentity> identity =
        gbabridge::examples::ParsePskIdentity(lookup_identity);
    if (!identity.ok()) return Fail(kExitUsage, identity.status().message());
    absl::StatusOr<gbabridge::examples::ZnFetchedKey> found = keys.LookUp(*identity);
    if (!found.ok()) return Fail(kExitFailure, found.status().message());
    const gbabridge::SecretBytes& psk = found->key;
    const std::string shown = show_key ? psk.RevealHex() : "(hidden; --show-key to print)";
    const std::string expiry =
        absl::FormatTime(absl::RFC3339_sec, found->expiry, absl::UTCTimeZone());
    const std::string uss = found->user_security_settings.has_value()
                                ? absl::Base64Escape(*found->user_security_settings)
                                : std::string();
    if (json) {
      nlohmann::ordered_json answer = {{"naf", naf_fqdn},
                                       {"btid", identity->btid},
                                       {"psk_identity", identity->ToString()},
                                       {"zn", use_diameter ? "diameter" : "grpc"},
                                       {"key_expiry", expiry}};
      if (found->user_security_settings.has_value()) answer["user_security_settings"] = uss;
      if (show_key) answer["key"] = shown;
      std::cout << answer.dump() << std::endl;
    } else {
      std::cout << "NAF " << naf_fqdn << " got from the BSF over "
                << (use_diameter ? "Diameter Zn" : "Zn") << ", for B-TID " << identity->btid
                << ":\n  key (" << psk.size() << " bytes): " << shown << "\n  expires " << expiry
                << std::endl;
      if (!uss.empty()) std::cout << "  user security settings (base64): " << uss << std::endl;
    }
    return kExitOk;
  }

  absl::StatusOr<std::unique_ptr<gbabridge::examples::NafTlsServer>> server =
      gbabridge::examples::NafTlsServer::Create(keys);
  if (!server.ok()) return Fail(kExitFailure, server.status().message());

  absl::StatusOr<gbabridge::examples::Listener> listener =
      gbabridge::examples::ListenTcp(*listen_address);
  if (!listener.ok()) return Fail(kExitFailure, listener.status().message());
  std::cout << "READY tls=" << listener->bound.ToString() << std::endl;  // flushed

  for (;;) {
    std::string peer;
    absl::StatusOr<gbabridge::examples::UniqueFd> connection =
        gbabridge::examples::AcceptTcp(*listener, std::chrono::seconds(10), &peer);
    if (!connection.ok()) return Fail(kExitFailure, connection.status().message());
    gbabridge::examples::PskIdentity identity;
    absl::StatusOr<gbabridge::examples::ServerSessionResult> session =
        (*server)->Serve(connection->get(), &identity);
    // One line per connection: who, which B-TID, which cipher, and the outcome.
    if (session.ok()) {
      std::cerr << "gba-tls-naf: " << peer << " identity=" << session->identity
                << " B-TID=" << session->parsed.btid << " cipher=" << session->cipher << " "
                << session->protocol << ": ok (Zn calls so far: " << keys.zn_calls() << ")"
                << std::endl;
    } else {
      std::cerr << "gba-tls-naf: " << peer
                << (identity.btid.empty() ? "" : " identity=" + identity.ToString())
                << ": failed: " << session.status().message() << std::endl;
    }
    if (once) return session.ok() ? kExitOk : kExitFailure;
  }
}
