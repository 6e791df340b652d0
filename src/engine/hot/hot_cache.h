// Hot code across runs (docs/hot.md, "Across runs"). When Tier::Auto runs a
// module in the interpreter for good (the AOT tier cannot or will not
// compile it), the functions each run calls are added to the module's
// profile in the cache, and a detached `wasmlet compile --hot-job KEY`
// compiles the profile to native hot code; the next run's interpreter uses
// it. In <cache_dir>/hot/: <key>.so (replaced whole by each job) and
// <digest>.profile (defined function indices, one per line; by the
// module's SHA-256 alone, so it outlives a new wasmlet or compiler). Jobs share the
// AOT jobs' locks, slots, logs and failure records (background_compile.h)
// under the name "hot-<key>".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasmlet/engine.h"

namespace wasmlet::detail::hot {

class HotLibrary;

// What a module's interpreter needs to use and extend its hot code.
struct HotPlan {
  std::filesystem::path cache_dir;
  std::string key;
  std::string digest;                                 // the module's SHA-256 (its profile's name)
  std::string name;                                   // the module's, for messages
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // the module's original bytes (a job's input)
  std::filesystem::path helper;                       // the wasmlet that runs jobs
  std::string compiler;                               // the C++ compiler
};

// The C++ compiler hot code is built with: $CXX, else c++.
std::string hot_compiler();

// The plan for a module that `engine` runs in the interpreter from now on,
// or nullopt when hot code cannot be made here (no wasmlet binary to run
// jobs, no C++ compiler, background compiles off). `digest`: the SHA-256
// of `bytes` (ModuleImpl::digest).
std::optional<HotPlan> hot_plan(const Engine& engine, const std::string& name,
                                std::shared_ptr<const std::vector<uint8_t>> bytes, std::string digest);

// The module's hot code from earlier runs, or null.
std::shared_ptr<const HotLibrary> load_hot_code(const HotPlan& plan, size_t defined_functions);

// After a run: adds the functions it called (defined indices) to the
// profile and, if `library` lacks some of them, starts a job for the next
// run. Never throws (it runs when the module goes away).
void record_run(const HotPlan& plan, std::span<const uint32_t> used, const HotLibrary* library) noexcept;

// `wasmlet compile --hot-job KEY`: builds KEY's hot code from its profile and
// `input` (the module, which it removes). 0 if built, or another job builds
// it; 1 if it cannot be built (the reason is printed and recorded).
int run_hot_job(const std::filesystem::path& cache_dir, const std::string& key, const std::filesystem::path& input,
                const std::string& name, const std::string& compiler);

}  // namespace wasmlet::detail::hot
