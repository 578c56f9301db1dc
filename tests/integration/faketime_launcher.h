// Test harness: runs a program under libfaketime (Debian package `faketime`) with a wall
// clock the test moves while the program runs. Only the wall clock (CLOCK_REALTIME, time(),
// gettimeofday) is shifted; monotonic clocks are left alone (DONT_FAKE_MONOTONIC), as when
// NTP or an operator steps the clock of a running machine.
#ifndef GBABRIDGE_TESTS_INTEGRATION_FAKETIME_LAUNCHER_H_
#define GBABRIDGE_TESTS_INTEGRATION_FAKETIME_LAUNCHER_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gbabridge::testing {

class FaketimeLauncher {
 public:
  // `offset_file` holds the offset from the real clock ("+0" to begin with).
  static absl::StatusOr<FaketimeLauncher> Create(const std::filesystem::path& offset_file);

  // Moves the wall clock of every program started with launcher(), at once: a libfaketime
  // offset such as "+5h", "-1d", "-90m".
  void Step(const std::string& offset) const;

  // Put before a program's argv (BsfSimOptions::launcher, GbabridgedOptions::launcher).
  const std::vector<std::string>& launcher() const { return launcher_; }

 private:
  std::filesystem::path offset_file_;
  std::vector<std::string> launcher_;
};

}  // namespace gbabridge::testing

#endif  // GBABRIDGE_TESTS_INTEGRATION_FAKETIME_LAUNCHER_H_
