// What one AOT compile may use (EngineConfig::aot_limits, docs/aot.md
// "Compile limits"): a module whose C would be too large, or whose C compiler
// runs out of memory or time, runs in the interpreter instead.
#pragma once

#include <cstdint>

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

// A compile stopped by one of its limits (not by a fault of the module).
class CompileLimitHit : public CompileError {
 public:
  using CompileError::CompileError;
};

}  // namespace wasmlet::detail::aot
