// The interpreter's side of native code for hot functions (hot_abi.h): the
// per-instance Context the code runs with and the runtime calls it makes
// (calls that leave the native code, traps, fuel, memory growth), which do
// what the interpreter's own handlers do, with the same messages.
#pragma once

#include <vector>

#include "engine/fast/fast_store.h"
#include "engine/hot/hot_abi.h"

namespace wasmlet::detail::hot {

using fast::FastStore;
using fast::Instance;

struct HotInstance {
  wasmlet_hot::Context ctx;  // its `runtime` points back here
  FastStore* store;
  Instance* instance;
  std::vector<uint64_t*> globals;
};

// The context `instance`'s native code runs with (made on first use).
wasmlet_hot::Context* hot_context(FastStore& store, Instance* instance);

// How deep native code may go on this thread's stack: 1 MiB (or an eighth
// of the stack, if more) above its end, room for the runtime, host
// functions and the interpreter below the deepest native frame. A thread
// whose stack is unknown or under 2 MiB gets a limit no native code
// passes: its first native call is a StackExhausted trap that says so.
const char* thread_stack_limit();

// Runs native code `fn` of `instance` on the frame `fp`, with the host stack
// limit of this thread (and the caller's limit back afterwards).
int run_native(FastStore& store, Instance* instance, wasmlet_hot::Function fn, uint64_t* fp);

}  // namespace wasmlet::detail::hot
