// Chooses and runs the compiler of the tier the Engine is configured for.
#pragma once

#include <memory>

#include "engine/tier.h"

namespace wasmlet::detail {

std::shared_ptr<const TierModule> compile_for_tier(const Engine& engine, const ModuleImpl& module);

// Whether the engine's tier runs the module's original bytes (the fast
// interpreter): then Module::compile needs neither wabt's IR nor the
// metering rewrite, and ModuleImpl::metered and function_names stay empty.
bool tier_runs_original_bytes(const Engine& engine);

}  // namespace wasmlet::detail
