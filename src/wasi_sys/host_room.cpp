#include "wasi_sys/host_room.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace wasmlet::wasi_sys {

namespace {

// What every live GuestFdShare holds, and what they are still owed of
// their guaranteed fds (the sum of kGuaranteedGuestFds - held over those
// holding fewer).
struct Tally {
  std::mutex mutex;
  size_t held = 0;
  size_t owed = 0;
};

Tally& tally() {
  static Tally* t = new Tally;  // never destroyed: contexts may end during exit
  return *t;
}

// The soft RLIMIT_NOFILE as raise_fd_limit left it; 0 until then. Every
// guest open asks for the limit (guest_fd_budget, leaves_host_room), and
// getrlimit is a system call (0.76 us on a VM here): after the raise,
// which every guest context makes first, the limit is read from here.
std::atomic<rlim_t> raised_soft_limit{0};

// The soft RLIMIT_NOFILE; RLIM_INFINITY if it cannot be read.
rlim_t soft_fd_limit() {
  if (const rlim_t raised = raised_soft_limit.load(std::memory_order_acquire); raised != 0) return raised;
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : RLIM_INFINITY;
}

}  // namespace

void raise_fd_limit() {
  // Once a process: getrlimit is a system call (0.76 us on a VM here), and
  // every guest context calls this, a plugin instance made per call too.
  static std::once_flag once;
  std::call_once(once, [] {
    rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;  // unknown: read at each use
    if (rl.rlim_cur < rl.rlim_max) {
      rlimit raised = rl;
      raised.rlim_cur = rl.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    if (rl.rlim_cur != 0) raised_soft_limit.store(rl.rlim_cur, std::memory_order_release);
  });
}

size_t guest_fd_budget() {
  const rlim_t limit = soft_fd_limit();
  if (limit == RLIM_INFINITY) return SIZE_MAX;
  return limit > rlim_t(kHostReservedFds) ? size_t(limit - kHostReservedFds) : 0;
}

GuestFdShare::GuestFdShare() {
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  t.owed += kGuaranteedGuestFds;
}

GuestFdShare::~GuestFdShare() {
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  t.held -= held_;
  if (held_ < kGuaranteedGuestFds) t.owed -= kGuaranteedGuestFds - held_;
}

bool GuestFdShare::may_take_locked(size_t tally_held, size_t tally_owed, size_t budget) const {
  if (held_ >= kMaxGuestFds) return false;
  if (held_ < kGuaranteedGuestFds) return tally_held < budget;
  // Beyond its guaranteed share: what is left after this one must cover the
  // others' guaranteed fds and a share for a context yet to start, up to
  // half the budget (many idle contexts must not hold every busy one to
  // its first fds).
  return tally_held + 1 + std::min(tally_owed + kGuaranteedGuestFds, budget / 2) <= budget;
}

bool GuestFdShare::may_take() const {
  const size_t budget = guest_fd_budget();
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  return may_take_locked(t.held, t.owed, budget);
}

bool GuestFdShare::try_take() {
  const size_t budget = guest_fd_budget();
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  if (!may_take_locked(t.held, t.owed, budget)) return false;
  ++t.held;
  if (held_ < kGuaranteedGuestFds) --t.owed;
  ++held_;
  return true;
}

void GuestFdShare::take() {
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  ++t.held;
  if (held_ < kGuaranteedGuestFds) --t.owed;
  ++held_;
}

void GuestFdShare::give_back() {
  if (held_ == 0) return;
  Tally& t = tally();
  std::lock_guard lock(t.mutex);
  --held_;
  --t.held;
  if (held_ < kGuaranteedGuestFds) ++t.owed;
}

bool leaves_host_room(int fd) {
  const rlim_t limit = soft_fd_limit();
  if (limit == RLIM_INFINITY) return true;
  return static_cast<rlim_t>(fd) + kHostReservedFds < limit;
}

}  // namespace wasmlet::wasi_sys
