#include "engine/tier_select.h"

#include <cstdio>

#include <fmt/format.h>

#include "engine/aot/aot_tier.h"
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

namespace {

// Only the interpreter links tables, memories and globals between instances
// (one wabt store per Store); the AOT tier links host functions only.
const ImportInfo* first_non_function_import(const ModuleImpl& module) {
  for (const auto& import : module.imports)
    if (import.kind != ExternKind::Func) return &import;
  return nullptr;
}

void note(const EngineConfig& config, const std::string& message) {
  if (config.on_note) return config.on_note(message);
  std::fprintf(stderr, "wasmlet: note: %s\n", message.c_str());
}

}  // namespace

std::shared_ptr<const TierModule> compile_for_tier(const Engine& engine, const ModuleImpl& module) {
  if (engine.config().tier != Tier::Interpreter)
    if (const ImportInfo* import = first_non_function_import(module)) {
      note(engine.config(), fmt::format("{}: running in the interpreter: it imports {} {}.{}, and only the interpreter "
                                        "links memories, tables and globals between instances",
                                        module.name, to_string(import->kind), import->module, import->name));
      return compile_interp(module);
    }
  switch (engine.config().tier) {
    case Tier::Interpreter: return compile_interp(module);
    case Tier::Aot: return aot::compile_aot(engine, module, aot::Policy::Always);
    case Tier::Auto: return aot::compile_aot(engine, module, aot::Policy::Auto);
  }
  return compile_interp(module);
}

}  // namespace wasmlet::detail
