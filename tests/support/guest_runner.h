// Test helper: runs a WASI program in-process through the public API and
// captures what it printed, how it ended and what the Store accounted.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"
#include "wasmlet/wasi.h"

namespace wasmlet::testing {

inline std::filesystem::path wasm_path(const std::string& name) { return std::filesystem::path(WASM_DIR) / (name + ".wasm"); }

struct GuestRun {
  Outcome outcome;
  std::string out;       // guest stdout
  std::string err;       // guest stderr
  std::string combined;  // both, in the order written
  uint64_t fuel_consumed = 0;
  bool memory_limit_hit = false;
};

// Runs `_start` of tests/fixtures/NAME with the given WASI config (args[0]
// defaults to NAME) and limits.
inline GuestRun run_guest(const std::string& name, WasiConfig config = {}, StoreLimits limits = {},
                          EngineConfig engine_config = {}) {
  Engine engine(engine_config);
  Module module = Module::from_file(engine, wasm_path(name));
  Store store(engine, limits);
  Linker linker;
  add_wasi_preview1(linker);
  GuestRun run;
  std::mutex mu;
  if (config.args.empty()) config.args.push_back(name);
  config.output = [&](OutputStream stream, std::span<const uint8_t> bytes) {
    std::lock_guard lock(mu);
    std::string text(bytes.begin(), bytes.end());
    (stream == OutputStream::Stdout ? run.out : run.err) += text;
    run.combined += text;
  };
  attach_wasi(store, std::move(config));
  Instance instance = Instance::create(store, module, linker);
  run.outcome = instance.start_outcome().trapped() ? instance.start_outcome() : instance.call("_start");
  run.fuel_consumed = store.fuel_consumed();
  run.memory_limit_hit = store.memory_limit_hit();
  return run;
}

}  // namespace wasmlet::testing
