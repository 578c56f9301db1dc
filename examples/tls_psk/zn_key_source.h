// ZnKeySource: the NAF's keys from the BSF over Zn (bsf.v1.Zn/GetNafKey, proto/bsf/v1/
// zn.proto; TS 29.109 §4, TS 33.220 §4.5.3), cached per B-TID until the key expires.
//
// Request: the B-TID from the PSK identity, this NAF's FQDN, the Ua id 01 00 01 00 AE, and
// gba_u_aware = true for a "3GPP-bootstrapping-uicc." identity.
// Answer: zn.proto's `ks_naf` holds Ks_NAF for a GBA_ME session and Ks_ext_NAF for a GBA_U
// session: in both cases the key the device got from gbabridged (which serves Ks_ext_NAF
// in GBA_U, since Ks_int_NAF never leaves the UICC). So the PSK is always `ks_naf`.
// `ks_int_naf` (sent to GBA_U-aware NAFs) is not used here and is wiped at once.
//
// Authentication towards the BSF: a bearer token (metadata "authorization: Bearer ...",
// only over a plain loopback channel, as bsf-sim allows) or a TLS client certificate that
// names this NAF's FQDN (mutual TLS). Build the channel with MakeZnChannel.
#ifndef GBABRIDGE_EXAMPLES_TLS_PSK_ZN_KEY_SOURCE_H_
#define GBABRIDGE_EXAMPLES_TLS_PSK_ZN_KEY_SOURCE_H_

#include <grpcpp/channel.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bsf/v1/zn.grpc.pb.h"
#include "examples/tls_psk/psk_tls.h"
#include "examples/tls_psk/tcp.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::examples {

struct ZnTlsFiles {
  std::string cert_file;  // this NAF's client certificate (PEM), naming its FQDN
  std::string key_file;   // its private key (PEM)
  std::string ca_file;    // the CA that signed the BSF's certificate (PEM)
};

// A channel to the BSF's Zn endpoint: mutual TLS when `tls` is given, otherwise plain text,
// which is refused unless `zn` is a loopback address (keys would cross the network in clear).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeZnChannel(const HostPort& zn,
                                                             const ZnTlsFiles* tls);

struct ZnKeySourceOptions {
  std::string naf_fqdn;                     // this NAF, e.g. "mef.example.com"
  SecretBytes bearer_token;                 // empty with mutual TLS
  std::chrono::milliseconds timeout{5000};  // per Zn call
  size_t max_cached_keys = 1024;            // bounds memory against many B-TIDs
};

// One key as the BSF sent it, whatever the Zn transport.
struct ZnFetchedKey {
  SecretBytes key;     // Ks_NAF or Ks_ext_NAF, 32 bytes
  bool gba_u = false;  // the session is GBA_U (or unknown: false)
  absl::Time expiry;   // UTC, from the BSF
  // The subscriber's user security settings for this NAF or its service (TS 33.220 §4.4.6).
  std::optional<std::string> user_security_settings;
};

// Asks the BSF once: gRPC (GrpcZnFetcher, below) or Diameter (diameter_zn_fetcher.h).
class ZnKeyFetcher {
 public:
  virtual ~ZnKeyFetcher() = default;
  // Errors as ZnKeySource::GetKey documents them.
  virtual absl::StatusOr<ZnFetchedKey> Fetch(const std::string& naf_fqdn,
                                             const PskIdentity& identity) = 0;
  // The GAA service (GSID) to name on Zn, for its user security settings; empty: none.
  void set_gaa_service_id(std::string gsid) { gaa_service_id_ = std::move(gsid); }

 protected:
  std::string gaa_service_id_;
};

// bsf.v1.Zn/GetNafKey over a gRPC channel, with the bearer token when one is given.
class GrpcZnFetcher : public ZnKeyFetcher {
 public:
  GrpcZnFetcher(std::unique_ptr<::bsf::v1::Zn::StubInterface> stub, SecretBytes bearer_token,
                std::chrono::milliseconds timeout);
  absl::StatusOr<ZnFetchedKey> Fetch(const std::string& naf_fqdn,
                                     const PskIdentity& identity) override;

 private:
  std::unique_ptr<::bsf::v1::Zn::StubInterface> stub_;
  SecretBytes bearer_token_;
  std::chrono::milliseconds timeout_;
};

class ZnKeySource : public NafKeySource {
 public:
  // Over gRPC (bearer_token and timeout from the options).
  ZnKeySource(std::unique_ptr<::bsf::v1::Zn::StubInterface> stub, ZnKeySourceOptions options);
  // Over any transport.
  ZnKeySource(std::unique_ptr<ZnKeyFetcher> fetcher, ZnKeySourceOptions options);

  // A cached key while it is valid; otherwise asks the BSF. Errors: NotFound (the BSF does
  // not know the B-TID or it expired), FailedPrecondition (the identity's prefix does not
  // match the session's GBA type), PermissionDenied (the BSF refuses this NAF),
  // Unavailable (BSF unreachable), DataLoss (malformed answer).
  absl::StatusOr<SecretBytes> GetKey(const PskIdentity& identity) override;
  // One fresh Zn lookup, checked as GetKey checks it, with what the BSF said beside the key
  // (for `gba-tls-naf --lookup`); not cached.
  absl::StatusOr<ZnFetchedKey> LookUp(const PskIdentity& identity);

  // How many GetNafKey calls went to the BSF (for tests and the NAF's log).
  int zn_calls() const;

 private:
  struct Entry {
    SecretBytes key;
    bool gba_u = false;
    // The key expiry on the monotonic clock: the BSF's UTC expiry converted once, on
    // arrival, so that a wall-clock jump cannot extend a key's life.
    std::chrono::steady_clock::time_point deadline;
  };

  absl::StatusOr<Entry> FetchFromBsf(const PskIdentity& identity);
  void Insert(const std::string& btid, Entry entry);

  std::unique_ptr<ZnKeyFetcher> fetcher_;
  ZnKeySourceOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> cache_;  // by B-TID
  int zn_calls_ = 0;
};

}  // namespace gbabridge::examples

#endif  // GBABRIDGE_EXAMPLES_TLS_PSK_ZN_KEY_SOURCE_H_
