// preview1's blocking waits (poll_oneoff, a read on a pipe or socket,
// accept): the shared interruptible wait (wasi_sys/interruptible_wait.h),
// ending the guest with a trap when the Store is interrupted or its call
// deadline passes.
#pragma once

#include <poll.h>

#include <vector>

#include "wasi_sys/interruptible_wait.h"
#include "wasmlet/linker.h"

namespace wasmlet::wasi {

using wasi_sys::Deadline;

// poll(2) on `fds` until one is ready or `until` passes (0 returned).
// Traps (does not return) on interrupt ("interrupted") or when the Store's
// deadline passes (the timeout limit trap).
int wait_poll(Caller& caller, std::vector<pollfd>& fds, Deadline until);

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT).
void wait_ready(Caller& caller, int fd, short events);

}  // namespace wasmlet::wasi
