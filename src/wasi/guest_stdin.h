// The host fd behind a guest's stdin, for both WASI front ends (preview1's
// fd 0 and the component host's wasi:cli/stdin), from WasiConfig's
// stdin_fd or stdin_file.
#pragma once

#include <string>

#include "wasmlet/wasi.h"

namespace wasmlet::wasi {

struct GuestStdin {
  int fd = -1;        // owned by the caller; -1: the config gives no stdin
  std::string error;  // why it could not be opened, naming the fd or file
};

// An inherited stdin_fd is reopened through /proc/self/fd, a new open file
// description, so that `non_blocking` never changes the flags of the
// embedder's own fd; a socket cannot be reopened (ENXIO) and is duplicated
// instead (and made non-blocking, which the embedder's fd shares). A
// stdin_file is opened by path. The fd is close-on-exec.
GuestStdin open_guest_stdin(const WasiConfig& config, bool non_blocking);

}  // namespace wasmlet::wasi
