// The interpreter tier's per-Store state: one interp::Space holding every
// instance of the Store, and the Store's limits applied to them together.
//
// - Calls nest (a host function may call any function of the Store). An
//   exit or trap in a nested call is remembered as pending; when the host
//   function returns, its caller traps too, and the outermost call reports
//   that exit or trap.
// - Fuel: each metered instance has its own budget global. At every refuel
//   the unused budget of the other instances is drained into the caller's,
//   so at most one slice is outstanding across the Store and the Store's
//   fuel count stays exact.
// - Memory: every memory defined by an instance of the Store counts against
//   max_memory_bytes. wabt checks growth against a memory's maximum, so each
//   memory's maximum is lowered to its size plus what is left under the
//   limit, recomputed whenever wasmlet regains control (calls, host calls,
//   refuels).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/nested_call_end.h"
#include "engine/interp/wabt_interp.h"
#include "wasmlet/guest_memory.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/outcome.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail {

class InterpStore {
 public:
  explicit InterpStore(Store& store);
  InterpStore(const InterpStore&) = delete;
  InterpStore& operator=(const InterpStore&) = delete;

  Store& store() const { return store_; }
  interp::Space& space() { return *space_; }

  // Instantiates (the start function runs as a call of the Store) and
  // registers the instance's memories and metering globals. If the start
  // function fails, `start` says how.
  interp::Space::Instantiated instantiate(const Module& module, const interp::DecodedModule& decoded,
                                          std::vector<interp::ImportBinding> imports, Outcome& start);
  // The instance is gone: its unused fuel stays with the Store.
  void release(uint64_t id);

  // Calls a function of the Store; arguments already type-checked.
  Outcome call(interp::ItemRef function, std::span<const Value> args);
  // The Outcome of a failed call or start (consumes what is pending at the outermost level).
  Outcome failure(const interp::CallResult& result);
  GuestMemory memory(interp::ItemRef memory);

  // Import bindings for a linked host function and for the metering import.
  interp::HostCallback host_function(std::string name, HostFunction function, std::shared_ptr<MemorySource> memory);
  // `instance_id` is set once the instance exists (0 during its start function).
  interp::HostCallback refuel_function(std::shared_ptr<const uint64_t> instance_id);

 private:
  struct Meter {
    interp::ItemRef budget;
    std::optional<interp::ItemRef> grow_refused;
  };
  class CallDepth;

  bool pending() const { return end_.pending(); }
  int64_t refuel(uint64_t caller, int64_t budget);
  void settle();
  void cap_memories();
  void note_memory();
  std::vector<std::optional<uint64_t>> start_caps(const Module& module, const interp::DecodedModule& decoded);

  Store& store_;
  std::shared_ptr<interp::Space> space_;
  int depth_ = 0;
  NestedCallEnd end_;
  std::map<uint64_t, Meter> meters_;  // by instance id
  std::map<interp::ItemRef, uint64_t> memories_;  // defined memory -> owning instance id
  int64_t pool_ = 0;  // unused budget of released instances
};

}  // namespace wasmlet::detail
