// Running components in a chosen tier: an Engine with the component tests'
// own AOT cache, and checks that the AOT tier really ran native code.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engine/aot/aot_tier.h"
#include "engine/tier.h"
#include "wasmlet/component/component.h"
#include "wasmlet/engine.h"

namespace component_test {

// An engine of `tier` with this test program's AOT cache; the notes it
// prints go to `notes`.
inline wasmlet::Engine tier_engine(wasmlet::Tier tier, std::vector<std::string>* notes = nullptr,
                                   std::string compiler = {}) {
  wasmlet::EngineConfig config;
  config.tier = tier;
  config.cache_dir = std::filesystem::path(COMPONENT_DIR).parent_path() / "aot-test-cache";
  config.compiler = std::move(compiler);
  config.on_note = [notes](const std::string& n) {
    if (notes) notes->push_back(n);
  };
  return wasmlet::Engine(config);
}

inline bool have_cc() { return std::system("command -v \"${CC:-cc}\" >/dev/null 2>&1") == 0; }

// Whether every core module of `c` runs as native code.
inline bool all_native(const wasmlet::component::CompiledComponent& c) {
  using namespace wasmlet::component;
  size_t n = 0;
  std::function<bool(const Component&)> walk = [&](const Component& comp) {
    for (auto& d : comp.definitions) {
      if (auto* m = std::get_if<CoreModuleDef>(&d)) {
        ++n;
        if (!wasmlet::detail::aot::runs_native(c.core_module(*m))) return false;
      } else if (auto* sub = std::get_if<std::shared_ptr<Component>>(&d)) {
        if (!walk(**sub)) return false;
      }
    }
    return true;
  };
  return walk(c.definition()) && n > 0;
}

inline std::string tier_name(const ::testing::TestParamInfo<wasmlet::Tier>& info) {
  return info.param == wasmlet::Tier::Aot ? "aot" : "interp";
}

}  // namespace component_test
