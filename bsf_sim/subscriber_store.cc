#include "bsf_sim/subscriber_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {
namespace {

// 'GBBS': marks the file as a bsf-sim subscriber database (PRAGMA application_id).
constexpr int kApplicationId = 0x47424253;
constexpr int kSchemaVersion = 1;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS subscribers (
  impi  TEXT PRIMARY KEY NOT NULL,
  imsi  TEXT NOT NULL,
  k     BLOB NOT NULL CHECK (length(k) = 16),
  opc   BLOB NOT NULL CHECK (length(opc) = 16),
  amf   BLOB NOT NULL CHECK (length(amf) = 2),
  sqn   INTEGER NOT NULL CHECK (sqn >= 0 AND sqn <= 281474976710655),
  gba_u INTEGER NOT NULL CHECK (gba_u IN (0, 1))
);
CREATE TABLE IF NOT EXISTS user_security_settings (
  impi     TEXT NOT NULL REFERENCES subscribers(impi) ON DELETE CASCADE,
  naf_fqdn TEXT NOT NULL,
  uss      BLOB NOT NULL,
  PRIMARY KEY (impi, naf_fqdn)
);
)sql";

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Resets a cached statement when a use ends, whatever the path out.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// Errors that mean "the database cannot take a write right now" (read-only file or
// connection, disk full, I/O error, locked): the Ub server answers 503 for these.
bool IsUnavailable(int rc) {
  switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return true;
    default:
      return false;
  }
}

absl::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  // sqlite3_errmsg never contains bound values, so no key can leak through it.
  std::string message = absl::StrCat("subscriber database: ", AbslView(what), ": ",
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (IsUnavailable(rc)) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

int BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT);
}

