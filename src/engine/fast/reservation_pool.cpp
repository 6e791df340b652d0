#include "engine/fast/reservation_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <new>
#include <vector>

namespace wasmlet::detail::fast {

namespace {

struct Pool {
  std::mutex mutex;
  std::vector<std::pair<Reservation, Leftovers>> free;  // most recently given back last
};

// Never destroyed: threads may still give reservations back while the
// process exits.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

size_t page_size() {
  static const size_t size = size_t(sysconf(_SC_PAGESIZE));
  return size;
}

bool set_access(uint8_t* base, size_t from, size_t to) {
  if (from == to) return true;
  if (from < to) return mprotect(base + from, to - from, PROT_READ | PROT_WRITE) == 0;
  return mprotect(base + to, from - to, PROT_NONE) == 0;
}

// Makes the accessible part zero, or for stacks only trims it: past
// kKeptResidentBytes pages go back to the kernel; within, only resident
// pages are cleared (mincore), so clearing costs what the last user
// touched, not the reservation's size. The protection stays as it is.
bool clear(const Reservation& r, Leftovers kind, size_t touched) {
  const size_t dirty = std::min(r.accessible, touched);
  const size_t kept = std::min(dirty, kKeptResidentBytes);
  if (dirty > kept && madvise(r.base + kept, dirty - kept, MADV_DONTNEED) != 0) return false;
  if (kind == Leftovers::never_read || kept == 0) return true;
  const size_t page = page_size();
  std::vector<unsigned char> resident((kept + page - 1) / page);
  if (mincore(r.base, kept, resident.data()) != 0) return false;
  for (size_t i = 0; i < resident.size(); ++i) {
    if (resident[i] & 1) std::fill_n(r.base + i * page, std::min(page, kept - i * page), uint8_t{0});
  }
  return true;
}

}  // namespace

Reservation take_reservation(size_t size, size_t accessible, Leftovers kind) {
  Reservation r;
  {
    // A stack never takes a cleared memory's reservation or the other way
    // round, so a memory is always handed out zeroed.
    std::lock_guard lock(pool().mutex);
    auto& free = pool().free;
    auto it = std::find_if(free.rbegin(), free.rend(),
                           [&](const auto& f) { return f.first.size == size && f.second == kind; });
    if (it != free.rend()) {
      r = it->first;
      free.erase(std::next(it).base());
    }
  }
  if (!r.base) {
    void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    r = Reservation{static_cast<uint8_t*>(p), size, 0};
  }
  if (!set_access(r.base, r.accessible, accessible)) {
    munmap(r.base, r.size);
    throw std::bad_alloc();
  }
  r.accessible = accessible;
  return r;
}

void give_back_reservation(Reservation r, Leftovers kind, size_t touched) {
  if (!r.base) return;
  if (clear(r, kind, touched)) {
    std::lock_guard lock(pool().mutex);
    if (pool().free.size() < kPooledReservations) {
      pool().free.emplace_back(r, kind);
      return;
    }
  }
  munmap(r.base, r.size);
}

size_t pooled_reservations() {
  std::lock_guard lock(pool().mutex);
  return pool().free.size();
}

}  // namespace wasmlet::detail::fast
