// The interface between the interpreter and the native code it runs for a
// module's hot functions (hot_emitter.h writes that code as C++). Compiled
// into the engine and, as text, into every generated source: keep it plain
// (no includes beyond <cstdint>). Bump kHotAbi when anything here changes.
#pragma once

#include <cstdint>

namespace wasmlet_hot {

inline constexpr uint32_t kHotAbi = 2;

struct Context;

// A natively compiled function: arguments in fp[0..], results written there
// (the interpreter's frame layout). Returns 1, or 0 after a trap or an exit
// was recorded (the caller returns 0 too, up to the interpreter).
using Function = int (*)(Context* ctx, uint64_t* fp);

// One per instance whose functions run natively; the runtime keeps the
// memory fields current.
struct Context {
  uint8_t* mem_base;          // memory 0 (its base never moves)
  const uint64_t* mem_bytes;  // its current size in bytes
  int64_t* budget;            // the Store's fuel budget, charged at the interpreter's check points
  uint64_t* const* globals;   // each global's value, by global index
  uint64_t* const* stack_end; // the value stack's current limit
  // Native code must not go deeper than this address: set for the thread
  // that enters native code (hot_runtime.h, thread_stack_limit()).
  const char* host_stack_limit;
  // Runtime calls (hot_runtime.cpp). Each returns 0 after recording a trap.
  int (*call)(Context* ctx, uint32_t function, uint64_t* args, uint32_t caller);
  int (*call_indirect)(Context* ctx, uint32_t table, uint32_t type, uint32_t element, uint64_t* args,
                       uint32_t function);
  int (*refuel)(Context* ctx, uint32_t function);
  int (*trap)(Context* ctx, uint32_t kind, uint32_t function, uint64_t detail);
  int (*deepen)(Context* ctx, const uint64_t* frame_end, uint32_t function);  // more stack, or a trap
  int64_t (*memory_grow)(Context* ctx, uint32_t delta_pages);
  int (*memory_copy)(Context* ctx, uint32_t dst, uint32_t src, uint32_t n, uint32_t function);
  int (*memory_fill)(Context* ctx, uint32_t dst, uint32_t value, uint32_t n, uint32_t function);
  void* runtime;  // the runtime's own state
};

// What a compiled library exports (as kLibrarySymbol): its functions by
// defined function index, and the functions it was asked for but left out
// (they stay interpreted; no later build would compile them either).
struct Library {
  uint32_t abi;
  uint32_t count;
  const uint32_t* defined_indices;
  const Function* functions;
  uint32_t left_out_count;
  const uint32_t* left_out_indices;
};
inline constexpr const char* kLibrarySymbol = "wasmlet_hot_library";

}  // namespace wasmlet_hot
