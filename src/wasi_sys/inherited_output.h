// What the host's own stdout or stderr is, for both WASI front ends: a guest
// writing to it must not block where a stop or deadline cannot reach it, and
// its O_NONBLOCK flag is shared with whoever else holds the fd (a shell's
// terminal), so it is left as it is and the write is done to suit the kind.
#pragma once

namespace wasmlet::wasi_sys {

enum class InheritedOutput {
  Other,     // a file or /dev/null: a write ends by itself
  MayBlock,  // a terminal, or a pipe the next kind fails for: wait for room (interruptibly), then
             //   write at most PIPE_BUF
  Pipe,      // a pipe: write with RWF_NOWAIT, which never blocks, and wait for room only when it is
             //   full (a poll(2) before every write cost print_lines' 64,500 writes as many system
             //   calls); a kernel that refuses RWF_NOWAIT for it (EOPNOTSUPP) makes it MayBlock
  Socket,    // send without blocking
};

InheritedOutput inherited_output_kind(int fd);

}  // namespace wasmlet::wasi_sys
