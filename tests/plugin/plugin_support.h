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

// A module of nothing but a `wasmlet.plugin` custom section holding `json_text`.
inline std::vector<uint8_t> module_with_metadata(const std::string& json_text) {
  auto leb = [](std::vector<uint8_t>& out, size_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(v ? b | 0x80 : b);
    } while (v);
  };
  const std::string section_name = "wasmlet.plugin";
  std::vector<uint8_t> payload;
  leb(payload, section_name.size());
  payload.insert(payload.end(), section_name.begin(), section_name.end());
  payload.insert(payload.end(), json_text.begin(), json_text.end());
  std::vector<uint8_t> wasm = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00};
  leb(wasm, payload.size());
  wasm.insert(wasm.end(), payload.begin(), payload.end());
  return wasm;
}

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