int BindBlob(sqlite3_stmt* stmt, int index, ByteView bytes) {
  // A zero-length blob still binds a non-NULL value.
  static const uint8_t kEmpty = 0;
  return sqlite3_bind_blob(stmt, index, bytes.empty() ? &kEmpty : bytes.data(),
                           static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

ByteView ColumnBlob(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const uint8_t*>(data), static_cast<size_t>(size)};
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

}  // namespace

struct SubscriberStore::Impl {
  sqlite3* db = nullptr;
  std::mutex mu;  // the connection and its statements

  // Group commit of AllocateSqn (see there). batch_mu is never held while mu is taken.
  std::mutex batch_mu;
  std::condition_variable batch_done;
  std::vector<SqnRequest*> pending;
  bool committing = false;
  Stmt lookup;      // impi -> imsi, k, opc, amf, sqn, gba_u
  Stmt select_sqn;  // impi -> sqn
  Stmt update_sqn;  // sqn, impi
  Stmt select_uss;  // impi, naf_fqdn -> uss
  Stmt begin;       // BEGIN IMMEDIATE
  Stmt commit;      // COMMIT
  Stmt rollback;    // ROLLBACK

  // A second, read-only connection for Lookup and the USS (writable stores only): in WAL
  // mode it reads the last committed state while the write connection is inside a group
  // commit's fsync, so a bootstrap's subscriber lookup does not wait for another's SQN.
  sqlite3* read_db = nullptr;
  std::mutex read_mu;
  Stmt read_lookup;
  Stmt read_select_uss;

  ~Impl() {
    read_lookup.reset();
    read_select_uss.reset();
    if (read_db != nullptr) sqlite3_close_v2(read_db);
    // Statements must be finalized before the connection closes.
    lookup.reset();
    select_sqn.reset();
    update_sqn.reset();
    select_uss.reset();
    begin.reset();
    commit.reset();
    rollback.reset();
    if (db != nullptr) sqlite3_close_v2(db);
  }

  absl::StatusOr<Stmt> Prepare(std::string_view sql) { return PrepareOn(db, sql); }

  static absl::StatusOr<Stmt> PrepareOn(sqlite3* connection, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(connection, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK)
      return SqliteError(connection, rc, absl::StrCat("preparing \"", AbslView(sql), "\""));
    return Stmt(stmt);
  }

  // The connection, its lock and statements for reads: the read connection if open.
  sqlite3* ReadDb() { return read_db != nullptr ? read_db : db; }
  std::mutex& ReadMu() { return read_db != nullptr ? read_mu : mu; }
  sqlite3_stmt* ReadLookup() { return read_db != nullptr ? read_lookup.get() : lookup.get(); }
  sqlite3_stmt* ReadSelectUss() {
    return read_db != nullptr ? read_select_uss.get() : select_uss.get();
  }

  absl::Status Exec(const char* sql) { return ExecOn(db, sql); }

  static absl::Status ExecOn(sqlite3* connection, const char* sql) {
    const int rc = sqlite3_exec(connection, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(connection, rc, sql);
    return absl::OkStatus();
  }

  absl::Status Step(sqlite3_stmt* stmt, std::string_view what) {
    StmtUse use(stmt);
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(db, rc, what);
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> PragmaInt(const char* sql) {
    absl::StatusOr<Stmt> stmt = Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    const int rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_ROW) return SqliteError(db, rc, sql);
    return sqlite3_column_int64(stmt->get(), 0);
  }

  void RollbackQuietly() {
    if (sqlite3_get_autocommit(db) == 0) (void)Step(rollback.get(), "ROLLBACK");
  }

  absl::Status Begin() { return Step(begin.get(), "BEGIN IMMEDIATE"); }
  absl::Status Commit() { return Step(commit.get(), "COMMIT"); }
};

SubscriberStore::SubscriberStore(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

SubscriberStore::~SubscriberStore() = default;

absl::StatusOr<std::unique_ptr<SubscriberStore>> SubscriberStore::Open(const std::string& path,
                                                                       OpenMode mode) {
  if (path.empty()) return absl::InvalidArgumentError("subscriber database path is empty");
  const bool read_only = mode == OpenMode::kReadOnly;
  if (mode != OpenMode::kReadWrite) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "subscriber database ", path,
          " does not exist; create it with `bsf-sim subscribers import FILE --db ", path, "`"));
    }
  } else {
    // Create the file ourselves with mode 0600 (it holds K and OPc): SQLite would use the
    // umask (often 0644), and gives its -wal and -shm files the main file's mode.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(absl::StrCat("cannot open or create subscriber database ", path,
                                                 ": ", std::strerror(errno)));
    }
    ::close(fd);
  }

  auto impl = std::make_unique<Impl>();
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(impl->db, rc, absl::StrCat("opening ", path));
    return status;
  }
  sqlite3_busy_timeout(impl->db, 5000);

  absl::StatusOr<int64_t> app_id = impl->PragmaInt("PRAGMA application_id");
  if (!app_id.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a usable SQLite database: ", app_id.status().message()));
  }
  if (*app_id != 0 && *app_id != kApplicationId) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     " is an SQLite database of another application, not a bsf-sim "
                     "subscriber database"));
  }
  if (read_only) {
    if (*app_id != kApplicationId) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not a bsf-sim subscriber database (import subscribers into it first)"));
    }
  } else {
    // WAL: readers (list, Zn) never block the writer; FULL: a commit is on disk before
    // AllocateSqn returns. secure_delete: old key bytes are zeroed in the file.
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
          "PRAGMA secure_delete=ON", "PRAGMA mmap_size=1073741824"}) {
      if (absl::Status s = impl->Exec(pragma); !s.ok()) return s;
    }
    if (absl::Status s = impl->Exec(kSchema); !s.ok()) return s;
    absl::StatusOr<int64_t> version = impl->PragmaInt("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if (*version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(path, " has schema version ", *version,
                                                        "; this bsf-sim knows ", kSchemaVersion));
    }
    if (absl::Status s = impl->Exec(absl::StrCat("PRAGMA application_id=", kApplicationId,
                                                 "; PRAGMA user_version=", kSchemaVersion)
                                        .c_str());
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = impl->Exec("PRAGMA foreign_keys=ON"); !s.ok()) return s;

  struct {
    Stmt* stmt;
    const char* sql;
  } statements[] = {
      {&impl->lookup, "SELECT imsi, k, opc, amf, sqn, gba_u FROM subscribers WHERE impi = ?1"},
      {&impl->select_sqn, "SELECT sqn FROM subscribers WHERE impi = ?1"},
      {&impl->update_sqn, "UPDATE subscribers SET sqn = ?1 WHERE impi = ?2"},
      {&impl->select_uss, "SELECT naf_fqdn, uss FROM user_security_settings WHERE impi = ?1"},
      {&impl->begin, "BEGIN IMMEDIATE"},
      {&impl->commit, "COMMIT"},
      {&impl->rollback, "ROLLBACK"},
  };
  for (auto& [stmt, sql] : statements) {
    absl::StatusOr<Stmt> prepared = impl->Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = *std::move(prepared);
  }
  if (!read_only) {
    rc = sqlite3_open_v2(path.c_str(), &impl->read_db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                         nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(impl->read_db, rc, absl::StrCat("opening ", path, " for reading"));
    }
    sqlite3_busy_timeout(impl->read_db, 5000);
    // Reads through a memory map: a lookup of one subscriber among hundreds of thousands
    // then costs no pread(2) per page (the file is shared with the OS page cache; it holds
    // keys, but so does the page cache already).
    if (absl::Status s = Impl::ExecOn(impl->read_db, "PRAGMA mmap_size=1073741824"); !s.ok()) {
      return s;
    }
    for (auto& [stmt, sql] : {std::pair{&impl->read_lookup, statements[0].sql},
                              std::pair{&impl->read_select_uss, statements[3].sql}}) {
      absl::StatusOr<Stmt> prepared = Impl::PrepareOn(impl->read_db, sql);
      if (!prepared.ok()) return prepared.status();
      *stmt = *std::move(prepared);
    }
  }
  return std::unique_ptr<SubscriberStore>(new SubscriberStore(path, std::move(impl)));
}

