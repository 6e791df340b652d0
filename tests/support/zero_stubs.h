// Stubs returning zeros for a module's function imports that nothing in the
// linker provides, so that any module can be instantiated and run: the
// module fuzz harness and the tier-parity corpus use them.
#pragma once

#include <span>

#include "wasmlet/linker.h"
#include "wasmlet/module.h"

namespace wasmlet::testing {

inline void define_zero_stubs(Linker& linker, const Module& module) {
  for (const ImportInfo& import : module.imports()) {
    if (import.kind != ExternKind::Func || linker.find(import.module, import.name)) continue;
    linker.define(import.module, import.name, import.type, [](Caller&, std::span<const Value>, std::span<Value> results) {
      for (Value& r : results) r = Value::zero(r.type());
    });
  }
}

}  // namespace wasmlet::testing
