#include "wasi_sys/interruptible_wait.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "wasmlet/store.h"

namespace wasmlet::wasi_sys {

WaitResult wait_interruptible(Store* store, std::vector<pollfd>& fds, Deadline until) {
  using End = WaitResult::End;
  const size_t guest_fds = fds.size();
  Deadline store_deadline;
  if (store) {
    store_deadline = store->deadline();
    fds.push_back({store->interrupt_fd(), POLLIN, 0});
  }
  auto finish = [&](End e, int ready = 0) {
    fds.resize(guest_fds);
    return WaitResult{e, ready};
  };
  for (;;) {
    if (store && store->interrupt_requested()) return finish(End::Interrupted);
    auto now = std::chrono::steady_clock::now();
    Deadline limit = until;
    if (store_deadline && (!limit || *store_deadline < *limit)) limit = store_deadline;
    int timeout_ms = -1;
    if (limit) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*limit - now).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
    }
    for (auto& p : fds) p.revents = 0;
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (store && (fds.back().revents & POLLIN)) return finish(End::Interrupted);
    if (n > 0) return finish(End::Ready, n);
    now = std::chrono::steady_clock::now();
    if (store_deadline && now >= *store_deadline) return finish(End::DeadlinePassed);
    if (until && now >= *until) return finish(End::TimedOut);
  }
}

}  // namespace wasmlet::wasi_sys
