// The AOT tier's per-Store state: what the AOT instances of one Store share
// once they are linked to each other (imported memories, tables, globals).
//
// - Memories: every memory defined by an instance of the Store is listed
//   here, not with its instance, because another instance may grow it or
//   fault on it (a fault is an out-of-bounds trap if it lands in any of
//   them) and because max_memory_bytes covers all of them together.
// - Guest code: a funcref in a shared table runs another artifact's code
//   under the calling instance's call, so the stop signal and trap reports
//   look at the code of every artifact the Store runs.
// - Calls nest (a host function may call any function of the Store): an
//   exit or trap in a nested call stays pending until the outermost call
//   ends with it, as in the interpreter (fast/fast_store.h).
// - Fuel: each instance of a fuel build has its own budget global; a refuel
//   drains the others' into the caller's, so the Store's count stays exact
//   (the interpreter's rule, so both tiers count alike).
// - Instances that import a table may have put their functions into it:
//   they are kept (pinned) until the Store ends, as the interpreter keeps
//   every function in a table callable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/nested_call_end.h"
#include "wasmlet/outcome.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail::aot {

struct MemoryRecord {
  void* memory;      // the artifact's wasm_rt_memory_t
  uint8_t* base;
  uint64_t mapped;   // bytes of address space owned (reservation or allocation)
  bool guarded;
};

// Names the guest function of a trap in one artifact: by the C name the
// trap site reported, else by the address.
using TrapNamer = std::function<std::string(const char* c_name, const void* pc)>;

class AotStore {
 public:
  explicit AotStore(Store& store) : store_(store) {}
  ~AotStore();
  AotStore(const AotStore&) = delete;
  AotStore& operator=(const AotStore&) = delete;

  Store& store() const { return store_; }

  std::vector<MemoryRecord>& memories() { return memories_; }
  uint64_t memory_bytes() const;
  // What counts against the Store's memory limit: its memories, its tables
  // as created (table_limits.h) and what guest code grew them by.
  uint64_t limited_bytes() const;

  // table.grow of `table` by `entries` (negative: given back): false, with
  // nothing charged, if it would take the Store past its memory limit.
  bool charge_table_growth(const void* table, int64_t entries);
  // The table is freed: what its growth was charged is given back.
  void free_table(const void* table);

  // Registers an artifact's guest code (once per artifact; `keep` holds it loaded).
  void add_code(const void* artifact, const char* begin, const char* end, std::shared_ptr<const void> keep,
                TrapNamer namer);
  // Whether `pc` is in any registered artifact's guest code. Async-signal-safe.
  bool in_guest_text(const void* pc) const;
  // The guest function containing `pc` (by C name if given), "" if unknown.
  std::string function_at(const char* c_name, const void* pc) const;

  // Nested calls and what ends them.
  int depth() const { return depth_; }
  void enter() { ++depth_; }
  void leave() { --depth_; }
  bool pending() const { return end_.pending(); }
  void keep_first_exit(int code) { end_.keep_first_exit(code); }
  void keep_first_trap(TrapInfo trap) { end_.keep_first_trap(std::move(trap)); }
  void keep_host_failure(const std::string& function) { end_.keep_host_failure(function); }
  // The Outcome of a failed call: the pending exit or trap. The outermost
  // call (depth 1) consumes it.
  Outcome take_failure(const std::string& function) { return end_.take(depth_, function); }

  // Fuel builds: `budget` is the instance's budget global.
  void add_meter(const void* instance, int64_t* budget) { meters_[instance] = budget; }
  void remove_meter(const void* instance);
  // The metering import, called by `caller` with its (overdrawn) budget.
  int64_t refuel(const void* caller, int64_t budget);
  // Makes Store::fuel_consumed() exact at the end of a call.
  void settle();
  bool metered() const { return !meters_.empty() || pool_ != 0; }

  void pin(std::shared_ptr<void> instance) { pinned_.push_back(std::move(instance)); }
  // Ends the pinned instances (the Store is ending).
  void release_pinned();

 private:
  struct Code {
    const void* artifact;
    const char* begin;
    const char* end;
    std::shared_ptr<const void> keep;
    TrapNamer namer;
    const Code* next;
  };

  Store& store_;
  std::vector<MemoryRecord> memories_;
  std::map<const void*, uint64_t> grown_table_entries_;
  uint64_t grown_table_bytes_ = 0;
  // Prepended only, freed with the Store: the signal handler walks it.
  std::atomic<const Code*> code_{nullptr};
  int depth_ = 0;
  NestedCallEnd end_;
  std::map<const void*, int64_t*> meters_;
  int64_t pool_ = 0;  // unused budget of ended instances
  std::vector<std::shared_ptr<void>> pinned_;
};

// The AotStore of a Store (made on first use). The Store's tier state holds
// it through an owner that ends the pinned instances when the Store ends
// (they hold the AotStore too).
std::shared_ptr<AotStore> aot_store_of(Store& store);

}  // namespace wasmlet::detail::aot
