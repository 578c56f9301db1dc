// ReadProcStatus: a process's resident memory and thread count from /proc/PID/status, for
// the benchmarks' RSS rows.
#ifndef GBABRIDGE_BENCH_PROC_STATUS_H_
#define GBABRIDGE_BENCH_PROC_STATUS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace gbabridge::bench {

struct ProcStatus {
  uint64_t vm_rss_kb = 0;    // VmRSS: resident set, kB (= anon + file + shmem)
  uint64_t rss_anon_kb = 0;  // RssAnon: the process's own memory (heap, stacks)
  uint64_t rss_file_kb = 0;  // RssFile: mapped files, mostly shared library code
  uint64_t threads = 0;
};

absl::StatusOr<ProcStatus> ReadProcStatus(pid_t pid);

}  // namespace gbabridge::bench

#endif  // GBABRIDGE_BENCH_PROC_STATUS_H_
