// Shared helpers for the plugin tests.
#pragma once

#include <filesystem>
#include <string>

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

}  // namespace wasmlet::testing
