// Every wait a WASI call does on the guest's behalf (preview1's poll_oneoff,
// a read on a pipe or socket, accept; wasi:io/poll and blocking streams)
// also waits on the Store's interrupt fd and ends at the call's deadline, so
// stop/kill/timeouts reach a guest blocked in the host. This is the one such
// wait; each front end turns Interrupted and DeadlinePassed into its own trap.
#pragma once

#include <poll.h>

#include <chrono>
#include <optional>
#include <vector>

namespace wasmlet {
class Store;
}

namespace wasmlet::wasi_sys {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

struct WaitResult {
  enum class End {
    Ready,           // `ready` of the fds have revents set
    TimedOut,        // `until` passed first
    Interrupted,     // Store::interrupt() was called
    DeadlinePassed,  // the Store's call deadline (its timeout) passed
  };
  End end;
  int ready = 0;
};

// poll(2) on `fds` until one is ready or `until` passes (nullopt: no limit).
// With a store, also ends on its interrupt and at its deadline; without one
// (a host not attached to a Store), only `fds` and `until` end it. EINTR is
// retried. `fds` keeps its size; their revents tell which are ready.
WaitResult wait_interruptible(Store* store, std::vector<pollfd>& fds, Deadline until);

}  // namespace wasmlet::wasi_sys
