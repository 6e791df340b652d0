// Every wait a WASI call does on the guest's behalf (poll_oneoff, a read on
// a pipe or socket, accept) also waits on the Store's interrupt fd and ends
// at the call's deadline, so stop/kill/timeouts reach a guest blocked in the
// host. When either fires, the guest is ended with a trap.
#pragma once

#include <poll.h>

#include <chrono>
#include <optional>
#include <vector>

#include "wasmlet/linker.h"

namespace wasmlet::wasi {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// poll(2) on `fds` until one is ready or `until` passes (0 returned).
// Traps (does not return) on interrupt or when the Store's deadline passes.
int wait_poll(Caller& caller, std::vector<pollfd>& fds, Deadline until);

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT).
void wait_ready(Caller& caller, int fd, short events);

}  // namespace wasmlet::wasi
