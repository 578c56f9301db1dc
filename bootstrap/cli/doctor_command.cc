#include "bootstrap/cli/doctor_command.h"

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/cli/cli_error.h"
#include "bootstrap/cli/exit_codes.h"
#include "bootstrap/cli/status_command.h"
#include "bootstrap/wire/wire_error.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "uicc/card_error.h"
#include "uicc/pcsc_transport.h"
#include "uicc/usim.h"

namespace gbabridge::cli {
namespace {

namespace v1 = gbabridge::v1;

// One line per check: "[ ok ] ...", "[warn] ...", "[FAIL] ... -> what to do".
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void Ok(const std::string& what) { out_ << "[ ok ] " << what << "\n"; }
  void Warn(const std::string& what) { out_ << "[warn] " << what << "\n"; }
  void Fail(const std::string& what, const std::string& fix) {
    ++failures_;
    out_ << "[FAIL] " << what << (fix.empty() ? "" : "\n       -> " + fix) << "\n";
  }
  int failures() const { return failures_; }

 private:
  std::ostream& out_;
  int failures_ = 0;
};

void CheckPcsc(const DoctorOptions& options, Report& report) {
  absl::StatusOr<std::vector<PcscReaderInfo>> readers = PcscTransport::ListReaders();
  if (!readers.ok()) {
    const std::optional<CardErrorReason> reason = GetCardErrorReason(readers.status());
    if (reason == CardErrorReason::kPcscdNotRunning) {
      report.Fail("pcscd: not running",
                  "start it: `systemctl start pcscd.socket` (or `pcscd --foreground` by hand)");
    } else if (reason == CardErrorReason::kNoReader) {
      report.Ok("pcscd: running");
      report.Fail("readers: none connected",
                  "plug in the reader; for soft-usim, check pcscd loads the vpcd driver");
    } else {
      report.Fail(absl::StrCat("PC/SC: ", readers.status().message()), "");
    }
    return;
  }
  report.Ok("pcscd: running");
  std::vector<std::string> names;
  bool wanted_found = options.card.reader.empty();
  for (const PcscReaderInfo& r : *readers) {
    names.push_back(absl::StrCat("\"", r.name, "\"", r.card_present ? " (card)" : " (empty)"));
    if (r.name == options.card.reader) wanted_found = true;
  }
  report.Ok(absl::StrCat("readers: ", absl::StrJoin(names, ", ")));
  if (!wanted_found) {
    report.Fail(absl::StrCat("reader \"", options.card.reader, "\": no such reader"),
                "use one of the names above, exactly ([card] reader, --reader)");
  }
}

// The socket file of a unix: target: there, a socket, and usable by this user.
bool CheckSocket(const DaemonTarget& target, Report& report) {
  if (target.kind != DaemonTarget::Kind::kUnix) return true;
  struct stat st {};
  if (::stat(target.path.c_str(), &st) != 0) {
    report.Fail(absl::StrCat("daemon socket ", target.path, ": ", std::strerror(errno)),
                "is gbabridged running, with [listen] unix_socket there? (--daemon to point "
                "elsewhere)");
    return false;
  }
  if (!S_ISSOCK(st.st_mode)) {
    report.Fail(absl::StrCat("daemon socket ", target.path, ": not a socket"), "");
    return false;
  }
  if (::access(target.path.c_str(), R_OK | W_OK) != 0) {
    report.Fail(absl::StrCat("daemon socket ", target.path, ": no read/write permission for uid ",
                             ::getuid()),
                absl::StrCat("join the socket's group (gid ", st.st_gid,
                             "): `usermod -aG <group> $USER`, then log in again"));
    return false;
  }
  report.Ok(absl::StrCat("daemon socket ", target.path, ": a socket you may use"));
  return true;
}

void CheckBsf(const std::string& url, Report& report) {
  if (url.empty()) {
    report.Warn("BSF: URL not known (no daemon answer, no --bsf-url): not checked");
    return;
  }
  // CONNECT_ONLY: TCP, plus the TLS handshake with certificate checks for https; no request.
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    report.Fail("BSF: libcurl could not start", "");
    return;
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) {
    report.Ok(absl::StrCat("BSF: reachable at ", url));
  } else {
    report.Fail(absl::StrCat("BSF: unreachable at ", url, ": ",
                             error[0] != '\0' ? error : curl_easy_strerror(rc)),
                "check [bsf] url, the network and, for https, [bsf] ca_file");
  }
}

void CheckCardFromDaemon(const v1::GetStatusResponse& status, Report& report) {
  if (status.reader().empty()) {
    report.Fail("card: the daemon sees no reader", status.card_error_message());
    return;
  }
  if (!status.card_present()) {
    report.Fail(absl::StrCat("card: none in reader \"", status.reader(), "\" (daemon's view)"),
                status.card_error_message());
    return;
  }
  if (!status.card_error_reason().empty()) {
    report.Fail(absl::StrCat("card in \"", status.reader(), "\": ", status.card_error_message(),
                             " [", status.card_error_reason(), "]"),
                "");
  } else {
    report.Ok(absl::StrCat("card in \"", status.reader(), "\": IMSI ", status.imsi_masked(),
                           ", GBA_U ",
                           !status.has_gba_u_capable() ? "unknown"
                           : status.gba_u_capable()    ? "yes"
                                                       : "no"));
  }
  const v1::PinState pin = status.pin_state();
  if (pin == v1::PIN_STATE_REQUIRED) {
    report.Fail("PIN: required", "set [card] pin_file (or pin_credential) in the daemon's config");
  } else if (pin == v1::PIN_STATE_BLOCKED) {
    report.Fail("PIN: blocked", "unblock the card with its PUK");
  } else {
    report.Ok(absl::StrCat("PIN: ", PinStateText(pin)));
  }
}

