#include "engine/tier_select.h"

#include "wasmlet/engine.h"

namespace wasmlet::detail {

std::shared_ptr<const TierModule> compile_for_tier(const Engine& engine, const ModuleImpl& module) {
  switch (engine.config().tier) {
    case Tier::Interpreter: return compile_interp(module);
  }
  return compile_interp(module);
}

}  // namespace wasmlet::detail
