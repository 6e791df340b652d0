// The engine side of wasmlet's wasm-rt runtime for AOT artifacts: linear
// memories reserved with guard pages (or explicitly bounds-checked when the
// reservation is impossible), growth under the Store's memory limit, traps
// through a SIGSEGV/SIGBUS handler on an alternate signal stack and a
// thread-local jump buffer, stack exhaustion as a trap. Many instances may
// run on many threads at once: all per-call state is thread-local, and the
// rest lives in the instance's InstanceContext and its Store's AotStore
// (memories and guest code, which linked instances share).
#pragma once

#include <atomic>
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/aot/aot_abi.h"
#include "engine/aot/aot_store.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail::aot {

constexpr uint64_t kPageSize = 65536;

// What the runtime needs to know about the instance running on a thread.
// Memories and guest code are the Store's (aot_store.h): linked instances
// grow, fault on and run each other's.
class InstanceContext {
 public:
  InstanceContext(std::shared_ptr<AotStore> shared, bool guard_pages)
      : shared_(std::move(shared)), guard_pages_(guard_pages) {}
  virtual ~InstanceContext() = default;
  // Runs import `index`; returns false if the guest must stop (the reason is
  // kept by the implementation). Must not throw.
  virtual bool call_import(uint32_t index, wasmlet_slot* slots) noexcept = 0;
  // The memory, table or global import `index` is bound to.
  virtual void* import_item(uint32_t index) noexcept = 0;

  AotStore& shared() const { return *shared_; }
  Store& store() const { return shared_->store(); }
  bool guard_pages() const { return guard_pages_; }
  // Whether `pc` is in guest code (aot_abi.h) of any artifact the Store runs.
  bool in_guest_text(const void* pc) const { return shared_->in_guest_text(pc); }
  uint64_t memory_bytes() const { return shared_->memory_bytes(); }
  std::vector<MemoryRecord>& memories() { return shared_->memories(); }
  // Set when the runtime itself must fail a guest (a reservation failed).
  std::string runtime_error;

 protected:
  std::shared_ptr<AotStore> shared_;

 private:
  bool guard_pages_;
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
