#include <sys/mman.h>

#include <algorithm>

#include "engine/decode/types.h"
#include "engine/fast/reservation_pool.h"
#include "engine/fast/runtime.h"

namespace wasmlet::detail::fast {

LinearMemory::LinearMemory(uint64_t initial_pages, std::optional<uint64_t> declared_max) : declared_max_(declared_max) {
  // Reserve the most the memory can ever be: its declared maximum, at most
  // 4 GiB. Only the accessible part is ever committed.
  uint64_t max_pages =
      std::min<uint64_t>(declared_max.value_or(decode::limits::kMemoryPages), decode::limits::kMemoryPages);
  max_pages = std::max(max_pages, initial_pages);
  reserved_ = std::max<uint64_t>(max_pages * kPageSize, kPageSize);
  bytes_ = initial_pages * kPageSize;
  base_ = take_reservation(reserved_, bytes_, Leftovers::must_be_cleared).base;
}

LinearMemory::~LinearMemory() { give_back_reservation({base_, reserved_, bytes_}, Leftovers::must_be_cleared); }

bool LinearMemory::grow_to(uint64_t new_pages) {
  const uint64_t new_bytes = new_pages * kPageSize;
  if (new_bytes > reserved_) return false;
  if (new_bytes > bytes_ && mprotect(base_ + bytes_, new_bytes - bytes_, PROT_READ | PROT_WRITE) != 0) return false;
  bytes_ = new_bytes;
  return true;
}

}  // namespace wasmlet::detail::fast
