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

// Writes at the end of the regular file `fd` (open without O_APPEND, whose
// positioned writes must stay where they are put), not moving its offset:
// pwritev2(RWF_APPEND), atomically. Kernels before 4.16 (and glibc's
// pwritev2 emulation) refuse the flag (EOPNOTSUPP, or EINVAL); then, and for
// every later call in this process (the refusal is remembered), it writes at
// the size fstat(2) gives, the end a size limit counted the write against.
// That fallback is not atomic: a write by another process (or descriptor)
// between the fstat and the write can be overwritten.
ssize_t append_to_file(int fd, const iovec* iov, int count);

}  // namespace wasmlet::wasi_sys
