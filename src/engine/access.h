// What the engine reaches behind the public classes: the implementation a
// Module or an Extern holds and the fuel a Store has handed out.
// detail::Access is a friend of Module, Extern and Store; only src/ (and
// white-box tests) include this header, so embedders see none of it.
#pragma once

#include <cstdint>

#include "wasmlet/extern.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

struct Access {
  static const ModuleImpl& impl(const Module& module) { return *module.impl_; }
  static const ExternImpl& impl(const Extern& item) { return *item.impl_; }
  // Fuel handed to the guest so far, in slices (src/engine/metering.cpp).
  static uint64_t& fuel_granted(Store& store) { return store.fuel_granted_; }
};

}  // namespace wasmlet::detail
