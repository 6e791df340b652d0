#include "engine/interp/interp_store.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/interp/interp_values.h"
#include "engine/metering.h"
#include "engine/tier.h"
#include "engine/trap_messages.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

// One level of guest execution: the deadline is armed by the outermost one,
// limits are re-applied on the way in and the Store's accounting on the way out.
class InterpStore::CallDepth {
 public:
  explicit CallDepth(InterpStore& s) : s_(s), deadline_(s.store_) {
    ++s_.depth_;
    s_.cap_memories();
  }
  ~CallDepth() {
    --s_.depth_;
    if (settle_) s_.settle();
    s_.note_memory();
  }
  // A start function that failed leaves no instance whose budget could be
  // read: the count refuel() made stays.
  void keep_fuel_count() { settle_ = false; }

 private:
  InterpStore& s_;
  bool settle_ = true;
  DeadlineScope deadline_;
};

InterpStore::InterpStore(Store& store) : store_(store), space_(interp::Space::create()) {}

std::vector<std::optional<uint64_t>> InterpStore::start_caps(const Module& module, const interp::DecodedModule& decoded) {
  auto limit = store_.limits().max_memory_bytes;
  auto initial = decoded.memory_initial_pages();
  std::vector<std::optional<uint64_t>> caps(initial.size());
  if (!limit) return caps;
  uint64_t limit_pages = *limit / kPageSize, used_pages = 0, initial_total = 0;
  for (const auto& [memory, owner] : memories_) used_pages += space_->memory_bytes(memory) / kPageSize;
  for (auto pages : initial) initial_total += pages;
  if (used_pages + initial_total > limit_pages)
    throw LinkError(
        initial_memory_over_limit_message(module.name(), initial_total * kPageSize, used_pages * kPageSize, *limit));
  for (size_t i = 0; i < initial.size(); ++i) caps[i] = limit_pages - used_pages - (initial_total - initial[i]);
  return caps;
}

interp::Space::Instantiated InterpStore::instantiate(const Module& module, const interp::DecodedModule& decoded,
                                                     std::vector<interp::ImportBinding> imports, Outcome& start) {
  auto caps = start_caps(module, decoded);
  interp::Space::Instantiated made;
  {
    CallDepth call(*this);
    made = space_->instantiate(decoded, std::move(imports), module.impl().function_names, caps);
    if (!made.start.ok) {
      start = failure(made.start);
      call.keep_fuel_count();
    } else {
      Meter meter{0, std::nullopt};
      bool metered = false;
      for (const auto& e : made.exports) {
        if (e.name == kBudgetExport) meter.budget = e.ref, metered = true;
        if (e.name == kGrowRefusedExport) meter.grow_refused = e.ref;
      }
      if (metered) meters_[made.id] = meter;
      for (auto memory : made.defined_memories) memories_[memory] = made.id;
    }
  }
  return made;
}

void InterpStore::release(uint64_t id) {
  if (auto it = meters_.find(id); it != meters_.end()) {
    pool_ += static_cast<int64_t>(space_->global_value(it->second.budget));
    meters_.erase(it);
  }
  std::erase_if(memories_, [id](const auto& m) { return m.second == id; });
  space_->release(id);
}

Outcome InterpStore::call(interp::ItemRef function, std::span<const Value> args) {
  std::vector<interp::RawValue> raw;
  raw.reserve(args.size());
  for (const auto& a : args) raw.push_back(to_raw(a));
  CallDepth call(*this);
  interp::CallResult result = space_->call(function, raw);
  if (!result.ok) return failure(result);
  Outcome outcome;
  for (const auto& r : result.results) outcome.results.push_back(to_value(r));
  return outcome;
}

Outcome InterpStore::failure(const interp::CallResult& result) {
  // Inside a host function's nested call a trap is also pending: whatever
  // the host function does with this Outcome, the outermost call ends with it.
  if (!pending()) {
    const TrapKind kind = trap_kind_from_message(result.trap_message);
    end_.keep_first_trap(TrapInfo{kind, tier_neutral_message(kind, result.trap_message), result.trap_function});
  }
  return end_.take(depth_, result.trap_function);
}

