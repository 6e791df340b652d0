// The command's entry point, as in wasi-libc's crt1-command.o.
//
// The glue exports cabi_realloc. Linked as a command, wasm-ld wraps every
// export other than _start in __wasm_call_ctors/__wasm_call_dtors, so each
// allocation the host or the adapter asked for would run libc's destructors
// and flush stdio in the middle of a write (seen: "hello\n" printed as
// "\n"). The glue is therefore linked with -mexec-model=reactor
// -nostartfiles, which leaves exports alone, and brings this _start.
#include <stdlib.h>

void __wasm_call_ctors(void);
void __wasm_call_dtors(void);
int __main_void(void);

__attribute__((export_name("_start"))) void _start(void) {
  __wasm_call_ctors();
  int status = __main_void();
  __wasm_call_dtors();
  if (status != 0) exit(status);
}