void CheckCardDirectly(const DoctorOptions& options, Report& report) {
  absl::StatusOr<std::unique_ptr<CardTransport>> channel = OpenCard(options.card);
  if (!channel.ok()) {
    report.Fail(absl::StrCat("card: ", channel.status().message()), "");
    return;
  }
  Usim usim(**channel);
  absl::StatusOr<PinState> pin = usim.GetPinState();
  if (!pin.ok()) {
    report.Fail(
        absl::StrCat("card in \"", (*channel)->ReaderName(), "\": ", pin.status().message()), "");
    return;
  }
  if (pin->blocked) {
    report.Fail("PIN: blocked", "unblock the card with its PUK");
  } else if (pin->enabled && !pin->verified) {
    report.Warn(absl::StrCat("PIN: enabled (", pin->tries_left,
                             " tries left): the daemon needs [card] pin_file"));
  } else {
    report.Ok(pin->enabled ? "PIN: verified" : "PIN: disabled");
  }
  absl::StatusOr<Imsi> imsi = usim.ReadImsi();
  absl::StatusOr<bool> gba = usim.IsGbaCapable();
  if (imsi.ok() && gba.ok()) {
    report.Ok(absl::StrCat("card in \"", (*channel)->ReaderName(), "\" (read directly): IMSI ",
                           imsi->Masked(), ", GBA_U ", *gba ? "yes" : "no"));
  } else if (!pin->enabled || pin->verified) {
    report.Fail(absl::StrCat("card in \"", (*channel)->ReaderName(),
                             "\": ", (imsi.ok() ? gba.status() : imsi.status()).message()),
                "");
  }
}

}  // namespace

int RunDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err) {
  Report report(out);
  if (options.card.modem.empty()) CheckPcsc(options, report);

  absl::StatusOr<DaemonTarget> target = ParseDaemonTarget(
      ResolveConnectString(options.connection.connect, std::getenv(kConnectEnvVar)));
  if (!target.ok()) return ReportLocalError(target.status(), /*json=*/false, out, err);
  std::optional<v1::GetStatusResponse> status;
  if (CheckSocket(*target, report)) {
    absl::StatusOr<DaemonConnection> connection = DaemonConnection::Open(options.connection);
    if (!connection.ok()) {
      report.Fail(absl::StrCat("daemon: ", connection.status().message()), "");
    } else {
      std::unique_ptr<v1::GbaBridge::Stub> stub = connection->NewStub();
      grpc::ClientContext context;
      connection->SetDeadline(context);
      v1::GetStatusResponse response;
      const grpc::Status rpc = stub->GetStatus(&context, v1::GetStatusRequest(), &response);
      const std::string reason = wire::ErrorReasonFromTrailers(context.GetServerTrailingMetadata());
      if (rpc.ok()) {
        report.Ok(absl::StrCat("daemon: gbabridged ", response.daemon_version(), " answers at ",
                               target->display(), ", and its policy names you (uid ", ::getuid(),
                               ", gid ", ::getgid(), ")"));
        status = std::move(response);
      } else if (reason == "CALLER_NOT_ALLOWED") {
        report.Fail(absl::StrCat("policy: gbabridged answers but no [[client]] entry names you "
                                 "(uid ",
                                 ::getuid(), ", gid ", ::getgid(), ")"),
                    absl::StrCat("add uids = [", ::getuid(),
                                 "] (or your primary gid) to an entry, then `systemctl reload "
                                 "gbabridged`"));
      } else {
        report.Fail(
            absl::StrCat("daemon: no answer at ", target->display(), ": ", rpc.error_message()),
            "is gbabridged running? `systemctl status gbabridged`");
      }
    }
  }

  if (status.has_value()) {
    CheckCardFromDaemon(*status, report);
  } else {
    CheckCardDirectly(options, report);
  }
  CheckBsf(!options.bsf_url.empty() ? options.bsf_url
                                    : (status.has_value() ? status->bsf_url() : std::string()),
           report);

  if (report.failures() == 0) {
    out << "everything gbabridge needs is in place\n";
    return kExitOk;
  }
  out << report.failures() << " problem" << (report.failures() == 1 ? "" : "s") << " found\n";
  return kExitFailure;
}

void AddDoctorCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<DoctorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check pcscd, the readers, the daemon's socket and policy, the card, the PIN and the BSF, "
      "and say what to do about each problem (exit 1 if any)");
  AddDaemonConnectionOptions(cmd, &options->connection);
  cmd->add_option("--reader", options->card.reader,
                  "the PC/SC reader the daemon should use (checked by name)");
  AddModemOptions(cmd, &options->card);
  cmd->add_option("--bsf-url", options->bsf_url, "the BSF to check (default: the daemon's)");
  cmd->callback([options, exit_code] { *exit_code = RunDoctor(*options, std::cout, std::cerr); });
}

}  // namespace gbabridge::cli
