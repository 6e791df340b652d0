#include "engine/tier_select.h"

#include "engine/aot/aot_tier.h"
#include "engine/fast/fast_tier.h"
#include "wasmlet/engine.h"

namespace wasmlet {

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::Interpreter: return "interp";
    case Tier::Aot: return "aot";
    case Tier::Auto: return "auto";
  }
  return "?";
}

std::optional<Tier> parse_tier(const std::string& name) {
  if (name == "interp" || name == "interpreter") return Tier::Interpreter;
  if (name == "aot") return Tier::Aot;
  if (name == "auto") return Tier::Auto;
  return std::nullopt;
}

}  // namespace wasmlet

namespace wasmlet::detail {

std::shared_ptr<const TierModule> compile_interp(const ModuleImpl& module) { return compile_fast_interp(module); }

std::shared_ptr<const TierModule> compile_for_tier(const Engine& engine, const ModuleImpl& module) {
  switch (engine.config().tier) {
    case Tier::Interpreter: return compile_interp(module);
    case Tier::Aot: return aot::compile_aot(engine, module, aot::Policy::Always);
    case Tier::Auto: return aot::compile_aot(engine, module, aot::Policy::Auto);
  }
  return compile_interp(module);
}

}  // namespace wasmlet::detail
