// Address-space reservations handed back for the next Store or memory
// instead of unmapped.
//
// A fresh mmap makes every page a guest touches a page fault (in a virtual
// machine often a host fault too), and munmap flushes the TLB of every CPU
// the process ran on. An embedder that instantiates once per call (the
// plugin host) paid about 200 us per call for that alone. A released
// reservation instead keeps its first pages resident and zeroed and goes to
// the next request of the same size, so a warm instantiation touches no
// page the kernel has to find.
//
// Isolation: what one instance leaves in a linear memory never reaches the
// next. Such a reservation comes back zero in full: its kept pages are
// cleared by memset, everything past them is given back to the kernel
// (MADV_DONTNEED refills it with zeros). The interpreter's stacks are only
// trimmed: it never reads a slot or frame it has not written (locals are
// zeroed on entry, validation makes every operand written before it is
// read), so what a previous Store left there is never seen.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasmlet::detail::fast {

struct Reservation {
  uint8_t* base = nullptr;
  size_t size = 0;        // bytes of address space
  size_t accessible = 0;  // [base, base + accessible) is read-write, the rest PROT_NONE
};

// Resident memory a pooled reservation keeps (the rest is released).
inline constexpr size_t kKeptResidentBytes = size_t{1} << 20;
// Reservations the pool holds at most (beyond them, released ones are unmapped).
inline constexpr size_t kPooledReservations = 16;

// What a reservation holds when it is given back.
enum class Leftovers {
  must_be_cleared,  // guest-visible (a linear memory): zeroed before reuse
  never_read,       // the interpreter's stacks: only trimmed to kKeptResidentBytes
};

// A reservation of `size` bytes whose first `accessible` bytes are
// read-write: a pooled one if the pool has one of that size, else a new
// mapping (zero-filled). Throws std::bad_alloc when the system refuses.
Reservation take_reservation(size_t size, size_t accessible, Leftovers kind);

// Gives `r` back: clears or trims it and pools it, or unmaps it when the
// pool is full. `touched`: how far from the base it can have been written
// (a stack that stayed within kKeptResidentBytes needs no trimming, and
// skipping the madvise is most of what a fresh Store costs to destroy).
void give_back_reservation(Reservation r, Leftovers kind, size_t touched = SIZE_MAX);

// How many reservations the pool holds now (for tests).
size_t pooled_reservations();

}  // namespace wasmlet::detail::fast
