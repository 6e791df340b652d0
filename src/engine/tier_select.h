// Chooses and runs the compiler of the tier the Engine is configured for.
#pragma once

#include <memory>

#include "engine/tier.h"

namespace wasmlet::detail {

std::shared_ptr<const TierModule> compile_for_tier(const Engine& engine, const ModuleImpl& module);

}  // namespace wasmlet::detail
