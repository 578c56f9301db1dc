#include "tests/integration/faketime_launcher.h"

#include <cstdlib>
#include <fstream>

#include "absl/status/status.h"

namespace gbabridge::testing {

namespace fs = std::filesystem;

namespace {

// libfaketime's multi-threaded build (the daemons are multi-threaded).
std::string FindLibFaketime() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"}) {
    const fs::path lib = fs::path(dir) / "faketime" / "libfaketimeMT.so.1";
    if (fs::exists(lib)) return lib.string();
  }
  return "";
}

}  // namespace

absl::StatusOr<FaketimeLauncher> FaketimeLauncher::Create(const fs::path& offset_file) {
  const std::string lib = FindLibFaketime();
  if (lib.empty()) {
    return absl::FailedPreconditionError(
        "libfaketime is missing: install the Debian package faketime (make deps does)");
  }
  FaketimeLauncher launcher;
  launcher.offset_file_ = offset_file;
  launcher.Step("+0");
  // FAKETIME_NO_CACHE: the offset file is read again on every clock call, so a step takes
  // effect at once. In a sanitizer build the preloaded library comes before libasan, which
  // ASan refuses unless told that the order is intended.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string asan_options = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "";
  asan_options += "verify_asan_link_order=0";
  launcher.launcher_ = {"env",
                        "LD_PRELOAD=" + lib,
                        "FAKETIME_TIMESTAMP_FILE=" + offset_file.string(),
                        "FAKETIME_NO_CACHE=1",
                        "DONT_FAKE_MONOTONIC=1",
                        "ASAN_OPTIONS=" + asan_options};
  return launcher;
}

void FaketimeLauncher::Step(const std::string& offset) const {
  // Written aside and renamed into place: libfaketime reads the file on every clock call
  // and must never see it empty or half written.
  const fs::path next = offset_file_.string() + ".next";
  std::ofstream(next) << offset << "\n";
  fs::rename(next, offset_file_);
}

}  // namespace gbabridge::testing
