// Shared helpers for the plugin tests.
#pragma once

#include <gtest/gtest.h>
#include <errno.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "wasmlet/plugin.h"

namespace wasmlet::testing {

inline std::filesystem::path plugin_wasm(const std::string& name) {
  return std::filesystem::path(WASM_DIR) / (name + ".wasm");
}

// Options whose log lines are collected instead of printed.
struct CollectedLog {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  PluginLogSink sink() const {
    auto l = lines;
    auto m = mu;
    return [l, m](const std::string& plugin, LogLevel level, std::string_view msg) {
      std::lock_guard lock(*m);
      l->push_back(plugin + " " + to_string(level) + " " + std::string(msg));
    };
  }
};

// Runs `f` and returns the PluginError it throws (fails the test if none).
template <typename F>
PluginError expect_plugin_error(F&& f) {
  try {
    f();
  } catch (const PluginError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a PluginError";
  return PluginError(PluginError::Kind::NotFound, "", "", "none thrown");
}

// An engine configuration per tier for tests that run in both
// (Suite.Test/interp, Suite.Test/aot). AOT artifacts go to
// <build>/aot-test-cache/<program>, shared by the program's tests (also
// across processes: ctest runs each test in its own), so each plugin is
// compiled once.
inline EngineConfig engine_config_for(Tier tier) {
  static const std::filesystem::path cache = [] {
    auto d = std::filesystem::path(WASM_DIR).parent_path() / "aot-test-cache" / program_invocation_short_name;
    std::filesystem::create_directories(d);
    return d;
  }();
  EngineConfig config;
  config.tier = tier;
  config.cache_dir = cache;
  return config;
}

inline std::string tier_name(const ::testing::TestParamInfo<Tier>& info) {
  return info.param == Tier::Aot ? "aot" : "interp";
}

}  // namespace wasmlet::testing
