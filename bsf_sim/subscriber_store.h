// SubscriberStore: the HSS role of bsf-sim (TS 33.220 §4.4.3, TS 29.109 Zh), on SQLite.
//
// Per subscriber (keyed by IMPI): IMSI, K, OPc, AMF, the last SQN handed out, the GBA_U
// flag (UICC type in the GUSS, TS 33.220 §4.4.3), and optional user security settings
// (USS, TS 33.220 §4.4.6) per GAA service ("gsid:<n>") or per NAF FQDN.
//
// The SQN counter is per IMPI. One IMSI may appear under several IMPIs (a card with an
// ISIM IMPI and the IMSI-derived one, TS 23.003 §13.3; or the two sample soft-USIM
// profiles): their counters are independent, and when they cross on one card the card
// answers AUTS and the BSF resynchronises (TS 33.102 §6.3.5), which costs one round trip.
//
// - The database runs in WAL mode with synchronous=FULL: a committed SQN survives a crash
//   or a power cut, because handing out an SQN twice would let a recorded challenge be
//   replayed (TS 33.102 §6.3.2).
// - AllocateSqn() reads, advances and commits the SQN in an IMMEDIATE transaction and
//   returns only after COMMIT succeeded: the caller never builds a vector on an SQN that
//   is not on disk. A read-only or full database is an Unavailable error. Concurrent
//   allocations are group-committed: one transaction, and so one fsync, for all the
//   requests that arrived while the previous commit was on its way to disk.
// - K and OPc leave the database only as SecretBytes; no error message names them.
// - secure_delete is on, so replaced or deleted key material is overwritten on disk.
// - The file is created with mode 0600 (it holds subscriber keys).
// - Prepared statements prepared once and reused; the Ub handlers and the Zn service call
//   it from several threads. Writes go through one connection under one mutex; Lookup and
//   the USS read through a second, read-only connection (WAL readers see the last commit),
//   so that they never wait for a group commit's fsync.
#ifndef GBABRIDGE_BSF_SIM_SUBSCRIBER_STORE_H_
#define GBABRIDGE_BSF_SIM_SUBSCRIBER_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf {

struct Subscriber {
  std::string impi;
  std::string imsi;
  SecretBytes k;    // 16 bytes
  SecretBytes opc;  // 16 bytes (OPc, never OP: OP is turned into OPc at import)
  Amf amf{};
  uint64_t sqn = 0;  // the last SQN handed out (SEQ || IND); 0 = none yet
  bool gba_u = false;
  // NAF FQDN (lower case) or "gsid:<GAA service id>" -> USS. Filled for Import(); Lookup() leaves
  // it empty (see GetUserSecuritySettings()).
  std::map<std::string, Bytes> uss;
};

// What `subscribers list` shows: never a key.
struct SubscriberSummary {
  std::string impi;
  std::string imsi;
  bool gba_u = false;
  uint64_t sqn = 0;
  std::vector<std::string> uss_nafs;
};

class SubscriberStore {
 public:
  enum class OpenMode {
    kReadWrite,          // creates the database and its schema when missing (import)
    kReadWriteExisting,  // the database must exist (serve: a misspelt path is an error,
                         // not a new empty HSS)
    kReadOnly,           // the database must exist; every write fails (Unavailable)
  };

  static absl::StatusOr<std::unique_ptr<SubscriberStore>> Open(
      const std::string& path, OpenMode mode = OpenMode::kReadWrite);
  ~SubscriberStore();
  SubscriberStore(const SubscriberStore&) = delete;
  SubscriberStore& operator=(const SubscriberStore&) = delete;

  // NotFound when the IMPI is not provisioned.
  absl::StatusOr<Subscriber> Lookup(std::string_view impi);

  // Advances the subscriber's SQN (sqn_scheme.h NextSqn) and commits it; returns the new
  // SQN. NotFound (unknown IMPI), Unavailable (the database cannot be written: the caller
  // must not build a vector), ResourceExhausted (SQN space used up).
  absl::StatusOr<uint64_t> AllocateSqn(std::string_view impi, int ind_bits);

  // Resynchronisation (TS 33.102 §6.3.5, C.3.4): the last SQN becomes SQN_MS, so the next
  // allocation yields SEQ_MS + 1. The caller has verified MAC-S.
  absl::Status Resync(std::string_view impi, uint64_t sqn_ms);

  // The USS for this subscriber and a NAF (TS 33.220 §4.4.6): the one of the first GAA
  // service in `gsids` that is stored ("gsid:<n>" entries), else the one of the NAF FQDN
  // (compared in lower case). `listed` says whether the subscriber has any USS at all: a
  // subscriber with a USS list is only served to the NAFs and services it lists.
  struct UssLookup {
    bool listed = false;
    std::optional<Bytes> uss;
  };
  absl::StatusOr<UssLookup> LookUpUserSecuritySettings(std::string_view impi,
                                                       std::string_view naf_fqdn,
                                                       const std::vector<std::string>& gsids = {});
  // Compatibility: the USS of the NAF FQDN only.
  absl::StatusOr<std::optional<Bytes>> GetUserSecuritySettings(std::string_view impi,
                                                               std::string_view naf_fqdn);

  // Adds subscribers in one transaction: all or nothing. An IMPI already in the database
  // is an AlreadyExists error unless `replace`; a replaced subscriber gets the
  // new keys, flag and USS, and keeps the higher of the stored and the imported SQN, so a
  // re-import never rewinds SEQ (which would make the HSS reuse SQNs).
  absl::Status Import(const std::vector<Subscriber>& subscribers, bool replace);

  absl::StatusOr<std::vector<SubscriberSummary>> List();

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  // One caller's AllocateSqn, queued for the next group commit.
  struct SqnRequest {
    std::string_view impi;
    int ind_bits = 0;
    absl::StatusOr<uint64_t> result = absl::UnknownError("SQN allocation pending");
    bool done = false;
  };
  SubscriberStore(std::string path, std::unique_ptr<Impl> impl);
  // Runs one batch in one transaction; every request gets its SQN or an error.
  void CommitSqnBatch(const std::vector<SqnRequest*>& batch);
  // Inside the batch's transaction: a database failure is returned (and fails the batch);
  // a failure of this request alone (unknown IMPI, SQN space used up) goes into its result.
  absl::Status AdvanceSqnInTransaction(SqnRequest& request);

  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_SUBSCRIBER_STORE_H_
