// Secure memory for key material: the project rule is that keys live in locked,
// non-dumpable memory and are wiped on free.
//
// SecureAllocate hands out zeroed memory from page-sized chunks that are mmap'd privately,
// marked MADV_DONTDUMP (kept out of core dumps) and mlock'd (kept out of swap). Small
// requests (<= kSecureMaxSmallSize) come from fixed size classes in a process-wide,
// thread-safe free-list arena whose chunks are never returned to the OS (secrets are few
// and small, so this is bounded). Larger requests get their own mapping, unmapped on free.
//
// If mlock fails (typically RLIMIT_MEMLOCK too small in a container), the memory is still
// used -- MADV_DONTDUMP still applies -- and the failure is counted in SecureMemoryStats so
// the daemon can report it. Allocation never aborts because of a lock failure.
#ifndef GBABRIDGE_UICC_BASE_SECURE_MEMORY_H_
#define GBABRIDGE_UICC_BASE_SECURE_MEMORY_H_

#include <cstddef>

namespace gbabridge {

// Requests up to this size are served from the size-class arena.
inline constexpr size_t kSecureMaxSmallSize = 256;

// Returns n zeroed bytes (aligned to at least 16), or nullptr if n == 0 or the system is out
// of memory / address space.
void* SecureAllocate(size_t n);

// Wipes (OPENSSL_cleanse) and releases memory from SecureAllocate. n must be the size that
// was passed to SecureAllocate. p == nullptr is a no-op.
void SecureFree(void* p, size_t n);

struct SecureMemoryStats {
  // Mappings currently held: arena chunks (never released) plus live large allocations.
  size_t chunks = 0;
  // How many of those mlock succeeded for. locked_chunks < chunks means some key material
  // may be swapped out (RLIMIT_MEMLOCK too small); worth a warning in the daemon log.
  size_t locked_chunks = 0;
  // Bytes handed out and not yet freed, counted in whole slots / pages.
  size_t bytes_in_use = 0;
};

SecureMemoryStats GetSecureMemoryStats();

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_SECURE_MEMORY_H_
