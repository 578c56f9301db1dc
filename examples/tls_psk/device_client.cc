#include "examples/tls_psk/device_client.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bootstrap/wire/wire_error.h"
#include "examples/tls_psk/gba_psk.h"
#include "examples/tls_psk/psk_tls.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::examples {
namespace {

using gbabridge::v1::GbaMode;

// The key and its public companions, as gbabridged served them.
struct ServedKey {
  SecretBytes key;
  std::string btid;
  GbaMode mode = gbabridge::v1::GBA_MODE_UNSPECIFIED;
  absl::Time expiry;
};

void Wipe(std::string* bytes) {
  Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes->data()), bytes->size()));
  bytes->clear();
}

// The machine-readable reason of a failed call: the trailer every gbabridged error carries
// (gbabridge.proto, ERROR MODEL), read as the CLI reads it; "ERROR_REASON_UNSPECIFIED" when
// there is none (the daemon was not reached).
std::string ErrorReason(const grpc::ClientContext& context) {
  const std::string received = wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata());
  return received.empty() ? "ERROR_REASON_UNSPECIFIED" : received;
}

// What the application can do about a failed GetNafKey (gbabridge.proto, retry guidance).
const char* Advice(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "retry later: no card or reader, the BSF is unreachable, or gbabridged is not "
             "running";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "the daemon's policy does not allow this program this NAF or Ua id";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "an operator must act first (PIN, or a card with GBA support)";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "the network and the device failed to authenticate each other; do not retry "
             "blindly";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "rate limited: retry after the policy's window";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "check the NAF FQDN";
    default:
      return "see gbabridged's log";
  }
}

absl::StatusOr<ServedKey> GetKeyFromDaemon(gbabridge::v1::GbaBridge::StubInterface& daemon,
                                           const DeviceOptions& options, bool force_bootstrap) {
  gbabridge::v1::GetNafKeyRequest request;
  request.set_naf_fqdn(options.naf_fqdn);
  const UaSecurityProtocolId::Octets ua = TlsUaId().octets();  // 01 00 01 00 AE
  request.set_ua_security_protocol_id(std::string(ua.begin(), ua.end()));
  request.set_force_bootstrap(force_bootstrap);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options.daemon_timeout);
  gbabridge::v1::GetNafKeyResponse response;
  const grpc::Status status = daemon.GetNafKey(&context, request, &response);
  ServedKey served;
  served.key = SecretBytes::CopyFrom(AsBytes(response.key()));
  Wipe(response.mutable_key());
  if (!status.ok()) {
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("gbabridged gave no key for ", options.naf_fqdn, ": ",
                     absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                     "/", ErrorReason(context), ": ", status.error_message(), " (",
                     Advice(status.error_code()), ")"));
  }
  // Check what came back before using it: a key of the wrong size would make a TLS
  // failure that looks like a key mismatch.
  if (served.key.size() != kNafKeySize) {
    return absl::DataLossError(absl::StrCat("gbabridged sent a ", served.key.size(),
                                            "-byte key; Ks_NAF is ", kNafKeySize, " bytes"));
  }
  if (absl::Status valid = ValidateBtid(response.btid()); !valid.ok()) {
    return absl::DataLossError(absl::StrCat("gbabridged sent a bad B-TID: ", valid.message()));
  }
  served.btid = response.btid();
  served.mode = response.gba_mode();
  if (served.mode != gbabridge::v1::GBA_MODE_ME && served.mode != gbabridge::v1::GBA_MODE_U) {
    return absl::DataLossError("gbabridged did not say whether the key is GBA_ME or GBA_U");
  }
  served.expiry = absl::FromUnixSeconds(response.key_expiry().seconds());
  if (served.expiry <= absl::Now()) {
    return absl::FailedPreconditionError(
        "gbabridged sent a key that has already expired: check the device's clock");
  }
  return served;
}

std::string ModeName(GbaMode mode) {
  return mode == gbabridge::v1::GBA_MODE_U ? "GBA_U (Ks_ext_NAF)" : "GBA_ME (Ks_NAF)";
}

}  // namespace

absl::StatusOr<DeviceResult> RunDevice(gbabridge::v1::GbaBridge::StubInterface& daemon,
                                       const DeviceOptions& options, DeviceStep* failed_step) {
  const auto log = [&](std::string_view line) {
    if (options.log) options.log(line);
  };
  const auto fail = [&](DeviceStep step, absl::Status status) {
    if (failed_step != nullptr) *failed_step = step;
    return status;
  };
  DeviceResult result;
  bool force_bootstrap = false;
  for (;;) {
    absl::StatusOr<ServedKey> served = GetKeyFromDaemon(daemon, options, force_bootstrap);
    if (!served.ok()) return fail(DeviceStep::kGetKey, served.status());
    const bool gba_u = served->mode == gbabridge::v1::GBA_MODE_U;
    absl::StatusOr<std::string> identity = MakePskIdentity(served->btid, gba_u);
    if (!identity.ok()) return fail(DeviceStep::kGetKey, identity.status());
    log(absl::StrCat("key for ", options.naf_fqdn, ": ", ModeName(served->mode), ", B-TID ",
                     served->btid, ", expires ",
                     absl::FormatTime(served->expiry, absl::UTCTimeZone())));

    absl::StatusOr<UniqueFd> fd = ConnectTcp(options.naf_address, options.naf_timeout);
    if (!fd.ok()) return fail(DeviceStep::kConnect, fd.status());
    absl::StatusOr<ClientSessionResult> session =
        RunClientSession(fd->get(), {.identity = *identity,
                                     .psk = std::move(served->key),
                                     .server_name = options.naf_fqdn,
                                     .message = options.message});
    if (session.ok()) {
      result.reply = std::move(session->reply);
      result.identity = *std::move(identity);
      result.btid = served->btid;
      result.gba_mode = served->mode;
      result.key_expiry = served->expiry;
      result.cipher = std::move(session->cipher);
      result.protocol = std::move(session->protocol);
      return result;
    }
    if (absl::IsNotFound(session.status()) && !force_bootstrap) {
      // TS 33.220 §4.5.3: the NAF cannot get keys for this B-TID from the BSF (expired or
      // lost there); the UE bootstraps again and presents the new B-TID. Once.
      log(absl::StrCat("the NAF does not know B-TID ", served->btid,
                       "; bootstrapping again (TS 33.220 §4.5.3) and retrying once"));
      force_bootstrap = true;
      result.bootstrapped_again = true;
      continue;
    }
    if (absl::IsNotFound(session.status())) {
      return fail(DeviceStep::kTls,
                  absl::NotFoundError(absl::StrCat(
                      session.status().message(),
                      ". This was a fresh bootstrap already: gbabridged and the NAF probably "
                      "use different BSFs")));
    }
    return fail(DeviceStep::kTls, session.status());
  }
}

}  // namespace gbabridge::examples
