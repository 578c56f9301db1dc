#include "uicc/base/secure_memory.h"

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge {
namespace {

constexpr size_t kSizes[] = {1, 16, 17, 32, 33, 64, 65, 128, 129, 256, 257, 4096, 10000};

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

TEST(SecureMemoryTest, RoundTripEachSizeClassAndLarge) {
  const SecureMemoryStats before = GetSecureMemoryStats();
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    auto* p = static_cast<uint8_t*>(SecureAllocate(n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
    EXPECT_TRUE(AllZero(p, n));
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i + 1);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], static_cast<uint8_t>(i + 1));
    EXPECT_GT(GetSecureMemoryStats().bytes_in_use, before.bytes_in_use);
    SecureFree(p, n);
  }
  EXPECT_EQ(GetSecureMemoryStats().bytes_in_use, before.bytes_in_use);
}

TEST(SecureMemoryTest, ZeroSizeAllocatesNothing) {
  EXPECT_EQ(SecureAllocate(0), nullptr);
  SecureFree(nullptr, 0);  // no-op
  SecretBytes empty;
  EXPECT_EQ(empty.data(), nullptr);
  SecretBytes zero(0);
  EXPECT_EQ(zero.data(), nullptr);
  EXPECT_TRUE(zero.empty());
}

TEST(SecureMemoryTest, SecretBytesIsZeroInitialised) {
  for (size_t n : kSizes) {
    SCOPED_TRACE(n);
    {
      // Dirty a slot of this class first so that the next SecretBytes reuses it.
      SecretBytes dirty(n);
      for (size_t i = 0; i < n; ++i) dirty.data()[i] = 0xA5;
    }
    SecretBytes s(n);
    ASSERT_EQ(s.size(), n);
    EXPECT_TRUE(AllZero(s.data(), n));
  }
}

TEST(SecureMemoryTest, FreedSlotIsWipedAndReusedZeroed) {
  for (size_t n : {16, 32, 64, 128, 256}) {
    SCOPED_TRACE(n);
    auto* p = static_cast<uint8_t*>(SecureAllocate(n));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < n; ++i) p[i] = 0xC3;
    SecureFree(p, n);
    // Arena memory stays mapped (and is invisible to ASan), so the freed slot can be
    // inspected directly: everything past the free-list link word must be wiped.
    const volatile uint8_t* freed = p;
    for (size_t i = sizeof(void*); i < n; ++i) ASSERT_EQ(freed[i], 0) << "byte " << i;
    // The free list is LIFO, so the same slot comes back, fully zeroed (link word too).
    auto* q = static_cast<uint8_t*>(SecureAllocate(n));
    EXPECT_EQ(q, p);
    EXPECT_TRUE(AllZero(q, n));
    SecureFree(q, n);
  }
}

struct MappingInfo {
  bool found = false;
  long locked_kb = 0;
  std::string vm_flags;
};

// Finds the /proc/self/smaps entry whose range contains addr.
MappingInfo FindMapping(const void* addr) {
  const auto a = reinterpret_cast<uintptr_t>(addr);
  std::ifstream smaps("/proc/self/smaps");
  MappingInfo info;
  bool in_target = false;
  std::string line;
  while (std::getline(smaps, line)) {
    uintptr_t start = 0;
    uintptr_t end = 0;
    // Header lines look like "7f12...-7f13... rw-p ..."; field lines like "Locked:  4 kB".
    if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2 &&
        line.find(':') > line.find(' ')) {
      if (in_target) break;
      in_target = a >= start && a < end;
      info.found = info.found || in_target;
      continue;
    }
    if (!in_target) continue;
    if (line.rfind("Locked:", 0) == 0) {
      std::istringstream(line.substr(7)) >> info.locked_kb;
    } else if (line.rfind("VmFlags:", 0) == 0) {
      info.vm_flags = line.substr(8) + " ";
    }
  }
  return info;
}

bool LockLimitIsAmple() {
  rlimit rl{};
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return false;
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (1u << 20);
}

TEST(SecureMemoryTest, ChunksAreDontDumpAndLockedWherePermitted) {
  for (size_t n : {32, 5000}) {  // one arena chunk, one large mapping
    SCOPED_TRACE(n);
    void* p = SecureAllocate(n);
    ASSERT_NE(p, nullptr);
    const MappingInfo info = FindMapping(p);
    ASSERT_TRUE(info.found);
    // Always required: MADV_DONTDUMP keeps secrets out of core dumps.
    EXPECT_NE(info.vm_flags.find(" dd "), std::string::npos) << "VmFlags:" << info.vm_flags;

    const SecureMemoryStats stats = GetSecureMemoryStats();
    if (stats.locked_chunks == stats.chunks) {
      EXPECT_GT(info.locked_kb, 0);
      EXPECT_NE(info.vm_flags.find(" lo "), std::string::npos) << "VmFlags:" << info.vm_flags;
    } else if (LockLimitIsAmple()) {
      ADD_FAILURE() << "mlock failed although RLIMIT_MEMLOCK is ample";
    } else {
      std::cerr << "note: RLIMIT_MEMLOCK too small; " << stats.chunks - stats.locked_chunks
                << " of " << stats.chunks << " secure chunks unlocked; Locked check skipped\n";
    }
    SecureFree(p, n);
  }
}

TEST(SecureMemoryTest, ConcurrentAllocFreeWithoutCorruption) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 10000;
  const size_t bytes_before = GetSecureMemoryStats().bytes_in_use;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      constexpr size_t kThreadSizes[] = {16, 24, 48, 100, 200, 256, 300};
      const auto tag = static_cast<uint8_t>(t + 1);
      for (int i = 0; i < kIterations; ++i) {
        // Two live allocations at once so that slots of different threads interleave.
        const size_t n1 = kThreadSizes[i % 7];
        const size_t n2 = kThreadSizes[(i + 3) % 7];
        auto* a = static_cast<uint8_t*>(SecureAllocate(n1));
        auto* b = static_cast<uint8_t*>(SecureAllocate(n2));
        if (a == nullptr || b == nullptr || !AllZero(a, n1) || !AllZero(b, n2)) ++failures[t];
        if (a != nullptr) std::memset(a, tag, n1);
        if (b != nullptr) std::memset(b, tag, n2);
        std::this_thread::yield();
        for (size_t j = 0; a != nullptr && j < n1; ++j) failures[t] += a[j] != tag;
        for (size_t j = 0; b != nullptr && j < n2; ++j) failures[t] += b[j] != tag;
        SecureFree(a, n1);
        SecureFree(b, n2);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(GetSecureMemoryStats().bytes_in_use, bytes_before);
}

}  // namespace
}  // namespace gbabridge
