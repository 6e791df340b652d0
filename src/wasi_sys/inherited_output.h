// What the host's own stdout or stderr is, for both WASI front ends: a guest
// writing to it must not block where a stop or deadline cannot reach it, and
// its O_NONBLOCK flag is shared with whoever else holds the fd (a shell's
// terminal), so it is left as it is and the write is done to suit the kind.
#pragma once

namespace wasmlet::wasi_sys {

enum class InheritedOutput {
  Other,     // a file or /dev/null: a write ends by itself
  MayBlock,  // a pipe or terminal: wait for room (interruptibly), then write at most PIPE_BUF
  Socket,    // send without blocking
};

InheritedOutput inherited_output_kind(int fd);

}  // namespace wasmlet::wasi_sys
