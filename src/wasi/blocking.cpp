#include "blocking.h"

#include <cerrno>

#include "engine/metering.h"
#include "wasmlet/store.h"

namespace wasmlet::wasi {

int wait_poll(Caller& caller, std::vector<pollfd>& fds, Deadline until) {
  Store& store = caller.store();
  fds.push_back({store.interrupt_fd(), POLLIN, 0});
  Deadline store_deadline = store.deadline();
  for (;;) {
    if (store.interrupt_requested()) caller.trap("interrupted");
    auto now = std::chrono::steady_clock::now();
    Deadline limit = until;
    if (store_deadline && (!limit || *store_deadline < *limit)) limit = store_deadline;
    int timeout_ms = -1;
    if (limit) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*limit - now).count();
      timeout_ms = left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : static_cast<int>(left);
    }
    for (auto& p : fds) p.revents = 0;
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (fds.back().revents & POLLIN) caller.trap("interrupted");
    if (n > 0) {
      fds.pop_back();
      return n;
    }
    now = std::chrono::steady_clock::now();
    // The run's timeout ends a blocked guest as it ends a computing one:
    // a `timeout` limit trap, not a host error.
    if (store_deadline && now >= *store_deadline) detail::check_stop(store);
    if (until && now >= *until) {
      fds.pop_back();
      return 0;
    }
  }
}

void wait_ready(Caller& caller, int fd, short events) {
  std::vector<pollfd> fds{{fd, events, 0}};
  wait_poll(caller, fds, std::nullopt);
}

}  // namespace wasmlet::wasi
