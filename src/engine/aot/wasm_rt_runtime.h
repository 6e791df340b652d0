// The engine side of wasmlet's wasm-rt runtime for AOT artifacts: linear
// memories reserved with guard pages (or explicitly bounds-checked when the
// reservation is impossible), growth under the Store's memory limit, traps
// through a SIGSEGV/SIGBUS handler on an alternate signal stack and a
// thread-local jump buffer, stack exhaustion as a trap. Many instances may
// run on many threads at once: all per-call state is thread-local and all
// per-instance state lives in the instance's InstanceContext.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/aot/aot_abi.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail::aot {

constexpr uint64_t kPageSize = 65536;

struct MemoryRecord {
  void* memory;      // the artifact's wasm_rt_memory_t
  uint8_t* base;
  uint64_t mapped;   // bytes of address space owned (reservation or allocation)
  bool guarded;
};

// What the runtime needs to know about the instance running on a thread.
class InstanceContext {
 public:
  InstanceContext(Store& store, bool guard_pages, const char* text_begin = nullptr, const char* text_end = nullptr)
      : store_(store), guard_pages_(guard_pages), text_begin_(text_begin), text_end_(text_end) {}
  virtual ~InstanceContext() = default;
  // Runs import `index`; returns false if the guest must stop (the reason is
  // kept by the implementation). Must not throw.
  virtual bool call_import(uint32_t index, wasmlet_slot* slots) noexcept = 0;

  Store& store() const { return store_; }
  bool guard_pages() const { return guard_pages_; }
  // Whether `pc` is in the artifact's guest functions (aot_abi.h).
  bool in_guest_text(const void* pc) const {
    auto p = static_cast<const char*>(pc);
    return text_begin_ && p >= text_begin_ && p < text_end_;
  }
  uint64_t memory_bytes() const;
  std::vector<MemoryRecord>& memories() { return memories_; }
  // Set when the runtime itself must fail a guest (a reservation failed).
  std::string runtime_error;

 private:
  Store& store_;
  bool guard_pages_;
  const char* text_begin_;
  const char* text_end_;
  std::vector<MemoryRecord> memories_;
};

// The table handed to every artifact's wasmlet_aot_entry.
const wasmlet_aot_host* host_table();

// Whether 8 GiB reservations with guard pages work in this process (probed
// once). When they do not, artifacts are compiled with explicit bounds checks.
bool guard_pages_available();

struct GuardedResult {
  uint32_t code = 0;  // 0: returned; else a wasm_rt_trap_t or WASMLET_TRAP_* code
  void* pc = nullptr;  // where the trap happened, when known
  const char* function = nullptr;  // the C name of the trapping guest function, when the trap site knew it
  // An out-of-bounds fault: the offset into the memory that faulted, and that memory's size.
  bool memory_fault = false;
  uint64_t fault_offset = 0, memory_size = 0;
};

// Runs body(arg) (guest code) on this thread with `ctx` current: traps and
// faults inside it come back as a code instead of ending the process.
// `stop` (interrupt_watch.h), when given, is the flag that makes the stop
// signal unwind the guest with WASMLET_TRAP_STOP; nested calls without one
// keep the enclosing call's.
GuardedResult run_guarded(InstanceContext& ctx, void (*body)(void*), void* arg,
                          const std::atomic<bool>* stop = nullptr);

// Makes `ctx` current for runtime calls outside guest code (freeing an instance).
class ScopedContext {
 public:
  explicit ScopedContext(InstanceContext& ctx);
  ~ScopedContext();

 private:
  void* saved_;
};

}  // namespace wasmlet::detail::aot
