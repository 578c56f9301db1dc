// The HSS role: subscriber file validation, all-or-nothing import, SQN allocation
// (monotonic, committed, persistent across reopen), resynchronisation, read-only failure.
#include "bsf_sim/subscriber_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bsf_sim/sqn_scheme.h"
#include "bsf_sim/subscriber_import.h"
#include "bsf_sim_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

using ::gbabridge::bsf::testing::kGbaUImpi;
using ::gbabridge::bsf::testing::kTestImpi;
using ::gbabridge::bsf::testing::kTestImsi;
using ::gbabridge::bsf::testing::kTestK;
using ::gbabridge::bsf::testing::kTestOp;
using ::gbabridge::bsf::testing::kTestOpc;
using ::gbabridge::bsf::testing::MakeTestStore;
using ::gbabridge::bsf::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string One(std::string_view fields) {
  return absl::StrCat(R"({"subscribers": [{)", std::string(fields), "}]}");
}

std::string Base() {
  return absl::StrCat(R"("imsi": ")", kTestImsi, R"(", "k": ")", kTestK, R"(", "opc": ")", kTestOpc,
                      R"(")");
}

TEST(SubscriberImportTest, ParsesAndDerivesImpiAndOpc) {
  absl::StatusOr<std::vector<Subscriber>> subs =
      ParseSubscriberImport(testing::TestSubscribersJson());
  ASSERT_TRUE(subs.ok()) << subs.status();
  ASSERT_EQ(subs->size(), 2u);
  // IMPI derived from the IMSI with MNC length 2 (TS 23.003 §13.3).
  EXPECT_EQ((*subs)[0].impi, kTestImpi);
  EXPECT_EQ((*subs)[0].opc.RevealHex(), kTestOpc);
  EXPECT_EQ((*subs)[0].amf, (Amf{0x80, 0x00}));
  EXPECT_FALSE((*subs)[0].gba_u);
  ASSERT_EQ((*subs)[0].uss.count("naf.example.org"), 1u);
  EXPECT_EQ((*subs)[0].uss.at("naf.example.org"), (Bytes{1, 2, 3, 4}));
  // OP turned into OPc (TS 35.208 set 1: OP -> OPc).
  EXPECT_EQ((*subs)[1].impi, kGbaUImpi);
  EXPECT_EQ((*subs)[1].opc.RevealHex(), kTestOpc);
  EXPECT_TRUE((*subs)[1].gba_u);
}

TEST(SubscriberImportTest, MncLengthThreeAndSqn) {
  absl::StatusOr<std::vector<Subscriber>> subs =
      ParseSubscriberImport(One(Base() + R"(, "mnc_length": 3, "sqn": "0000000000A1")"));
  ASSERT_TRUE(subs.ok()) << subs.status();
  EXPECT_EQ((*subs)[0].impi, "001010123456789@ims.mnc010.mcc001.3gppnetwork.org");
  EXPECT_EQ((*subs)[0].sqn, 0xa1u);
}

struct BadCase {
  std::string name;
  std::string json;
  std::string expected;  // substring of the error
};

class SubscriberImportErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SubscriberImportErrorTest, RejectsNamingSubscriberAndFieldNeverTheKey) {
  absl::StatusOr<std::vector<Subscriber>> subs = ParseSubscriberImport(GetParam().json);
  ASSERT_FALSE(subs.ok());
  EXPECT_EQ(subs.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(subs.status().message());
  EXPECT_THAT(message, HasSubstr(GetParam().expected));
  // No key material, whole or in part, ever appears in an error.
  for (const char* secret : {kTestK, kTestOpc, kTestOp, "465b5ce8b199"}) {
    EXPECT_THAT(message, Not(HasSubstr(secret)));
  }
}

const std::string kBadK =
    absl::StrReplaceAll(Base(), {{kTestK, "465b5ce8b199b49faa5f0a2ee238a6bX"}});

INSTANTIATE_TEST_SUITE_P(
    SubscriberImport, SubscriberImportErrorTest,
    ::testing::Values(
        BadCase{"NotJson", R"({"subscribers": [ {"k": "465b5ce8b199)", "not valid JSON"},
        // Found by config_fuzz: nlohmann's out_of_range for a number past a double escaped.
        BadCase{"NumberOutOfRange", R"({"subscribers": [25125308641e41228]})",
                "a number is out of range"},
        BadCase{"NoArray", R"({"subs": []})", "\"subscribers\" array"},
        BadCase{"Empty", R"({"subscribers": []})", "empty"},
        BadCase{"MissingImsi", One(R"("k": "465b5ce8b199b49faa5f0a2ee238a6bc", "opc": "x")"),
                "field \"imsi\" is missing"},
        BadCase{"BadImsi", One(absl::StrReplaceAll(Base(), {{kTestImsi, "0010A"}})), "\"imsi\""},
        BadCase{"BadKHex", One(kBadK), "subscribers[0] (impi \"001010123456789@ims.mnc001"},
        BadCase{"ShortK",
                One(absl::StrReplaceAll(Base(), {{kTestK, "465b5ce8b199b49faa5f0a2ee238a6"}})),
                "field \"k\" must be 32 hex digits"},
        BadCase{"BothOpAndOpc", One(Base() + R"(, "op": ")" + kTestOp + "\""), "exactly one"},
        BadCase{"NoOpc", One(absl::StrCat(R"("imsi": ")", kTestImsi, R"(", "k": ")", kTestK, "\"")),
                "exactly one of \"opc\" and \"op\""},
        BadCase{"BadOp",
                One(absl::StrCat(R"("imsi": ")", kTestImsi, R"(", "k": ")", kTestK,
                                 R"(", "op": "cdc202d5123e20f62b6d676ac72cb31")")),
                "field \"op\" must be 32 hex digits"},
        BadCase{"BadAmf", One(Base() + R"(, "amf": "80000")"), "field \"amf\""},
        BadCase{"BadSqn", One(Base() + R"(, "sqn": "12")"), "field \"sqn\""},
        BadCase{"BadGbaU", One(Base() + R"(, "gba_u": "yes")"), "field \"gba_u\""},
        BadCase{"BadMnc", One(Base() + R"(, "mnc_length": 4)"), "field \"mnc_length\""},
        BadCase{"BadImpi", One(Base() + R"(, "impi": "no-at-sign")"), "field \"impi\""},
        BadCase{"ImpiWithQuote", One(Base() + R"(, "impi": "a\"b@ims.example.org")"),
                "field \"impi\""},
        BadCase{"UnknownField", One(Base() + R"(, "opC": "00")"), "\"opC\" is not a known field"},
        BadCase{"BadUssFqdn", One(Base() + R"(, "uss": {"not a host": "AQ=="})"), "field \"uss\""},
        BadCase{"BadUssBase64", One(Base() + R"(, "uss": {"naf.example.org": "***"})"),
                "not valid base64"},
        BadCase{"DuplicateImpi",
                absl::StrCat(R"({"subscribers": [{)", Base(), "}, {", Base(), "}]}"),
                "subscribers[1]"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

class SubscriberStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("hss.db");
    store_ = MakeTestStore(path_);
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SubscriberStore> store_;
};

TEST_F(SubscriberStoreTest, LookupReturnsKeysAsSecrets) {
  absl::StatusOr<Subscriber> sub = store_->Lookup(kTestImpi);
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(sub->imsi, kTestImsi);
  EXPECT_EQ(sub->k.RevealHex(), kTestK);
  EXPECT_EQ(sub->opc.RevealHex(), kTestOpc);
  EXPECT_EQ(sub->sqn, 0u);
  EXPECT_FALSE(sub->gba_u);
  absl::StatusOr<Subscriber> gba_u = store_->Lookup(kGbaUImpi);
  ASSERT_TRUE(gba_u.ok());
  EXPECT_TRUE(gba_u->gba_u);
  EXPECT_EQ(store_->Lookup("nobody@ims.example.org").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SubscriberStoreTest, DatabaseFileIsPrivate) {
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SubscriberStoreTest, SqnAllocationIsMonotonicAndSurvivesReopen) {
  uint64_t previous = 0;
  for (int i = 1; i <= 40; ++i) {
    absl::StatusOr<uint64_t> sqn = store_->AllocateSqn(kTestImpi, kDefaultIndBits);
    ASSERT_TRUE(sqn.ok()) << sqn.status();
    EXPECT_GT(*sqn, previous);
    // SEQ steps by one; IND cycles with it (sqn_scheme.h).
    EXPECT_EQ(SeqOf(*sqn, kDefaultIndBits), static_cast<uint64_t>(i));
    EXPECT_EQ(IndOf(*sqn, kDefaultIndBits), static_cast<uint64_t>(i % 32));
    previous = *sqn;
  }
  store_.reset();
  absl::StatusOr<std::unique_ptr<SubscriberStore>> reopened = SubscriberStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  absl::StatusOr<Subscriber> sub = (*reopened)->Lookup(kTestImpi);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->sqn, previous);
  absl::StatusOr<uint64_t> next = (*reopened)->AllocateSqn(kTestImpi, kDefaultIndBits);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(SeqOf(*next, kDefaultIndBits), 41u);
  // The other subscriber's counter is its own.
  absl::StatusOr<uint64_t> other = (*reopened)->AllocateSqn(kGbaUImpi, kDefaultIndBits);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(SeqOf(*other, kDefaultIndBits), 1u);
  EXPECT_EQ((*reopened)->AllocateSqn("nobody@ims.example.org", 5).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SubscriberStoreTest, ConcurrentAllocationsNeverRepeat) {
  std::vector<uint64_t> seen[4];
  std::vector<std::thread> threads;
  for (auto& out : seen) {
    threads.emplace_back([&out, this] {
      for (int i = 0; i < 25; ++i) {
        absl::StatusOr<uint64_t> sqn = store_->AllocateSqn(kTestImpi, kDefaultIndBits);
        ASSERT_TRUE(sqn.ok()) << sqn.status();
        out.push_back(*sqn);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& out : seen) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(SeqOf(*all.rbegin(), kDefaultIndBits), 100u);
}

TEST_F(SubscriberStoreTest, GroupCommitKeepsEachRequestsOwnOutcome) {
  // Many allocations in flight at once are committed in shared transactions: two known
  // IMPIs and an unknown one mixed in the same batches. Each caller gets its own SQN (or
  // its own NotFound), SQNs per IMPI never repeat and increase in each caller's order, and
  // what the callers got is on disk.
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<int> not_found(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string impi = t % 2 == 0 ? kTestImpi : kGbaUImpi;
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> sqn = store_->AllocateSqn(impi, kDefaultIndBits);
        ASSERT_TRUE(sqn.ok()) << sqn.status();
        seen[t].push_back(*sqn);
        absl::StatusOr<uint64_t> unknown =
            store_->AllocateSqn("nobody@ims.example.org", kDefaultIndBits);
        if (unknown.status().code() == absl::StatusCode::kNotFound) ++not_found[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> even, odd;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(not_found[t], kPerThread);
    EXPECT_TRUE(std::is_sorted(seen[t].begin(), seen[t].end()));
    (t % 2 == 0 ? even : odd).insert(seen[t].begin(), seen[t].end());
  }
  EXPECT_EQ(even.size(), size_t{kThreads / 2 * kPerThread});
  EXPECT_EQ(odd.size(), size_t{kThreads / 2 * kPerThread});
  EXPECT_EQ(store_->Lookup(kTestImpi)->sqn, *even.rbegin());
  EXPECT_EQ(store_->Lookup(kGbaUImpi)->sqn, *odd.rbegin());
}

TEST_F(SubscriberStoreTest, ResyncContinuesFromSeqMs) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->AllocateSqn(kTestImpi, 5).ok());
  // The card has accepted up to SEQ 100 (IND 7), e.g. from another BSF.
  const uint64_t sqn_ms = (uint64_t{100} << 5) | 7;
  ASSERT_TRUE(store_->Resync(kTestImpi, sqn_ms).ok());
  absl::StatusOr<uint64_t> next = store_->AllocateSqn(kTestImpi, 5);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(SeqOf(*next, 5), 101u);
  EXPECT_EQ(store_->Resync("nobody@ims.example.org", 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Resync(kTestImpi, kMaxSqn + 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SubscriberStoreTest, SqnSpaceExhaustedIsAnErrorNotAWrap) {
  ASSERT_TRUE(store_->Resync(kTestImpi, kMaxSqn).ok());
  EXPECT_EQ(store_->AllocateSqn(kTestImpi, 5).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Nothing was written.
  EXPECT_EQ(store_->Lookup(kTestImpi)->sqn, kMaxSqn);
}

TEST_F(SubscriberStoreTest, ImportIsAllOrNothing) {
  // The second entry collides with a stored IMPI: the first must not be stored either.
  absl::StatusOr<std::vector<Subscriber>> subs = ParseSubscriberImport(absl::StrCat(
      R"({"subscribers": [{"impi": "new@ims.example.org", "imsi": "001019999999999", "k": ")",
      kTestK, R"(", "opc": ")", kTestOpc, R"("}, {)", Base(), "}]}"));
  ASSERT_TRUE(subs.ok()) << subs.status();
  absl::Status status = store_->Import(*subs, /*replace=*/false);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kTestImpi));
  EXPECT_EQ(store_->Lookup("new@ims.example.org").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<SubscriberSummary>> list = store_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

TEST_F(SubscriberStoreTest, OneImsiUnderTwoImpisHasTwoCounters) {
  // As the two sample soft-USIM profiles: same IMSI, one with an ISIM IMPI.
  absl::StatusOr<std::vector<Subscriber>> subs =
      ParseSubscriberImport(One(Base() + R"(, "impi": "other@ims.example.org")"));
  ASSERT_TRUE(subs.ok()) << subs.status();
  ASSERT_TRUE(store_->Import(*subs, /*replace=*/false).ok());
  ASSERT_TRUE(store_->AllocateSqn(kTestImpi, 5).ok());
  absl::StatusOr<uint64_t> other = store_->AllocateSqn("other@ims.example.org", 5);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(SeqOf(*other, 5), 1u);
}

TEST_F(SubscriberStoreTest, ReplaceKeepsTheHigherSqn) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->AllocateSqn(kTestImpi, 5).ok());
  const uint64_t stored = store_->Lookup(kTestImpi)->sqn;
  absl::StatusOr<std::vector<Subscriber>> subs =
      ParseSubscriberImport(One(Base() + R"(, "gba_u": true, "sqn": "000000000001")"));
  ASSERT_TRUE(subs.ok());
  ASSERT_TRUE(store_->Import(*subs, /*replace=*/true).ok());
  absl::StatusOr<Subscriber> sub = store_->Lookup(kTestImpi);
  ASSERT_TRUE(sub.ok());
  EXPECT_TRUE(sub->gba_u);
  EXPECT_EQ(sub->sqn, stored);  // never rewound by a re-import
  // The USS of the replaced subscriber were replaced (none in the new entry).
  absl::StatusOr<std::optional<Bytes>> uss =
      store_->GetUserSecuritySettings(kTestImpi, "naf.example.org");
  ASSERT_TRUE(uss.ok());
  EXPECT_FALSE(uss->has_value());
}

TEST_F(SubscriberStoreTest, UserSecuritySettingsByNafFqdn) {
  absl::StatusOr<std::optional<Bytes>> uss =
      store_->GetUserSecuritySettings(kTestImpi, "NAF.Example.ORG");
  ASSERT_TRUE(uss.ok()) << uss.status();
  ASSERT_TRUE(uss->has_value());
  EXPECT_EQ(**uss, (Bytes{1, 2, 3, 4}));
  uss = store_->GetUserSecuritySettings(kTestImpi, "other.example.org");
  ASSERT_TRUE(uss.ok());
  EXPECT_FALSE(uss->has_value());
}

TEST_F(SubscriberStoreTest, ListShowsNoKeys) {
  absl::StatusOr<std::vector<SubscriberSummary>> list = store_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].impi, kTestImpi);
  EXPECT_EQ((*list)[0].uss_nafs,
            (std::vector<std::string>{"gsid:42", "naf.example.org", "naf2.example.org"}));
  EXPECT_EQ((*list)[1].impi, kGbaUImpi);
  EXPECT_TRUE((*list)[1].gba_u);
}

TEST_F(SubscriberStoreTest, ReadOnlyStoreRefusesToAllocate) {
  absl::StatusOr<std::unique_ptr<SubscriberStore>> ro =
      SubscriberStore::Open(path_, SubscriberStore::OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok()) << ro.status();
  ASSERT_TRUE((*ro)->Lookup(kTestImpi).ok());
  absl::StatusOr<uint64_t> sqn = (*ro)->AllocateSqn(kTestImpi, 5);
  EXPECT_EQ(sqn.status().code(), absl::StatusCode::kUnavailable) << sqn.status();
  EXPECT_EQ((*ro)->Resync(kTestImpi, 64).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Lookup(kTestImpi)->sqn, 0u);
}

TEST(SubscriberStoreOpenTest, ReadOnlyNeedsAnExistingBsfDatabase) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SubscriberStore>> missing =
      SubscriberStore::Open(dir.File("none.db"), SubscriberStore::OpenMode::kReadOnly);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("subscribers import"));
  testing::WriteFile(dir.File("junk.db"),
                     "this is not sqlite, just some text that is long "
                     "enough to look like a header................");
  EXPECT_FALSE(SubscriberStore::Open(dir.File("junk.db")).ok());
}

}  // namespace
}  // namespace gbabridge::bsf