absl::StatusOr<Subscriber> SubscriberStore::Lookup(std::string_view impi) {
  std::lock_guard<std::mutex> lock(impl_->ReadMu());
  sqlite3_stmt* stmt = impl_->ReadLookup();
  StmtUse use(stmt);
  BindText(stmt, 1, impi);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no subscriber with IMPI ", AbslView(impi)));
  }
  if (rc != SQLITE_ROW) return SqliteError(impl_->ReadDb(), rc, "looking up a subscriber");
  Subscriber out;
  out.impi = std::string(impi);
  out.imsi = ColumnText(stmt, 0);
  out.k = SecretBytes::CopyFrom(ColumnBlob(stmt, 1));
  out.opc = SecretBytes::CopyFrom(ColumnBlob(stmt, 2));
  const ByteView amf = ColumnBlob(stmt, 3);
  if (out.k.size() != 16 || out.opc.size() != 16 || amf.size() != kAmfSize) {
    return absl::DataLossError(
        absl::StrCat("subscriber ", AbslView(impi), " has malformed key material in the database"));
  }
  std::copy(amf.begin(), amf.end(), out.amf.begin());
  out.sqn = static_cast<uint64_t>(sqlite3_column_int64(stmt, 4));
  out.gba_u = sqlite3_column_int(stmt, 5) != 0;
  return out;
}

// Group commit: concurrent allocations share one IMMEDIATE transaction and so one fsync
// (WAL, synchronous=FULL). The first caller to find no batch in flight becomes the leader:
// it takes every queued request, advances each SQN inside one transaction, commits, and
// only then marks the batch done. Callers arriving during that commit queue for the next
// batch. Each caller still returns only after the COMMIT that holds its SQN succeeded, so
// no vector is built on an SQN that is not on disk (TS 33.102 §6.3.2, C.3.2).
absl::StatusOr<uint64_t> SubscriberStore::AllocateSqn(std::string_view impi, int ind_bits) {
  SqnRequest request{.impi = impi, .ind_bits = ind_bits};
  std::unique_lock<std::mutex> lock(impl_->batch_mu);
  impl_->pending.push_back(&request);
  while (!request.done) {
    if (impl_->committing) {
      impl_->batch_done.wait(lock);
      continue;
    }
    impl_->committing = true;
    std::vector<SqnRequest*> batch;
    batch.swap(impl_->pending);
    lock.unlock();
    CommitSqnBatch(batch);
    lock.lock();
    for (SqnRequest* r : batch) r->done = true;
    impl_->committing = false;
    impl_->batch_done.notify_all();
  }
  return std::move(request.result);
}

void SubscriberStore::CommitSqnBatch(const std::vector<SqnRequest*>& batch) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto fail_all = [&](const absl::Status& status) {
    impl_->RollbackQuietly();
    for (SqnRequest* r : batch) {
      // A request that failed on its own (unknown IMPI) keeps its own error.
      if (r->result.ok() || r->result.status().code() == absl::StatusCode::kUnknown) {
        r->result =
            absl::Status(status.code(), absl::StrCat(status.message(), " (no vector handed out)"));
      }
    }
  };
  // IMMEDIATE takes the write lock up front, so a second bsf-sim process on the same file
  // cannot read the same SQN between our SELECT and UPDATE.
  if (absl::Status s = impl_->Begin(); !s.ok()) return fail_all(s);
  for (SqnRequest* r : batch) {
    if (absl::Status s = AdvanceSqnInTransaction(*r); !s.ok()) return fail_all(s);
  }
  if (absl::Status s = impl_->Commit(); !s.ok()) return fail_all(s);
}

