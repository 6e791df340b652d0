// The fast interpreter tier's entry points (src/engine/fast/, docs/engine-interpreter.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "engine/tier.h"
#include "wasmlet/module.h"

namespace wasmlet::detail::hot {
class HotLibrary;
struct HotPlan;
}

namespace wasmlet::detail {

// Compiles a module for the fast interpreter: nothing is translated until a
// function is first called. With a plan (hot/hot_cache.h), the module uses
// the hot code earlier runs left in the cache and, when it goes away, adds
// the functions its runs called to the module's profile for the next.
std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module);
std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module, const hot::HotPlan& plan);

// How many of a fast-interpreter module's functions run as native hot code
// (0 for a module of another tier, or one without hot code).
size_t fast_interp_hot_functions(const TierModule& module);

// How many of a fast-interpreter module's functions have been translated
// (0 for a module of another tier). For tests.
size_t fast_interp_translated_functions(const TierModule& module);

// The defined functions (indices) a fast-interpreter module has run so far,
// as a run's profile records them (empty for a module of another tier).
std::vector<uint32_t> fast_interp_used_functions(const TierModule& module);

// Native code for some of a fast-interpreter module's functions (hot/):
// each one's first call from now on runs it. False for another tier's module.
bool fast_interp_use_native(const TierModule& module, std::shared_ptr<const hot::HotLibrary> library);

// Builds native hot code for `functions` of an interpreter-tier `module`
// (every function when empty) in `directory` and gives it to the module: as
// fast_interp_use_native, for `wasmlet wast --hot-code-dir` and tests, which
// run every function natively. The library says what it compiled and left
// out. Throws std::runtime_error for a module of another tier.
std::shared_ptr<const hot::HotLibrary> use_hot_code(const Module& module, std::vector<uint32_t> functions,
                                                    const std::filesystem::path& directory);

}  // namespace wasmlet::detail
