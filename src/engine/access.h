// What the engine reaches behind the public classes: the implementation a
// Module or an Extern holds, and the Store members only the tiers use (fuel
// and memory accounting, the call deadline, per-tier state).
// detail::Access is a friend of Module, Extern and Store; only src/ (and
// white-box tests) include this header, so embedders see none of it.
#pragma once

#include <cstdint>
#include <memory>
#include <typeinfo>

#include "wasmlet/extern.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

struct Access {
  static const ModuleImpl& impl(const Module& module) { return *module.impl_; }
  static const ExternImpl& impl(const Extern& item) { return *item.impl_; }
  // Fuel handed to the guest so far, in slices (src/engine/metering.cpp).
  static uint64_t& fuel_granted(Store& store) { return store.fuel_granted_; }
  static void set_fuel_consumed(Store& store, uint64_t v) { store.set_fuel_consumed(v); }
  static void set_memory_bytes(Store& store, uint64_t v) { store.set_memory_bytes(v); }
  static void note_memory_limit_hit(Store& store) { store.note_memory_limit_hit(); }
  static void arm_deadline(Store& store) { store.arm_deadline(); }
  static void clear_deadline(Store& store) { store.clear_deadline(); }
  // Per-Store state of a tier (the interpreter keeps all of a Store's
  // instances in one object store), made by `make` on first use.
  template <typename T, typename Make>
  static std::shared_ptr<T> tier_state(Store& store, Make&& make) {
    auto& slot = store.tier_state_[typeid(T)];
    if (!slot) slot = make();
    return std::static_pointer_cast<T>(slot);
  }
};

}  // namespace wasmlet::detail
