// What the host's own stdout or stderr is, for both WASI front ends: a guest
// writing to it must not block where a stop or deadline cannot reach it, and
// its O_NONBLOCK flag is shared with whoever else holds the fd (a shell's
// terminal), so it is left as it is and the write is done to suit the kind.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace wasmlet::wasi_sys {

enum class InheritedOutput {
  Other,     // a file or /dev/null: a write ends by itself
  MayBlock,  // a terminal: wait for room (interruptibly), then write at most PIPE_BUF
  Pipe,      // a pipe: write with write_to_pipe, which never blocks, and wait for room only when it
             //   is full (a poll(2) before every write cost print_lines' 68,500 writes as many
             //   system calls)
  Socket,    // send without blocking
};

InheritedOutput inherited_output_kind(int fd);

// Writes to the host's own stdout or stderr (fd 1 or 2) when it is a Pipe,
// never blocking: -1 with EAGAIN means the pipe is full, so the caller waits
// for room (interruptibly) and calls again. The write uses RWF_NOWAIT; where
// the kernel refuses that for this pipe (EOPNOTSUPP: older kernels, and a
// named FIFO), the refusal is remembered for the fd for the life of the
// process, and the write looks for room with poll(2) first and then writes
// at most PIPE_BUF, which a pipe with room takes without blocking.
// `block_sigpipe` as for writev_without_sigpipe.
ssize_t write_to_pipe(int fd, const iovec* iov, int count, bool block_sigpipe);

}  // namespace wasmlet::wasi_sys
