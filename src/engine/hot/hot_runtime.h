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
  wasmlet_hot::Context ctx;  // first: the runtime calls get back here from it
  FastStore* store;
  Instance* instance;
  std::vector<uint64_t*> globals;
};

// The context `instance`'s native code runs with on this thread (made on
// first use); its host stack limit is this thread's.
wasmlet_hot::Context* hot_context(FastStore& store, Instance* instance);

}  // namespace wasmlet::detail::hot
