// An alternate signal stack for the calling thread, so that a SIGSEGV
// handler can still run after the thread's own stack overflowed. Used by
// the AOT tier's fault handler and the daemon's crash record.
#pragma once

namespace wasmlet::util {

// Gives the calling thread a 64 KiB alternate signal stack unless it has
// one; it is released when the thread ends.
void ensure_alt_signal_stack();

}  // namespace wasmlet::util
