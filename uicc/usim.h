// Usim: application-level operations on a USIM (and ISIM) over any CardTransport.
//
// Each public operation runs inside one exclusive card transaction. A card reset by
// someone else loses the selected application: the operation re-selects and retries once.
// PINs are never retried automatically.
#ifndef GBABRIDGE_UICC_USIM_H_
#define GBABRIDGE_UICC_USIM_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/identifiers.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/card_transport.h"

namespace gbabridge {

struct PinState {
  bool enabled = false;   // PIN1 verification required for the USIM
  bool verified = false;  // verified in this card session (or not enabled)
  bool blocked = false;   // 6983: needs the PUK
  int tries_left = -1;    // -1 when the card does not say
};

// AUTHENTICATE in the 3G context (TS 31.102 §7.1.2.1). Exactly one of the two outcomes.
struct Auth3gResult {
  bool sync_failure = false;
  SecretBytes res;  // 4..16 bytes
  SecretBytes ck;   // 16
  SecretBytes ik;   // 16
  SecretBytes kc;   // 8, empty if the card omitted it
  Bytes auts;       // 14 bytes, only on synchronisation failure
};

// AUTHENTICATE in the GBA context, bootstrapping mode (TS 31.102 §7.1.2.4): the card keeps
// Ks and RAND; only RES leaves it.
struct GbaBootstrapResult {
  bool sync_failure = false;
  SecretBytes res;
  Bytes auts;
};

// EF_GBABP (TS 31.102 §4.2.79): RAND, B-TID and key lifetime of the last bootstrap.
struct GbaBootstrapParameters {
  Bytes rand;
  std::string btid;
  std::string key_lifetime;  // as sent by the BSF (xs:dateTime)
};

// One EF_GBANL record (TS 31.102 §4.2.83): NAF_ID and the B-TID used with it.
struct GbaNafEntry {
  Bytes naf_id;  // FQDN || Ua security protocol id
  std::string btid;
};

struct CardApplications {
  Bytes usim_aid;
  std::optional<Bytes> isim_aid;
};

class Usim {
 public:
  explicit Usim(CardTransport& channel);

  // Finds the USIM (and ISIM) AIDs in EF_DIR, falling back to selecting the USIM by its
  // AID prefix when EF_DIR is missing or lists none (TS 102 221 §13.1).
  absl::StatusOr<CardApplications> ListApplications();

  absl::StatusOr<Bytes> ReadIccid();    // EF_ICCID raw (BCD, swapped)
  absl::StatusOr<Imsi> ReadImsi();      // EF_IMSI + EF_AD
  absl::StatusOr<Bytes> ReadUst();      // EF_UST raw
  absl::StatusOr<bool> IsGbaCapable();  // UST service n°68
  // EF_IMPI of the ISIM, or nullopt when there is no ISIM.
  absl::StatusOr<std::optional<std::string>> ReadIsimImpi();
  // The IMPI from the ISIM, else derived from the IMSI (TS 33.220 §4.3.1, TS 23.003 §13.3).
  absl::StatusOr<std::string> ResolveImpi();

  absl::StatusOr<PinState> GetPinState();
  // Verifies PIN1 once. A wrong PIN is kPinWrong with the tries left in the message;
  // a blocked PIN is kPinBlocked. Never retried.
  absl::Status VerifyPin(std::string_view pin);

  absl::StatusOr<Auth3gResult> Authenticate3g(ByteView rand, ByteView autn);
  absl::StatusOr<GbaBootstrapResult> AuthenticateGbaBootstrap(ByteView rand, ByteView autn);
  // NAF derivation mode: Ks_ext_NAF from the card (TS 31.102 §7.1.2.4, TS 33.220 §5.3.2).
  absl::StatusOr<SecretBytes> DeriveKsExtNaf(ByteView naf_id, std::string_view impi);
  // The same, bound to one bootstrap: in the same transaction it first checks that EF_GBABP
  // still holds that bootstrap's RAND and B-TID, i.e. that the Ks on the card is the one the
  // BSF keeps under `btid` (TS 33.220 §5.3.2, TS 31.102 §4.2.79). Otherwise it fails with
  // kGbaBootstrapChanged and sends no AUTHENTICATE: another PC/SC client bootstrapped the
  // card, or a bootstrap was cut short after the card replaced Ks (a new RAND, no B-TID yet),
  // and a key from that Ks would not be the one the NAF gets for `btid`.
  absl::StatusOr<SecretBytes> DeriveKsExtNafForBootstrap(ByteView naf_id, std::string_view impi,
                                                         ByteView rand, std::string_view btid);

  absl::StatusOr<GbaBootstrapParameters> ReadGbaBootstrapParameters();
  absl::Status WriteGbaBootstrapParameters(const GbaBootstrapParameters& params);
  absl::StatusOr<std::vector<GbaNafEntry>> ReadGbaNafList();

  // Bit n of a UST (service numbers start at 1; TS 31.102 §4.2.8).
  static bool HasService(ByteView ust, int service);

 private:
  // Runs `op` in one transaction, with the USIM selected. Retries once after a card reset.
  absl::Status InSession(const std::function<absl::Status()>& op);
  absl::Status SelectUsimApplication();
  absl::StatusOr<Bytes> SelectFile(uint16_t fid);  // returns FCP bytes (may be empty)
  absl::StatusOr<Bytes> SelectAid(ByteView aid);
  absl::StatusOr<Bytes> ReadTransparent(uint16_t fid);
  absl::StatusOr<std::vector<Bytes>> ReadAllRecords(uint16_t fid);
  absl::StatusOr<ResponseApdu> Authenticate(uint8_t context, Bytes data);
  absl::StatusOr<SecretBytes> DeriveKsExtNafLocked(ByteView naf_id, std::string_view impi);
  absl::StatusOr<GbaBootstrapParameters> ReadGbaBootstrapParametersLocked();
  absl::StatusOr<std::optional<std::string>> ReadIsimImpiLocked();
  absl::StatusOr<Imsi> ReadImsiLocked();

  CardTransport& channel_;
  std::optional<CardApplications> applications_;
};

// Maps a status word to an error with an actionable message, naming the operation.
absl::Status StatusWordError(uint16_t sw, absl::string_view operation);

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_USIM_H_
