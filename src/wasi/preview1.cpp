// add_wasi_preview1: every wasi_snapshot_preview1 function, in one linker.
#include "host_call.h"
#include "wasmlet/wasi.h"

namespace wasmlet {

void add_wasi_preview1(Linker& linker) {
  wasi::register_args_clock_random(linker);
  wasi::register_fd(linker);
  wasi::register_path(linker);
  wasi::register_poll(linker);
  wasi::register_sock(linker);
  wasi::register_proc(linker);
}

}  // namespace wasmlet
