// The fast interpreter tier's entry points (src/engine/fast/, docs/engine-interpreter.md).
#pragma once

#include <cstddef>
#include <memory>

#include "engine/tier.h"

namespace wasmlet::detail::hot {
class HotLibrary;
}

namespace wasmlet::detail {

// Compiles a module for the fast interpreter: nothing is translated until a
// function is first called.
std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module);

// How many of a fast-interpreter module's functions have been translated
// (0 for a module of another tier). For tests.
size_t fast_interp_translated_functions(const TierModule& module);

// Native code for some of a fast-interpreter module's functions (hot/):
// each one's first call from now on runs it. False for another tier's module.
bool fast_interp_use_native(const TierModule& module, std::shared_ptr<const hot::HotLibrary> library);

}  // namespace wasmlet::detail
