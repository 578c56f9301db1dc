#include "uicc/base/secure_memory.h"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace gbabridge {
namespace {

constexpr std::array<size_t, 5> kSizeClasses = {16, 32, 64, 128, 256};
static_assert(kSizeClasses.back() == kSecureMaxSmallSize);

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// Index of the smallest class that fits n (n in 1..kSecureMaxSmallSize).
size_t ClassIndex(size_t n) {
  size_t i = 0;
  while (kSizeClasses[i] < n) ++i;
  return i;
}

// Rounds n up to whole pages; 0 on overflow.
size_t RoundToPages(size_t n) {
  const size_t page = PageSize();
  if (n > SIZE_MAX - (page - 1)) return 0;
  return (n + page - 1) / page * page;
}

struct Mapping {
  void* addr = nullptr;
  bool locked = false;
};

// mmap + MADV_DONTDUMP + mlock. A failed madvise/mlock does not fail the allocation: the
// memory is still private and wiped on free, and the caller records the lock state.
Mapping MapSecurePages(size_t bytes) {
  void* addr = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (addr == MAP_FAILED) return {};
  // Best effort on kernels without MADV_DONTDUMP (pre-3.4); nothing better to do there.
  (void)madvise(addr, bytes, MADV_DONTDUMP);
  // Raw syscall rather than mlock(): ASan's interceptor turns mlock() into a silent no-op
  // that returns 0 (to protect its shadow memory from mlockall), which would make sanitized
  // builds report locked memory that is not. Locking our own small range is harmless.
  const bool locked = syscall(SYS_mlock, addr, bytes) == 0;
  return {addr, locked};
}

// Free slots are linked through their first word. The rest of a free slot is already
// cleansed; SecureAllocate zeroes the whole slot again before handing it out.
struct FreeSlot {
  FreeSlot* next;
};

class Arena {
 public:
  void* Allocate(size_t n) {
    if (n == 0) return nullptr;
    if (n > kSecureMaxSmallSize) return AllocateLarge(n);
    const size_t cls = ClassIndex(n);
    const size_t slot_size = kSizeClasses[cls];
    std::lock_guard<std::mutex> lock(mu_);
    if (free_[cls] == nullptr && !RefillLocked(cls)) return nullptr;
    FreeSlot* slot = free_[cls];
    free_[cls] = slot->next;
    stats_.bytes_in_use += slot_size;
    // Clears the link word (and anything else) so callers always see zeroed memory.
    std::memset(slot, 0, slot_size);
    return slot;
  }

  void Free(void* p, size_t n) {
    if (p == nullptr || n == 0) return;
    if (n > kSecureMaxSmallSize) {
      FreeLarge(p, n);
      return;
    }
    const size_t cls = ClassIndex(n);
    const size_t slot_size = kSizeClasses[cls];
    // Wipe the whole slot (not just n bytes) before it goes back on the list; done outside
    // the lock since the slot is still exclusively ours.
    OPENSSL_cleanse(p, slot_size);
    std::lock_guard<std::mutex> lock(mu_);
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = free_[cls];
    free_[cls] = slot;
    stats_.bytes_in_use -= slot_size;
  }

  SecureMemoryStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  // Carves a fresh one-page chunk into slots of class cls. Each chunk serves one class so
  // that no per-slot header is needed.
  bool RefillLocked(size_t cls) {
    const size_t page = PageSize();
    const Mapping m = MapSecurePages(page);
    if (m.addr == nullptr) return false;
    RecordMapLocked(m.locked);
    const size_t slot_size = kSizeClasses[cls];
    auto* base = static_cast<uint8_t*>(m.addr);
    // Pushed in reverse so that slots are handed out in address order.
    for (size_t i = page / slot_size; i-- > 0;) {
      auto* slot = reinterpret_cast<FreeSlot*>(base + i * slot_size);
      slot->next = free_[cls];
      free_[cls] = slot;
    }
    return true;
  }

  void* AllocateLarge(size_t n) {
    const size_t bytes = RoundToPages(n);
    if (bytes == 0) return nullptr;
    const Mapping m = MapSecurePages(bytes);  // fresh anonymous pages are already zero
    if (m.addr == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    RecordMapLocked(m.locked);
    // Remembered so that stats stay exact when the mapping is freed. Heap memory is fine
    // here: it holds only addresses, never secret bytes.
    if (m.locked) locked_large_.insert(m.addr);
    stats_.bytes_in_use += bytes;
    return m.addr;
  }

  void FreeLarge(void* p, size_t n) {
    const size_t bytes = RoundToPages(n);
    OPENSSL_cleanse(p, bytes);
    bool was_locked = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_locked = locked_large_.erase(p) != 0;
      --stats_.chunks;
      if (was_locked) --stats_.locked_chunks;
      stats_.bytes_in_use -= bytes;
    }
    // munmap also drops the page lock, so no munlock is needed.
    (void)munmap(p, bytes);
  }

  void RecordMapLocked(bool locked) {
    ++stats_.chunks;
    if (locked) ++stats_.locked_chunks;
  }

  std::mutex mu_;
  std::array<FreeSlot*, kSizeClasses.size()> free_{};
  std::unordered_set<void*> locked_large_;
  SecureMemoryStats stats_;
};

// Deliberately leaked: secrets held by other statics may be freed during exit, after a
// function-local static Arena would already have been destroyed.
Arena& GetArena() {
  static Arena* const arena = new Arena();
  return *arena;
}

}  // namespace

void* SecureAllocate(size_t n) { return GetArena().Allocate(n); }

void SecureFree(void* p, size_t n) { GetArena().Free(p, n); }

SecureMemoryStats GetSecureMemoryStats() { return GetArena().Stats(); }

}  // namespace gbabridge
