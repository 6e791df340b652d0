// Shared set-up for engine tests: compile a fixture, link a host function.
#pragma once

#include <filesystem>

#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::testing {

inline std::filesystem::path fixture(const std::string& name) { return std::filesystem::path(WASM_DIR) / (name + ".wasm"); }

// A linker with host.add_one: (i32) -> i32, for compute.wat.
inline Linker compute_linker() {
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller&, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(args[0].as_i32() + 1);
                });
  return linker;
}

}  // namespace wasmlet::testing
