// SoftUsim: a software UICC with a USIM (and optionally an ISIM), for tests and demos.
//
// It answers the commands a GBA client needs (ETSI TS 102 221 §10-11, TS 31.102 §7):
// SELECT, STATUS, READ BINARY, UPDATE BINARY, READ RECORD, VERIFY PIN, GET RESPONSE and
// AUTHENTICATE in the 3G and (for GBA_U profiles) GBA contexts, with Milenage, the SQN
// array of TS 33.102 Annex C and the GBA_U key storage of TS 33.220 Annex G.
//
// Every change to non-volatile state (SQN array, PIN counter, GBA data, updated EFs) is
// persisted atomically before the command is answered; when that fails the command fails
// with 6F00 and the change is dropped, so a crash can never make the card accept an
// authentication vector twice.
//
// Transmission protocol: with `t0`, responses follow the T=0 procedures (61xx to fetch
// data with GET RESPONSE, 6Cxx for a case-2 command with the wrong Le, TS 102 221
// §7.3.1.1.4); otherwise (T=1) data comes back directly, cut to Le.
//
// Not thread-safe: one caller at a time, like a real card.
#ifndef GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_H_
#define GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_H_

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/apdu.h"
#include "uicc/apdu_handler.h"
#include "uicc/base/milenage.h"
#include "uicc/soft_usim/aka_check.h"
#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/card_state.h"
#include "uicc/soft_usim/card_state_store.h"
#include "uicc/soft_usim/file_system.h"
#include "uicc/soft_usim/soft_usim_apdus.h"

namespace gbabridge {

struct SoftUsimOptions {
  bool t0 = false;  // T=0 response procedures and a T=0-only ATR
  // Told about failures the card can only answer with a status word (state not saved).
  // The messages hold paths and errno text, never keys. Null: stay silent.
  std::function<void(std::string_view)> log;
};

class SoftUsim : public ApduHandler {
 public:
  using Options = SoftUsimOptions;

  // Loads the state file (a missing one starts a fresh card and is created at once; a
  // corrupt or mismatching one is an error).
  static absl::StatusOr<std::unique_ptr<SoftUsim>> Create(CardProfile profile,
                                                          std::string state_path,
                                                          Options options = {});

  Bytes Reset() override;
  Bytes Process(ByteView command_apdu) override;

  // Told about every command received, before it is processed, with its header only:
  // CLA INS P1 P2 (fewer bytes for a command shorter than that), never the data field or
  // Le, which can hold a PIN or RAND/AUTN. For AUTHENTICATE, Lc and the first data byte
  // follow: in the GBA context that byte is the mode tag (TS 31.102 §7.1.2.4). For counting card
  // commands (soft-usim
  // --apdu-log, apdu_log.h). Called on the thread that calls Process(). Null: nothing.
  using CommandObserver = std::function<void(ByteView header)>;
  void set_command_observer(CommandObserver observer) { command_observer_ = std::move(observer); }

  // The ATR Reset() returns.
  Bytes Atr() const;
  const CardProfile& profile() const { return profile_; }
  const CardState& state() const { return state_; }

 private:
  // One command's outcome before the T=0/T=1 response procedures are applied.
  struct Reply {
    Bytes data;  // may hold keys: wiped after use
    uint16_t sw = kSwOk;
    Reply() = default;
    explicit Reply(uint16_t status) : sw(status) {}
    Reply(Bytes d, uint16_t status) : data(std::move(d)), sw(status) {}
    Reply(Reply&&) = default;
    Reply& operator=(Reply&&) = default;
    ~Reply();
  };

  SoftUsim(CardProfile profile, CardStateStore store, CardState state, Milenage milenage,
           std::unique_ptr<FileSystem> files, Options options);

  Reply Dispatch(const CommandApdu& command);
  Reply DispatchOnChannel(const CommandApdu& command);
  // MANAGE CHANNEL (TS 102 221 §11.1.17).
  Reply ManageChannel(const CommandApdu& command);
  Bytes Respond(const CommandApdu& command, Reply reply);
  Reply GetResponse(const CommandApdu& command);

  // File commands (soft_usim_file_commands.cc).
  Reply Select(const CommandApdu& command);
  Reply Status(const CommandApdu& command);
  Reply ReadBinary(const CommandApdu& command);
  Reply UpdateBinary(const CommandApdu& command);
  Reply ReadRecord(const CommandApdu& command);
  Bytes FcpOf(const CardFile& file) const;
  bool MayAccess(CardAccess access) const;

  // Security commands (soft_usim_security_commands.cc).
  Reply Verify(const CommandApdu& command);
  Reply Authenticate(const CommandApdu& command);
  Reply Authenticate3g(ByteView data);
  Reply GbaBootstrap(ByteView data);
  // Parses `L1 RAND L2 AUTN` into `rand` and checks AUTN (TS 33.102 §6.3.3) into `result`.
  // Returns the answer when the challenge is not accepted (wrong length, MAC failure, AUTS),
  // nullopt when the command may go on.
  std::optional<Reply> CheckChallenge(ByteView data, bool gba_u_mac_star, Rand& rand,
                                      AkaCheckResult& result);
  Reply GbaNafDerivation(ByteView data);

  // Persists `next` and makes it current; on failure nothing changes.
  absl::Status Commit(CardState next);
  // Copies persistent state into the dynamic EFs (EF_GBABP, EF_GBANL).
  void SyncFiles();

  CardProfile profile_;
  CardStateStore store_;
  CardState state_;
  Milenage milenage_;
  std::unique_ptr<FileSystem> files_;
  Options options_;
  CommandObserver command_observer_;

  // Volatile (lost on reset).
  // The selection of the channel the current command came on (each logical channel has its
  // own, TS 102 221 §8.4.1 / §11.1.17); the others wait in channel_selections_.
  Selection selection_;
  std::array<Selection, card_apdu::kLogicalChannels> channel_selections_{};
  std::array<bool, card_apdu::kLogicalChannels> channel_open_{true, false, false, false};
  bool pin_verified_ = false;
  SecretBytes pending_response_;  // T=0: data waiting for GET RESPONSE
};

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_H_