GuestMemory InterpStore::memory(interp::ItemRef memory) {
  return GuestMemory(space_->memory_data(memory), space_->memory_bytes(memory));
}

interp::HostCallback InterpStore::host_function(std::string name, HostFunction function,
                                                std::shared_ptr<MemorySource> memory) {
  // Captures `this`: host functions live in the Space, which this object owns.
  return [this, name = std::move(name), function = std::move(function), memory = std::move(memory)](
             const std::vector<interp::RawValue>& in, std::vector<interp::RawValue>& out, std::string& trap_message) {
    std::vector<Value> args, results;
    args.reserve(in.size());
    for (const auto& r : in) args.push_back(to_value(r));
    for (const auto& r : out) results.push_back(to_value(r));
    Caller caller(store_, *memory, name);
    try {
      function(caller, args, results);
    } catch (...) {
      end_.keep_host_failure(name);
    }
    cap_memories();  // nested calls may have grown memories
    if (pending()) {
      trap_message = end_.message();
      return false;
    }
    for (size_t i = 0; i < results.size(); ++i) out[i] = to_raw(results[i]);
    return true;
  };
}

interp::HostCallback InterpStore::refuel_function(std::shared_ptr<const uint64_t> instance_id) {
  return [this, instance_id](const std::vector<interp::RawValue>& in, std::vector<interp::RawValue>& out,
                             std::string& trap_message) {
    try {
      out[0] = to_raw(Value::i64(refuel(*instance_id, to_value(in[0]).as_i64())));
      cap_memories();
      return true;
    } catch (const MeterTrap& e) {
      end_.keep_first_trap(TrapInfo{e.kind, e.message, {}});
    }
    trap_message = end_.message();
    return false;
  };
}

// `budget` is the calling instance's (overdrawn) budget. The other instances' unused
// budgets are drained into it; only if the sum is used up is a new slice
// taken from the Store (metering.cpp), which also checks fuel, deadline and
// interrupt.
int64_t InterpStore::refuel(uint64_t caller, int64_t budget) {
  int64_t combined = budget + pool_;
  pool_ = 0;
  for (const auto& [id, meter] : meters_) {
    // The caller's own global holds `budget`: the guest overwrites it with
    // the value returned. (During its start function it is not registered yet.)
    if (id == caller) continue;
    combined += static_cast<int64_t>(space_->global_value(meter.budget));
    space_->set_global_value(meter.budget, 0);
  }
  return detail::refuel_pooled(store_, combined);
}

void InterpStore::settle() {
  int64_t left = pool_;
  for (const auto& [id, meter] : meters_) left += static_cast<int64_t>(space_->global_value(meter.budget));
  settle_fuel(store_, left);
}

void InterpStore::cap_memories() {
  auto limit = store_.limits().max_memory_bytes;
  if (!limit || memories_.empty()) return;
  const uint64_t limit_pages = *limit / kPageSize;
  uint64_t used_pages = 0;
  for (const auto& [memory, owner] : memories_) used_pages += space_->memory_bytes(memory) / kPageSize;
  const uint64_t headroom = limit_pages > used_pages ? limit_pages - used_pages : 0;
  for (const auto& [memory, owner] : memories_)
    space_->cap_memory(memory, space_->memory_bytes(memory) / kPageSize + headroom);
}

void InterpStore::note_memory() {
  uint64_t total = 0;
  for (const auto& [memory, owner] : memories_) total += space_->memory_bytes(memory);
  store_.set_memory_bytes(total);
  if (!store_.limits().max_memory_bytes) return;
  for (const auto& [id, meter] : meters_)
    if (meter.grow_refused && space_->global_value(*meter.grow_refused) != 0) store_.note_memory_limit_hit();
}

}  // namespace wasmlet::detail
