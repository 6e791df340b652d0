// What one AOT compile may use (EngineConfig::aot_limits, docs/aot.md
// "Compile limits"): a module whose C would be too large, or whose C compiler
// runs out of memory or time, runs in the interpreter instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/aot/native_compiler.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"

namespace wasmlet::detail::aot {

struct CompileLimits {
  uint64_t max_c_bytes;
  CompilerLimits compiler;
};

// The configured limits; 0 fields come from the environment, else the defaults.
CompileLimits resolve_compile_limits(const AotCompileLimits& configured);

// wasm2c writes some 10 bytes of C per byte of code: why a module of
// `wasm_bytes` would clearly make more C than max_c_bytes allows, or nullopt.
// Such a module is refused before anything is translated, and no background
// job is started for it.
std::optional<std::string> clearly_too_much_c(const std::string& name, size_t wasm_bytes, const CompileLimits& limits);

// A compile stopped by one of its limits (not by a fault of the module).
class CompileLimitHit : public CompileError {
 public:
  using CompileError::CompileError;
};

}  // namespace wasmlet::detail::aot
