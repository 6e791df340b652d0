// The fast interpreter's per-Store state: every runtime object of the
// Store's instances, the value and call stacks the interpreter runs on, the
// fuel budget, and the Store's limits applied to all instances together.
//
// - Calls nest (a host function may call any function of the Store). An
//   exit or trap in a nested call is remembered as pending (NestedCallEnd);
//   the host function's caller traps too and the outermost call reports it.
// - Fuel: one budget for the Store, charged at the check points the
//   translator placed (the cost model of metering.h); below zero it asks
//   refuel(), which also checks the interrupt flag and the deadline.
// - Memory: memories and tables that instances define count against
//   max_memory_bytes together (tables at kTableEntryBytes per entry); a
//   growth past it fails (memory.grow and table.grow return -1).
// - Stacks: a fixed value stack and call depth; running out is a trap.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/fast/code.h"
#include "engine/fast/runtime.h"
#include "engine/nested_call_end.h"
#include "wasmlet/outcome.h"
#include "wasmlet/value.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail::fast {

// A call's record on the interpreter's frame stack: where the caller goes
// on, and the function called (the running function is the top frame's).
// A call within an instance pushes one frame; a call into another instance
// pushes two: one holding where the caller goes on and its instance (`inst`,
// set only there), then one whose `ip` is the return_to_instance code, where
// the callee returns to, which pops the first and restores that instance.
struct Frame {
  const Word* ip;   // the caller's, after the call
  uint64_t* fp;     // the caller's
  Instance* inst;   // the caller's instance, in the frame below a return_to_instance
  Func* callee;     // the function running above this frame
};

// Limits of the interpreter's own stacks.
inline constexpr size_t kValueStackSlots = size_t{8} << 20;  // 64 MiB of 8-byte slots, reserved, committed on use
inline constexpr uint32_t kMaxCallDepth = 100'000;
inline constexpr int kMaxHostNesting = 100;  // host function -> guest -> host ... (each uses the host's stack)

class FastStore {
 public:
  explicit FastStore(Store& store);
  ~FastStore();
  FastStore(const FastStore&) = delete;
  FastStore& operator=(const FastStore&) = delete;

  Store& store() const { return store_; }

  // --- objects (owned until the Store goes away) ---
  Func* new_func(const decode::FuncType& type);
  Table* new_table();
  LinearMemory* new_memory(uint64_t initial_pages, std::optional<uint64_t> declared_max);
  Global* new_global();
  Instance* new_instance();
  uint32_t type_id(const decode::FuncType& type);
  // Keeps a module's code (and the types its functions point to) as long as the Store.
  void keep_alive(std::shared_ptr<const ModuleCode> code) {
    for (const auto& known : modules_)
      if (known == code) return;
    modules_.push_back(std::move(code));
  }
  // A defined memory or table now counts against the memory limit (until release()).
  void account(Instance* owner, LinearMemory* memory);
  void account(Instance* owner, Table* table);
  void release(Instance* instance);
  // The memory limit's room for an instance's initial memories; throws LinkError if they do not fit.
  void check_initial_memory(const std::string& module, uint64_t initial_bytes) const;

  // --- calls ---
  // Calls a function of the Store with arguments already type-checked.
  Outcome call(Func* function, std::span<const Value> args);
  // Runs a start function (a call of the Store); false if it failed (`outcome` says how).
  bool run_start(Func* function, Outcome& outcome);

  // Public handles of references.
  Value to_value(decode::ValType type, const uint64_t* slot) const;
  void from_value(const Value& value, uint64_t* slot) const;

  // --- used by the interpreter ---
  bool call_host(Func* function, uint64_t* slots);  // arguments in, results out; false: trap pending
  void trap(TrapKind kind, std::string message, const std::string& function);
  // -1 if refused; otherwise the old size.
  int64_t grow_memory(LinearMemory* memory, uint64_t delta_pages);
  int64_t grow_table(Table* table, uint64_t delta, uint64_t init);
  void note_memory();
  // The guest function whose host call failed (the trap's site, if the failure names none).
  void note_trap_site(const std::string& function) {
    if (trap_site_.empty()) trap_site_ = function;
  }

  // Both stacks start shallow: limited to what the reservation pool keeps
  // resident, so a Store whose guest stayed there gives them back without
  // trimming them. The first call past that makes them deep (deepen()) for
  // the rest of the Store's life, up to the real limits.
  uint64_t* stack_base = nullptr;
  uint64_t* stack_end = nullptr;  // the current limit: shallow, or stack_base + kValueStackSlots
  uint64_t* stack_top = nullptr;  // where a nested call's frame starts
  Frame* frames = nullptr;
  Frame* frames_end = nullptr;  // the current limit: shallow, or frames + kMaxCallDepth
  uint32_t depth = 0;           // frames in use outside a running activation of the interpreter
  // Raises both limits to the real ones; false if they already were.
  bool deepen();
  // Whether a frame ending at `end` fits (deepening the stacks if it must).
  bool stack_fits(const uint64_t* end) { return end <= stack_end || (deepen() && end <= stack_end); }
  // Whether a call may push `frame` (deepening the stacks if it must).
  bool frame_fits(const Frame* frame) { return frame < frames_end || (deepen() && frame < frames_end); }
  int host_nesting = 0;
  int64_t budget = 0;

 private:
  uint64_t accounted_bytes() const;
  Outcome finish(bool ok, Func* function, uint64_t* fp);

  Store& store_;
  NestedCallEnd end_;
  int api_depth_ = 0;
  std::string trap_site_;
  std::deque<Func> funcs_;
  std::deque<Table> tables_;
  std::deque<std::unique_ptr<LinearMemory>> memories_;
  std::deque<Global> globals_;
  std::deque<Instance> instances_;
  std::vector<std::shared_ptr<const ModuleCode>> modules_;
  std::vector<const decode::FuncType*> types_;  // by canonical id
  std::map<LinearMemory*, Instance*> accounted_memories_;
  std::map<Table*, Instance*> accounted_tables_;
};

// Runs `function` (a guest function) with its arguments in `fp`[0..];
// results end up there. False: it trapped (the trap is pending in the store).
bool execute(FastStore& store, Func* function, uint64_t* fp);

}  // namespace wasmlet::detail::fast
