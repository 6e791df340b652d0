// proc_exit(n) -> wasi:cli/exit.exit-with-code(n).
//
// jco's preview1 adapter maps proc_exit(n) onto wasi:cli/exit.exit, which
// carries only ok/err, so every n != 0 would reach the host as 1. Linked with
// -Wl,--wrap=__wasi_proc_exit, C's exit status keeps its value, as it does
// with wasi-libc's wasm32-wasip2 target.
#include <wasi/api.h>

#include "imports.h"

_Noreturn void __wrap___wasi_proc_exit(__wasi_exitcode_t status) { p2_exit_with_code((int32_t)(uint8_t)status); }
