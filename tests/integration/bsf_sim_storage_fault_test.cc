// bsf-sim when its SQLite database cannot be written, on a live process with real files:
// - a full disk (the database on a small tmpfs, filled up by another file);
// - a database that turns read-only (the database and its WAL made immutable, chattr +i:
//   every write on the open descriptors fails with EPERM), in /var/tmp; the test checks
//   first that the flag has this effect on that file system and skips, saying why, if not.
// While it lasts, every Ub request gets a 503 and no challenge: an SQN is handed out only
// once it is committed (TS 33.102 §6.3.2, C.3.2), so no vector leaves on an SQN that is not on
// disk. Zn keeps answering for sessions made before. Once writing works again, bootstraps
// succeed without a restart; and after a SIGKILL and a restart no SQN is handed out twice.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/bsf_sim_process.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/simulated_ue.h"

namespace gbabridge::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int kAttemptsWhileBroken = 5;

class BsfSimStorageFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: mounts a tmpfs, sets chattr +i";
    // /var/tmp, not /tmp: /tmp is often a tmpfs, where the read-only fault below does not
    // take effect (the full-disk test mounts a tmpfs of its own here).
    char tmpl[] = "/var/tmp/gbabridge-bsfdisk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    bsf_.reset();
    if (!immutable_.empty()) SetImmutable(false);
    // The tmpfs goes with its contents; a plain directory stays with GBABRIDGE_KEEP_TEST_DIRS.
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty() && (mounted_ || !getenv("GBABRIDGE_KEEP_TEST_DIRS"))) fs::remove_all(dir_);
  }

  void StartBsf() {
    BsfSimOptions options;
    options.subscribers_json = SubscriberImportJson(ues_);
    absl::StatusOr<std::unique_ptr<BsfSimProcess>> bsf = BsfSimProcess::Start(dir_, options);
    ASSERT_TRUE(bsf.ok()) << bsf.status();
    bsf_ = *std::move(bsf);
    const std::string url = bsf_->ub_url();  // http://127.0.0.1:PORT/
    ASSERT_TRUE(
        absl::SimpleAtoi(url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 2), &port_));
  }

  // One bootstrap; records the SQN of its challenge, if there was one.
  absl::StatusOr<std::string> Bootstrap() {
    SimulatedUe ue("127.0.0.1", port_);
    uint64_t sqn = 0;
    absl::StatusOr<std::string> btid = ue.Bootstrap(ues_[0], &sqn);
    if (sqn != 0) sqns_.push_back(sqn);
    last_sqn_ = sqn;
    return btid;
  }

  // While the database cannot be written: 503 before any challenge, every time.
  void ExpectUnavailableWithoutChallenges() {
    for (int i = 0; i < kAttemptsWhileBroken; ++i) {
      absl::StatusOr<std::string> refused = Bootstrap();
      ASSERT_FALSE(refused.ok()) << "a bootstrap succeeded on a database that cannot be written";
      EXPECT_THAT(std::string(refused.status().message()), HasSubstr("Ub challenge: HTTP 503"));
      EXPECT_EQ(last_sqn_, 0u) << "a challenge left although its SQN could not be stored";
    }
  }

  // Zn still answers for a session made before the fault (sessions live in memory).
  void ExpectZnServes(const std::string& btid) {
    bsf::v1::GetNafKeyRequest request;
    request.set_btid(btid);
    request.set_naf_fqdn("mef.example.com");
    request.set_ua_security_protocol_id(std::string("\x01\x00\x01\x00\xAE", 5));
    bsf::v1::GetNafKeyResponse response;
    const grpc::Status status = bsf_->GetNafKey("mef-token", request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.ks_naf().size(), 32u);
  }

  // Once writing works again: a bootstrap succeeds with a fresh SQN, and after a SIGKILL and
  // a restart the next SQN is above every SQN handed out so far.
  void ExpectRecoveryAndNoSqnReuse() {
    absl::StatusOr<std::string> recovered = Bootstrap();
    ASSERT_TRUE(recovered.ok()) << recovered.status() << "\n" << BsfLogs();
    ASSERT_TRUE(bsf_->Restart().ok());
    absl::StatusOr<std::string> after_restart = Bootstrap();
    ASSERT_TRUE(after_restart.ok()) << after_restart.status();
    for (size_t i = 1; i < sqns_.size(); ++i) {
      EXPECT_GT(sqns_[i], sqns_[i - 1]) << "SQN " << sqns_[i] << " is not fresh";
    }
  }

  // The fault must take effect where bsf-sim's files are: chattr +i stops writes through a
  // descriptor opened before it on ext4, but not on every file system (tmpfs, for one, only
  // refuses new opens). A probe file opened for writing, then made immutable, tells. "" when
  // the fault works here, else why the test cannot run.
  std::string ImmutableFlagStopsOpenWriters() {
    const fs::path probe = dir_ / "immutable-probe";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return absl::StrCat("cannot create ", probe.string(), ": ", std::strerror(errno));
    std::string why;
    const CommandResult set = RunCommand("chattr +i " + probe.string() + " 2>&1");
    if (set.exit_code != 0) {
      why = absl::StrCat("the file system of ", dir_.string(),
                         " has no immutable flag (chattr +i): ", set.output);
    } else {
      if (::write(fd, "x", 1) == 1) {
        why = absl::StrCat("on the file system of ", dir_.string(),
                           " (e.g. tmpfs) chattr +i does not stop writes through an open "
                           "descriptor, so the database cannot be made read-only under a "
                           "running bsf-sim");
      }
      RunCommand("chattr -i " + probe.string());
    }
    ::close(fd);
    fs::remove(probe);
    return why;
  }

  void SetImmutable(bool on) {
    for (const fs::path& file : immutable_) {
      const CommandResult r =
          RunCommand(absl::StrCat("chattr ", on ? "+i " : "-i ", file.string()));
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }

  std::string BsfLogs() {
    std::string logs;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() == ".log") {
        absl::StrAppend(&logs, RunCommand("tail -n 20 " + entry.path().string()).output);
      }
    }
    return logs;
  }

  fs::path dir_;
  bool mounted_ = false;
  std::vector<fs::path> immutable_;
  std::vector<UeCredentials> ues_ = MakeTestSubscribers(1);
  std::unique_ptr<BsfSimProcess> bsf_;
  int port_ = 0;
  std::vector<uint64_t> sqns_;
  uint64_t last_sqn_ = 0;
};

