#include "bench/proc_status.h"

#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gbabridge::bench {
namespace {

// "VmRSS:\t   1234 kB" -> 1234.
bool FieldValue(const std::string& line, absl::string_view name, uint64_t& out) {
  absl::string_view rest = line;
  if (!absl::ConsumePrefix(&rest, name)) return false;
  rest = absl::StripAsciiWhitespace(rest);
  absl::ConsumeSuffix(&rest, " kB");
  return absl::SimpleAtoi(rest, &out);
}

}  // namespace

absl::StatusOr<ProcStatus> ReadProcStatus(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, " (process gone?)"));
  ProcStatus status;
  bool rss = false;
  std::string line;
  while (std::getline(in, line)) {
    rss = FieldValue(line, "VmRSS:", status.vm_rss_kb) || rss;
    FieldValue(line, "RssAnon:", status.rss_anon_kb);
    FieldValue(line, "RssFile:", status.rss_file_kb);
    FieldValue(line, "Threads:", status.threads);
  }
  if (!rss) return absl::InternalError(absl::StrCat(path, " has no VmRSS line"));
  return status;
}

}  // namespace gbabridge::bench
