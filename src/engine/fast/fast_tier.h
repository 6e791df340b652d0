// The fast interpreter tier's entry points (src/engine/fast/, docs/engine-interpreter.md).
#pragma once

#include <cstddef>
#include <memory>

#include "engine/tier.h"

namespace wasmlet::detail {

// Compiles a module for the fast interpreter: nothing is translated until a
// function is first called.
std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module);

// How many of a fast-interpreter module's functions have been translated
// (0 for a module of another tier). For tests.
size_t fast_interp_translated_functions(const TierModule& module);

}  // namespace wasmlet::detail