TEST_F(BsfSimStorageFaultTest, FullDiskAnswers503ThenRecovers) {
  if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=8m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  mounted_ = true;
  StartBsf();
  absl::StatusOr<std::string> before = Bootstrap();
  ASSERT_TRUE(before.ok()) << before.status();

  // Fill the disk: another file takes every free byte.
  const fs::path filler = dir_ / "filler";
  {
    const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    const std::vector<char> block(64 * 1024, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    EXPECT_EQ(errno, ENOSPC);
    ::close(fd);
  }
  ExpectUnavailableWithoutChallenges();
  ExpectZnServes(*before);

  // The operator learns why: bsf-sim's log names the database failure (the log file already
  // had its pages, so it could still be written).
  EXPECT_THAT(BsfLogs(), HasSubstr("database or disk is full (no vector handed out)"));
  fs::remove(filler);
  ExpectRecoveryAndNoSqnReuse();
}

TEST_F(BsfSimStorageFaultTest, ReadOnlyDatabaseAnswers503ThenRecovers) {
  StartBsf();
  absl::StatusOr<std::string> before = Bootstrap();
  ASSERT_TRUE(before.ok()) << before.status();

  if (const std::string why = ImmutableFlagStopsOpenWriters(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  immutable_ = {dir_ / "hss.db", dir_ / "hss.db-wal"};
  SetImmutable(true);
  ExpectUnavailableWithoutChallenges();
  ExpectZnServes(*before);

  // The operator learns why: bsf-sim's log names the database failure.
  EXPECT_THAT(BsfLogs(), HasSubstr("(no vector handed out)"));
  SetImmutable(false);
  immutable_.clear();
  ExpectRecoveryAndNoSqnReuse();
}

}  // namespace
}  // namespace gbabridge::testing
