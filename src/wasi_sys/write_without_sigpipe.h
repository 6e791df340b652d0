// Writes to the host's own pipes without SIGPIPE, for both WASI front ends:
// a guest writing to a pipe whose reader is gone must get EPIPE, never the
// signal, whose default action would end the whole host process (a program
// embedding wasmlet need not ignore SIGPIPE; `wasmlet run` and the daemon do).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace wasmlet::wasi_sys {

// Whether this process ignores SIGPIPE now. Callers read it once per guest
// context: blocking the signal costs three system calls a write.
bool sigpipe_ignored();

// writev (pwritev2 at the current position with `rwf_flags`, such as
// RWF_NOWAIT, if any); with `block_sigpipe`, SIGPIPE is blocked on this
// thread for the call (a write raises it on the writing thread) and one the
// write raised is taken back before the old mask returns.
ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count, bool block_sigpipe, int rwf_flags = 0);

}  // namespace wasmlet::wasi_sys