absl::Status SubscriberStore::AdvanceSqnInTransaction(SqnRequest& request) {
  const std::string_view impi = request.impi;
  uint64_t last = 0;
  {
    sqlite3_stmt* stmt = impl_->select_sqn.get();
    StmtUse use(stmt);
    BindText(stmt, 1, impi);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      request.result =
          absl::NotFoundError(absl::StrCat("no subscriber with IMPI ", AbslView(impi)));
      return absl::OkStatus();
    }
    if (rc != SQLITE_ROW) return SqliteError(impl_->db, rc, "reading the SQN");
    last = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
  }
  absl::StatusOr<uint64_t> next = NextSqn(last, request.ind_bits);
  if (!next.ok()) {
    request.result =
        absl::Status(next.status().code(),
                     absl::StrCat("subscriber ", AbslView(impi), ": ", next.status().message()));
    return absl::OkStatus();
  }
  {
    sqlite3_stmt* stmt = impl_->update_sqn.get();
    StmtUse use(stmt);
    sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(*next));
    BindText(stmt, 2, impi);
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return SqliteError(impl_->db, rc, "recording the new SQN");
  }
  request.result = *next;
  return absl::OkStatus();
}

absl::Status SubscriberStore::Resync(std::string_view impi, uint64_t sqn_ms) {
  if (sqn_ms > kMaxSqn) return absl::InvalidArgumentError("SQN_MS exceeds 48 bits");
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->update_sqn.get();
  StmtUse use(stmt);
  sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(sqn_ms));
  BindText(stmt, 2, impi);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(impl_->db, rc, "recording SQN_MS");
  if (sqlite3_changes(impl_->db) == 0) {
    return absl::NotFoundError(absl::StrCat("no subscriber with IMPI ", AbslView(impi)));
  }
  return absl::OkStatus();
}

absl::StatusOr<SubscriberStore::UssLookup> SubscriberStore::LookUpUserSecuritySettings(
    std::string_view impi, std::string_view naf_fqdn, const std::vector<std::string>& gsids) {
  const std::string fqdn = absl::AsciiStrToLower(AbslView(naf_fqdn));
  // The stored USS of each requested service, in the NAF's order (TS 29.109 allows several
  // GAA-Service-Identifier AVPs; the answer carries one GBA-UserSecSettings).
  std::vector<std::string> service_keys;
  for (const std::string& gsid : gsids) service_keys.push_back(absl::StrCat("gsid:", gsid));
  std::vector<std::optional<Bytes>> by_service(gsids.size());
  std::lock_guard<std::mutex> lock(impl_->ReadMu());
  sqlite3_stmt* stmt = impl_->ReadSelectUss();
  StmtUse use(stmt);
  BindText(stmt, 1, impi);
  UssLookup result;
  std::optional<Bytes> by_fqdn;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqliteError(impl_->ReadDb(), rc, "reading user security settings");
    result.listed = true;
    const unsigned char* key_text = sqlite3_column_text(stmt, 0);
    const std::string key = key_text == nullptr ? "" : reinterpret_cast<const char*>(key_text);
    const ByteView uss = ColumnBlob(stmt, 1);
    // TS 33.220 §4.4.6: USS are per GAA service; the service's win over the FQDN's.
    for (size_t i = 0; i < gsids.size(); ++i) {
      if (key == service_keys[i]) by_service[i] = Bytes(uss.begin(), uss.end());
    }
    if (key == fqdn) by_fqdn = Bytes(uss.begin(), uss.end());
  }
  for (std::optional<Bytes>& uss : by_service) {
    if (uss.has_value()) {
      result.uss = std::move(uss);
      return result;
    }
  }
  result.uss = std::move(by_fqdn);
  return result;
}

absl::StatusOr<std::optional<Bytes>> SubscriberStore::GetUserSecuritySettings(
    std::string_view impi, std::string_view naf_fqdn) {
  absl::StatusOr<UssLookup> lookup = LookUpUserSecuritySettings(impi, naf_fqdn);
  if (!lookup.ok()) return lookup.status();
  return std::move(lookup->uss);
}

