// gba-tls-device: an M2M device application that talks to its service (the NAF) over
// TLS-PSK, keyed with a GBA key from gbabridged. The pattern to copy: device_client.cc.
//
//   gba-tls-device --daemon unix:/run/gbabridge/gbabridged.sock
//       --naf-host mef.example.com --connect 127.0.0.1:4433 --message "temperature=21.5"
//
// Exit status: 0 the NAF answered; 1 other failure; 2 usage; 3 gbabridged gave no key;
// 4 the NAF cannot be reached; 5 the TLS session failed (key rejected, B-TID unknown to
// the NAF even after a fresh bootstrap, protocol mismatch).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bootstrap/protocol/naf_id.h"
#include "examples/tls_psk/device_client.h"
#include "examples/tls_psk/tcp.h"
#include "uicc/base/command_line.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoKey = 3;
constexpr int kExitNafUnreachable = 4;
constexpr int kExitTlsFailed = 5;

int Fail(int code, absl::string_view message) {
  return gbabridge::ReportFailure(code, std::string_view(message.data(), message.size()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "gba-tls-device: get a NAF key from gbabridged (GetNafKey, Ua id 01 00 01 00 AE) and "
      "use it as the pre-shared key of a TLS 1.2 session (TLS_PSK_WITH_AES_128_CBC_SHA256) "
      "with the NAF, as TS 33.222 §5.4 describes: PSK identity \"3GPP-bootstrapping.\" + "
      "B-TID. Sends one line and prints the NAF's answer. The key is never printed.\n\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 no key from gbabridged, 4 NAF unreachable, "
      "5 TLS session failed.");
  std::string daemon = "unix:/run/gbabridge/gbabridged.sock";
  std::string naf_host;
  std::string naf_address_text;
  std::string message = "hello from a GBA device";
  int timeout_seconds = 60;
  // The same flag names as gbabridge's (--daemon, --naf); --naf-host and --connect are the
  // names of 0.1, accepted until 0.3.
  app.add_option("--daemon", daemon, "gbabridged's socket, unix:PATH")->capture_default_str();
  app.add_option("--naf,--naf-host", naf_host,
                 "the NAF's FQDN, as the key is derived for it (NAF_Id, TS 33.220 B.3), e.g. "
                 "mef.example.com (--naf-host: old name)")
      ->required();
  app.add_option("--naf-address,--connect", naf_address_text,
                 "where the NAF's TLS server listens, HOST:PORT (default: --naf:4433; "
                 "--connect: old name)");
  app.add_option("--message", message, "the line to send")->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds for GetNafKey (it may run a bootstrap)")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  gbabridge::AddVersionFlag(app, "gba-tls-device");
  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }
  signal(SIGPIPE, SIG_IGN);  // a NAF that hangs up must give an error, not kill us

  if (!absl::StartsWith(daemon, "unix:")) {
    return Fail(kExitUsage, "--daemon must be unix:PATH (gbabridged's local socket)");
  }
  if (absl::Status fqdn = gbabridge::ValidateFqdn(naf_host); !fqdn.ok()) {
    return Fail(kExitUsage, absl::StrCat("--naf: ", fqdn.message()));
  }
  if (naf_address_text.empty()) naf_address_text = naf_host + ":4433";
  absl::StatusOr<gbabridge::examples::HostPort> naf_address =
      gbabridge::examples::ParseHostPort(naf_address_text);
  if (!naf_address.ok()) return Fail(kExitUsage, naf_address.status().message());

  // A Unix socket: gbabridged identifies this program by its uid/gid (peer credentials),
  // so no transport security is needed on it.
  std::unique_ptr<gbabridge::v1::GbaBridge::Stub> stub = gbabridge::v1::GbaBridge::NewStub(
      grpc::CreateChannel(daemon, grpc::InsecureChannelCredentials()));

  gbabridge::examples::DeviceOptions options;
  options.naf_fqdn = naf_host;
  options.naf_address = *naf_address;
  options.message = message;
  options.daemon_timeout = std::chrono::seconds(timeout_seconds);
  options.log = [](std::string_view line) { std::cerr << "gba-tls-device: " << line << "\n"; };
  gbabridge::examples::DeviceStep failed_step = gbabridge::examples::DeviceStep::kGetKey;
  absl::StatusOr<gbabridge::examples::DeviceResult> result =
      gbabridge::examples::RunDevice(*stub, options, &failed_step);
  if (!result.ok()) {
    switch (failed_step) {
      case gbabridge::examples::DeviceStep::kGetKey:
        return Fail(kExitNoKey, result.status().message());
      case gbabridge::examples::DeviceStep::kConnect:
        return Fail(kExitNafUnreachable, result.status().message());
      case gbabridge::examples::DeviceStep::kTls:
        return Fail(kExitTlsFailed, result.status().message());
    }
    return Fail(kExitFailure, result.status().message());
  }

  std::cout << result->reply << "\n"
            << "identity:  " << result->identity << "\n"
            << "B-TID:     " << result->btid << "\n"
            << "GBA mode:  " << (result->gba_mode == gbabridge::v1::GBA_MODE_U ? "GBA_U" : "GBA_ME")
            << "\n"
            << "protocol:  " << result->protocol << "\n"
            << "cipher:    " << result->cipher << "\n"
            << "key until: " << absl::FormatTime(result->key_expiry, absl::UTCTimeZone()) << "\n"
            << (result->bootstrapped_again ? "(bootstrapped again: the NAF did not know the "
                                             "first B-TID)\n"
                                           : "");
  return kExitOk;
}
