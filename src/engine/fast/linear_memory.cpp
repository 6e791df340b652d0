#include <sys/mman.h>

#include <algorithm>
#include <new>

#include "engine/decode/types.h"
#include "engine/fast/runtime.h"

namespace wasmlet::detail::fast {

LinearMemory::LinearMemory(uint64_t initial_pages, std::optional<uint64_t> declared_max)
    : declared_max_(declared_max) {
  // Reserve the most the memory can ever be: its declared maximum, at most
  // 4 GiB. PROT_NONE with MAP_NORESERVE costs address space only.
  uint64_t max_pages = std::min<uint64_t>(declared_max.value_or(decode::limits::kMemoryPages), decode::limits::kMemoryPages);
  max_pages = std::max(max_pages, initial_pages);
  reserved_ = std::max<uint64_t>(max_pages * kPageSize, kPageSize);
  void* p = mmap(nullptr, reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<uint8_t*>(p);
  if (!grow_to(initial_pages)) {
    munmap(base_, reserved_);
    throw std::bad_alloc();
  }
}

LinearMemory::~LinearMemory() {
  if (base_) munmap(base_, reserved_);
}

bool LinearMemory::grow_to(uint64_t new_pages) {
  const uint64_t new_bytes = new_pages * kPageSize;
  if (new_bytes > reserved_) return false;
  if (new_bytes > bytes_ && mprotect(base_ + bytes_, new_bytes - bytes_, PROT_READ | PROT_WRITE) != 0) return false;
  bytes_ = new_bytes;
  return true;
}

}  // namespace wasmlet::detail::fast