absl::Status SubscriberStore::Import(const std::vector<Subscriber>& subscribers, bool replace) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Statements used only here are prepared per import (imports are rare).
  absl::StatusOr<Stmt> find = impl_->Prepare("SELECT 1 FROM subscribers WHERE impi = ?1");
  absl::StatusOr<Stmt> upsert = impl_->Prepare(
      "INSERT INTO subscribers (impi, imsi, k, opc, amf, sqn, gba_u) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (impi) DO UPDATE SET imsi = excluded.imsi, k = excluded.k, "
      "opc = excluded.opc, amf = excluded.amf, sqn = max(sqn, excluded.sqn), "
      "gba_u = excluded.gba_u");
  absl::StatusOr<Stmt> clear_uss =
      impl_->Prepare("DELETE FROM user_security_settings WHERE impi = ?1");
  absl::StatusOr<Stmt> insert_uss = impl_->Prepare(
      "INSERT INTO user_security_settings (impi, naf_fqdn, uss) VALUES (?1, ?2, ?3)");
  for (const absl::StatusOr<Stmt>* s : {&find, &upsert, &clear_uss, &insert_uss}) {
    if (!s->ok()) return s->status();
  }

  if (absl::Status s = impl_->Begin(); !s.ok()) return s;
  auto fail = [&](absl::Status status) {
    impl_->RollbackQuietly();
    return status;
  };

  for (const Subscriber& sub : subscribers) {
    {
      sqlite3_stmt* stmt = find->get();
      StmtUse use(stmt);
      BindText(stmt, 1, sub.impi);
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW && !replace) {
        return fail(absl::AlreadyExistsError(absl::StrCat(
            "subscriber ", sub.impi, " is already in the database; use --replace to update it")));
      }
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return fail(SqliteError(impl_->db, rc, "checking for duplicates"));
      }
    }
    {
      sqlite3_stmt* stmt = upsert->get();
      StmtUse use(stmt);
      BindText(stmt, 1, sub.impi);
      BindText(stmt, 2, sub.imsi);
      BindBlob(stmt, 3, sub.k.view());
      BindBlob(stmt, 4, sub.opc.view());
      BindBlob(stmt, 5, sub.amf);
      sqlite3_bind_int64(stmt, 6, static_cast<sqlite3_int64>(sub.sqn));
      sqlite3_bind_int(stmt, 7, sub.gba_u ? 1 : 0);
      const int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) {
        return fail(SqliteError(impl_->db, rc, absl::StrCat("storing subscriber ", sub.impi)));
      }
    }
    if (absl::Status s = [&]() -> absl::Status {
          sqlite3_stmt* stmt = clear_uss->get();
          StmtUse use(stmt);
          BindText(stmt, 1, sub.impi);
          const int rc = sqlite3_step(stmt);
          if (rc != SQLITE_DONE) return SqliteError(impl_->db, rc, "replacing USS");
          return absl::OkStatus();
        }();
        !s.ok()) {
      return fail(s);
    }
    for (const auto& [naf, uss] : sub.uss) {
      sqlite3_stmt* stmt = insert_uss->get();
      StmtUse use(stmt);
      BindText(stmt, 1, sub.impi);
      BindText(stmt, 2, absl::AsciiStrToLower(naf));
      BindBlob(stmt, 3, uss);
      const int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) {
        return fail(
            SqliteError(impl_->db, rc, absl::StrCat("storing USS of ", sub.impi, " for ", naf)));
      }
    }
  }
  if (absl::Status s = impl_->Commit(); !s.ok()) return fail(s);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SubscriberSummary>> SubscriberStore::List() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<Stmt> stmt = impl_->Prepare(
      "SELECT s.impi, s.imsi, s.gba_u, s.sqn, u.naf_fqdn FROM subscribers s "
      "LEFT JOIN user_security_settings u ON u.impi = s.impi ORDER BY s.impi, u.naf_fqdn");
  if (!stmt.ok()) return stmt.status();
  std::vector<SubscriberSummary> out;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    std::string impi = ColumnText(stmt->get(), 0);
    if (out.empty() || out.back().impi != impi) {
      SubscriberSummary summary;
      summary.impi = std::move(impi);
      summary.imsi = ColumnText(stmt->get(), 1);
      summary.gba_u = sqlite3_column_int(stmt->get(), 2) != 0;
      summary.sqn = static_cast<uint64_t>(sqlite3_column_int64(stmt->get(), 3));
      out.push_back(std::move(summary));
    }
    if (sqlite3_column_type(stmt->get(), 4) != SQLITE_NULL) {
      out.back().uss_nafs.push_back(ColumnText(stmt->get(), 4));
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(impl_->db, rc, "listing subscribers");
  return out;
}

}  // namespace gbabridge::bsf
