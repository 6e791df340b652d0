// The AOT tier: the metered module is translated to C (c_codegen), compiled
// by the system C compiler into a shared object (native_compiler), cached
// (artifact_cache), loaded with dlopen and run on wasmlet's own wasm-rt
// runtime (wasm_rt_runtime). See docs/aot.md.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/aot/artifact_cache.h"
#include "engine/tier.h"

namespace wasmlet::detail::aot {

enum class Policy {
  Always,  // Tier::Aot: compile now; fall back to the interpreter only if the module or machine cannot
  Auto,    // Tier::Auto: cached -> AOT; small -> compile now; large -> interpreter now, compile in the background
};

std::shared_ptr<const TierModule> compile_aot(const Engine& engine, const ModuleImpl& module, Policy policy);

// For tests and `wasmlet compile`: whether a compiled module runs AOT code.
bool runs_native(const Module& module);
// For `wasmlet compile --fuel`: compiles the fuel-counting build now
// instead of on first use; false if the module does not run native code or
// that build cannot be compiled.
bool prepare_fuel_build(const Module& module);
// The options of the artifacts an Engine with `config` builds (without the fuel checks).
ArtifactOptions artifact_options(const EngineConfig& config);
// The cache directory an Engine uses.
std::filesystem::path cache_dir(const Engine& engine);

}  // namespace wasmlet::detail::aot
