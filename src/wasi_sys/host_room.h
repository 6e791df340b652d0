// How much of the host's own resources one guest may hold, for both WASI
// front ends. Every guest runs in the host's process (the daemon runs all
// instances), so fds and host memory are shared: without a bound one guest
// opening files in a loop takes every fd, and the daemon cannot open its
// database, logs or sockets, nor other instances their files; one listing a
// large directory on many fds fills the host's memory, which the guest's
// memory limit (linear memory only) does not see.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasmlet::wasi_sys {

// The most fds (files, directories, sockets) one guest context holds open.
constexpr size_t kMaxGuestFds = 4096;

// Fds of RLIMIT_NOFILE kept for the host itself, whatever guests hold.
constexpr int kHostReservedFds = 256;

// Raises the process's soft RLIMIT_NOFILE to its hard limit: a
// program may hold many files open (1,000 is a tested minimum), and the
// soft limit is often 1024 for the whole host process, which would leave
// each guest about 512 of kMaxGuestFds. Both WASI front ends call it when a
// guest context is made; it acts on the first call of the process only,
// and keeps the soft limit it leaves for guest_fd_budget and
// leaves_host_room, which every guest open asks: from then on they make no
// system call, and a change of RLIMIT_NOFILE the process makes later (the
// daemon makes none) is not seen. Before the first call they read it.
void raise_fd_limit();

// The fds of RLIMIT_NOFILE all guest contexts in the process share: the
// limit less kHostReservedFds (the daemon raises its soft limit to the hard
// one at start).
size_t guest_fd_budget();

// How much of guest_fd_budget() each guest context may count on: its first
// kGuaranteedGuestFds fds are refused only when the whole budget is spent.
// A context holding more takes another only while the budget keeps, after
// it, the guaranteed fds every live context has yet to use plus one more
// guaranteed share for a context yet to start, so long as that is at most
// half the budget (with many live contexts, those busy still share half).
// So a workload opening files in a loop stops short of what the others (and
// the next one) are owed, instead of leaving them none; fds it holds are
// never taken back.
constexpr size_t kGuaranteedGuestFds = 256;

// One guest context's part of the process's guest fds (a member of
// preview1's fd table and of the component host's state): counts the fds
// the context holds, in the process-wide tally too, until it ends.
class GuestFdShare {
 public:
  GuestFdShare();
  ~GuestFdShare();
  GuestFdShare(const GuestFdShare&) = delete;
  GuestFdShare& operator=(const GuestFdShare&) = delete;
  // Whether the context may open one more fd: below kMaxGuestFds and
  // within its share of guest_fd_budget() (the rule above).
  bool may_take() const;
  // may_take and take as one step: counts one fd more if the context may
  // open it. Contexts opening at the same time cannot together pass the
  // bound, as they could between a may_take and its take (use FdSlot).
  bool try_take();
  // Counts one fd more (for what the host opens for the guest at its start:
  // stdio, preopens) or one fewer.
  void take();
  void give_back();
  size_t held() const { return held_; }

 private:
  bool may_take_locked(size_t tally_held, size_t tally_owed, size_t budget) const;
  size_t held_ = 0;
};

// The fd a guest is about to open, taken from its GuestFdShare before the
// open (GuestFdShare::try_take) and given back unless kept (the open
// failed): false when the guest may open no more.
class FdSlot {
 public:
  explicit FdSlot(GuestFdShare& share) : share_(share.try_take() ? &share : nullptr) {}
  ~FdSlot() {
    if (share_) share_->give_back();
  }
  FdSlot(const FdSlot&) = delete;
  FdSlot& operator=(const FdSlot&) = delete;
  explicit operator bool() const { return share_ != nullptr; }
  // The fd was opened: it stays counted until it is closed.
  void keep() { share_ = nullptr; }

 private:
  GuestFdShare* share_;
};

// Whether the host fd a guest just opened leaves the host its reserve. The
// kernel hands out the lowest free number, so an fd numbered within
// kHostReservedFds of the limit means the process is nearly out: the guest's
// open is then refused ("too many open files") and `fd` must be closed.
bool leaves_host_room(int fd);

// Directory listings are read a piece at a time (wasi_sys/dir_reader.h), so
// a directory of any size costs the host little: preview1's fd_readdir keeps
// where each fd stopped and at most one 4 KiB getdents buffer, and a WASI 0.2
// directory-entry-stream one batch of entries (and its own open directory). The most bytes of such batches one guest context holds at a
// time (many undropped streams): past it read-directory and
// read-directory-entry are insufficient-memory.
constexpr uint64_t kMaxListingBytes = uint64_t{64} << 20;

// What a listing entry with a name of `name_size` bytes costs in host memory.
constexpr uint64_t listing_entry_bytes(size_t name_size) { return name_size + 48; }

}  // namespace wasmlet::wasi_sys
