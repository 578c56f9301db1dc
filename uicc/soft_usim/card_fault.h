// CardFault: makes the soft USIM misbehave on purpose, so that fault tests can show that the
// terminal side (the USIM client, the daemon) fails cleanly on a broken or vanishing card
// rather than crashing, hanging or trusting half-done card state (issue 6, §3).
//
// A fault names what goes wrong and on which command:
//
//   KIND:COMMAND[:N]      e.g. "garbage:authenticate", "pull-after:authenticate-gba-bootstrap:2"
//
// KIND
//   truncate    the response keeps its status word but loses the second half of its data
//   garbage     the data is replaced by pseudo-random bytes (of a pseudo-random length); the
//               status word stays, so the terminal's parsers, not its status checks, meet it
//   no-sw       the response is one byte: not even a complete status word
//   empty       the response is zero bytes. Through vpcd this is a mute card: vpcd waits for
//               an answer and pcscd with it, with no timeout (a real reader's driver would
//               time out), so use it in-process only
//   pull-before the card is pulled out as the command arrives: nothing is processed
//   pull-after  the card processes the command (and persists what it changes), then is pulled
//               out before it answers, as when a card loses power after writing its memory
// COMMAND
//   the command's name as the APDU log writes it, lower case with '-' for spaces
//   (apdu_log.h): "select", "read-binary", "update-binary", "read-record", "verify",
//   "get-response", "status", "authenticate", "authenticate-3g", "authenticate-gba-bootstrap",
//   "authenticate-gba-naf-derivation"; a name also matches its longer forms ("authenticate"
//   matches all three contexts); "any" matches every command; "ins-XX" (XX in hex) matches a
//   command the log has no name for.
// N (default 1)
//   the fault starts at the N-th matching command and stays for every later one (a pull
//   ends the card, so it happens once).
//
// With T=0 (soft-usim --t0) the data of AUTHENTICATE, SELECT and READ comes back in GET
// RESPONSE: aim data faults at "get-response" there.
#ifndef GBABRIDGE_UICC_SOFT_USIM_CARD_FAULT_H_
#define GBABRIDGE_UICC_SOFT_USIM_CARD_FAULT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "uicc/apdu_handler.h"
#include "uicc/base/bytes.h"

namespace gbabridge {

enum class CardFaultKind { kTruncate, kGarbage, kNoStatusWord, kEmpty, kPullBefore, kPullAfter };

struct CardFault {
  CardFaultKind kind = CardFaultKind::kGarbage;
  std::string command;  // normalised name, or "any"
  int from = 1;         // 1-based index among the matching commands
};

absl::StatusOr<CardFault> ParseCardFault(std::string_view spec);

// The command's name as CardFault matches it: the APDU log's name in lower case with '-'
// for spaces ("authenticate-gba-bootstrap"), "ins-XX" for an unknown INS, "malformed" for
// fewer than four bytes.
std::string CardFaultCommandName(ByteView command_apdu);

// Wraps a card and applies one fault. `pull` is called for the pull kinds instead of
// answering: it makes the card disappear (soft-usim ends its process, which closes its vpcd
// connection, and vpcd reports the card removed). Should it return, the command gets an
// empty answer.
class FaultyCard : public ApduHandler {
 public:
  FaultyCard(ApduHandler& card, CardFault fault, uint64_t seed,
             std::function<void(std::string_view command)> pull);

  Bytes Reset() override { return card_.Reset(); }
  Bytes Process(ByteView command_apdu) override;

  int faults_applied() const { return applied_; }

 private:
  Bytes Spoil(Bytes response);
  uint64_t NextRandom();

  ApduHandler& card_;
  const CardFault fault_;
  uint64_t random_state_;
  std::function<void(std::string_view)> pull_;
  int matched_ = 0;
  int applied_ = 0;
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_CARD_FAULT_H_
