// soft-usim: a software USIM behind vpcd, so that pcscd (and everything on top of PC/SC)
// sees it as a card in the reader "Virtual PCD 00 00".
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "uicc/base/command_line.h"
#include "uicc/base/identifiers.h"
#include "uicc/soft_usim/apdu_log.h"
#include "uicc/soft_usim/at_modem_simulator.h"
#include "uicc/soft_usim/card_fault.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/soft_usim/vpcd_link.h"

namespace {

// Lock-free, so reading it in the signal handler is safe.
std::atomic<gbabridge::VpcdLink*> g_link{nullptr};
static_assert(std::atomic<gbabridge::VpcdLink*>::is_always_lock_free);

extern "C" void OnSignal(int /*signal*/) {
  if (gbabridge::VpcdLink* link = g_link.load()) link->Stop();  // atomic store + write(2)
}

void LogLine(std::string_view line) {
  std::fprintf(stderr, "soft-usim: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

// The exit status after a `--fault pull-*`: the card was pulled out on purpose.
constexpr int kPulledExitStatus = 3;

int Fail(absl::string_view message) {
  return gbabridge::ReportFailure(1, std::string_view(message.data(), message.size()));
}

int UsageError(absl::string_view message) {
  return gbabridge::ReportFailure(gbabridge::kExitUsageError,
                                  std::string_view(message.data(), message.size()));
}

std::atomic<gbabridge::AtModemSimulator*> g_modem{nullptr};
std::atomic<bool> g_stop_modem{false};
static_assert(std::atomic<gbabridge::AtModemSimulator*>::is_always_lock_free);

extern "C" void OnModemSignal(int signal) {
  gbabridge::AtModemSimulator* modem = g_modem.load();
  if (signal == SIGUSR1 && modem != nullptr) modem->ToggleSimFromSignal();
  if (signal == SIGUSR2 && modem != nullptr) modem->TogglePlugFromSignal();
  if (signal == SIGTERM || signal == SIGINT) g_stop_modem = true;
}

// The card behind a simulated modem until SIGTERM/SIGINT.
int ServeModem(gbabridge::ApduHandler& card, const std::string& link,
               const gbabridge::AtModemQuirks& quirks, int baud) {
  // The handlers first: a SIGUSR1/2 sent as soon as the link appears must not kill us (their
  // default action); until the modem is up it does nothing.
  struct sigaction action {};
  action.sa_handler = OnModemSignal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaction(s, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<std::unique_ptr<gbabridge::AtModemSimulator>> modem =
      gbabridge::AtModemSimulator::Start(
          card, {.link_path = link, .quirks = quirks, .baud = baud, .sim_inserted = true});
  if (!modem.ok()) return Fail(modem.status().message());
  g_modem = modem->get();
  LogLine(absl::StrCat("modem ready at ", link));
  while (!g_stop_modem) ::usleep(50 * 1000);
  g_modem = nullptr;
  (*modem)->Stop();
  LogLine("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "soft-usim: a software USIM (TS 31.102) with Milenage, the TS 33.102 Annex C SQN "
      "array, and the GBA_U context (TS 33.220 Annex G), served to pcscd through vpcd "
      "(vsmartcard).\n\n"
      "It connects to vpcd as a TCP client and reconnects every 500 ms while vpcd is away. "
      "The card's non-volatile memory (SQN array, PIN counter, GBA keys, updated EFs) lives "
      "in the state file, written atomically before each answer that changes it. The state "
      "file holds keys: keep it private. SIGTERM or SIGINT stops the card (exit status 0).\n\n"
      "With --modem LINK instead of --vpcd, the card sits in a simulated cellular modem: "
      "a pseudo-terminal reached through the symlink LINK, speaking AT (ATE0, AT+CMEE, "
      "AT+CPIN?, AT+CSIM, AT+CCHO/AT+CGLA/AT+CCHC of TS 27.007). SIGUSR1 removes or inserts "
      "the SIM, SIGUSR2 unplugs or plugs the modem in again (a new pty behind LINK).\n\n"
      "Examples:\n"
      "  soft-usim --profile uicc/soft_usim/profiles/sample.toml --vpcd 127.0.0.1:40000\n"
      "  soft-usim --profile uicc/soft_usim/profiles/sample.toml --modem /tmp/ttyGBA0");
  std::string profile_path;
  std::string vpcd;
  std::string state_path;
  bool t0 = false;
  std::string apdu_log_path;
  app.add_option("--profile", profile_path,
                 "TOML card profile (imsi, iccid, k, op|opc, amf, pin, pin_enabled, pin_tries, "
                 "mnc_length, gba_u, impi, ind_bits, sqn_delta)")
      ->required()
      ->check(CLI::ExistingFile);
  std::string modem_link;
  std::string modem_quirks;
  int modem_baud = 0;
  auto* vpcd_option =
      app.add_option("--vpcd", vpcd, "vpcd address, HOST:PORT (e.g. 127.0.0.1:40000, port 0x9C40)");
  auto* modem_option = app.add_option(
      "--modem", modem_link,
      "serve the card in a simulated modem behind a pty, reached through this symlink");
  vpcd_option->excludes(modem_option);
  app.add_option("--modem-quirks", modem_quirks,
                 "with --modem: comma-separated quirks of real modems: echo-stuck, "
                 "no-logical-channels, bare-ccho, pass-61xx, refuse-get-response, reselect-mf, "
                 "urc-between, stall-authenticate, cme-error=N, verbose-errors")
      ->needs(modem_option);
  app.add_option("--modem-baud", modem_baud,
                 "with --modem: pace answers as a serial line of this baud would (8N1); "
                 "default: as fast as the pty")
      ->needs(modem_option)
      ->check(CLI::NonNegativeNumber);
  app.add_option("--state", state_path,
                 "state file (default: <profile>.state.json); created when missing, an "
                 "error when corrupt");
  app.add_flag("--t0", t0,
               "present a T=0-only ATR and use the T=0 response procedures (61xx/6Cxx); "
               "default is T=1");
  app.add_option("--apdu-log", apdu_log_path,
                 "append one line per command APDU received to FILE: the header (CLA INS P1 "
                 "P2) in hex and the command name, e.g. \"00880081 AUTHENTICATE\"; never the "
                 "data field (it can hold a PIN or RAND/AUTN). For counting card commands "
                 "in tests");
  std::string fault_spec;
  uint64_t fault_seed = 1;
  app.add_option("--fault", fault_spec,
                 "FOR FAULT TESTS: misbehave as KIND:COMMAND[:N] from the N-th matching "
                 "command on (default 1). KIND: truncate, garbage, no-sw (spoiled responses), "
                 "pull-before, pull-after (the card is pulled out before or after it "
                 "processes the command: the process exits with status 3). COMMAND: the APDU "
                 "log's name in lower case, e.g. select, read-binary, update-binary, "
                 "authenticate, authenticate-gba-bootstrap, ins-XX, or any. See card_fault.h");
  app.add_option("--fault-seed", fault_seed, "seed of the garbage fault's bytes (default 1)");
  gbabridge::AddVersionFlag(app, "soft-usim");
  if (std::optional<int> exit_status = gbabridge::ParseCommandLine(app, argc, argv)) {
    return *exit_status;
  }
  if (vpcd.empty() && modem_link.empty()) {
    return UsageError("one of --vpcd or --modem is required (run with --help for more)");
  }
  std::optional<gbabridge::AtModemQuirks> quirks;
  if (!modem_link.empty()) {
    absl::StatusOr<gbabridge::AtModemQuirks> parsed = gbabridge::ParseAtModemQuirks(modem_quirks);
    if (!parsed.ok()) return UsageError(parsed.status().message());
    quirks = *parsed;
  }
  absl::StatusOr<gbabridge::VpcdEndpoint> endpoint =
      vpcd.empty() ? gbabridge::VpcdEndpoint{} : gbabridge::ParseVpcdEndpoint(vpcd);
  if (!endpoint.ok()) return UsageError(endpoint.status().message());
  absl::StatusOr<gbabridge::CardProfile> profile = gbabridge::CardProfile::LoadFile(profile_path);
  if (!profile.ok()) return Fail(profile.status().message());
  if (state_path.empty()) state_path = profile_path + ".state.json";

  std::string card_summary = "IMSI (invalid)";
  if (absl::StatusOr<gbabridge::Imsi> imsi =
          gbabridge::MakeImsi(profile->imsi, profile->mnc_length);
      imsi.ok()) {
    card_summary = absl::StrCat("IMSI ", imsi->Masked());
  }
  absl::StrAppend(&card_summary, profile->gba_u ? ", GBA_U" : ", no GBA_U",
                  profile->impi.has_value() ? ", ISIM" : "", t0 ? ", T=0" : ", T=1");

  std::optional<gbabridge::CardFault> fault;
  if (!fault_spec.empty()) {
    absl::StatusOr<gbabridge::CardFault> parsed = gbabridge::ParseCardFault(fault_spec);
    if (!parsed.ok()) return UsageError(parsed.status().message());
    if (parsed->kind == gbabridge::CardFaultKind::kEmpty) {
      // A mute card: vpcd would wait for its answer forever, and pcscd with it.
      return Fail(
          "--fault empty:... is for in-process tests only: through vpcd a card that "
          "never answers hangs pcscd (use no-sw for an answer without a status word)");
    }
    fault = *std::move(parsed);
  }

  gbabridge::SoftUsim::Options options;
  options.t0 = t0;
  options.log = LogLine;
  // Opened before the card is made, so that it outlives the card (and a bad path fails
  // before anything else).
  std::unique_ptr<gbabridge::ApduLogFile> apdu_log;
  if (!apdu_log_path.empty()) {
    absl::StatusOr<std::unique_ptr<gbabridge::ApduLogFile>> opened =
        gbabridge::ApduLogFile::Open(apdu_log_path);
    if (!opened.ok()) return Fail(opened.status().message());
    apdu_log = *std::move(opened);
  }
  absl::StatusOr<std::unique_ptr<gbabridge::SoftUsim>> card =
      gbabridge::SoftUsim::Create(*std::move(profile), state_path, std::move(options));
  if (!card.ok()) return Fail(card.status().message());
  LogLine(absl::StrCat("card ready: ", card_summary, "; state ", state_path));
  if (apdu_log != nullptr) {
    // Called on the thread that runs the link (the only one touching the card).
    (*card)->set_command_observer(
        [log = apdu_log.get(), reported = false](gbabridge::ByteView header) mutable {
          absl::Status written = log->Append(header);
          if (!written.ok() && !reported) {  // once: a full disk must not flood stderr
            reported = true;
            const absl::string_view message = written.message();
            LogLine(std::string_view(message.data(), message.size()));
          }
        });
    LogLine(absl::StrCat("APDU log: ", apdu_log->path()));
  }

  // The card as vpcd sees it: the soft USIM, or the soft USIM behind an injected fault.
  gbabridge::ApduHandler* served = card->get();
  std::unique_ptr<gbabridge::FaultyCard> faulty;
  if (fault.has_value()) {
    faulty = std::make_unique<gbabridge::FaultyCard>(
        **card, *fault, fault_seed, [](std::string_view command) {
          // Ending the process closes the vpcd connection: pcscd sees the card removed. The
          // state file holds whatever the card committed (pull-after) or nothing new.
          LogLine(absl::StrCat("fault injection: card pulled out on ",
                               absl::string_view(command.data(), command.size())));
          ::_exit(kPulledExitStatus);
        });
    served = faulty.get();
    LogLine(absl::StrCat("fault injection: ", fault_spec));
  }

  if (quirks.has_value()) return ServeModem(*served, modem_link, *quirks, modem_baud);

  gbabridge::VpcdLink link(*served, {.endpoint = *endpoint,
                                     .reconnect_interval = std::chrono::milliseconds(500),
                                     .log = LogLine});
  g_link = &link;
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const absl::Status status = link.Run();
  g_link = nullptr;
  if (!status.ok()) return Fail(status.message());
  LogLine("stopped");
  return 0;
}
