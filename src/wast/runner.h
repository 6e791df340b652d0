// Runs spec scripts through wasmlet's public engine API: every module goes
// through Module::compile as bytes, instances live in one Store per script,
// `register` and `spectest` are satisfied with a Linker.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "wasmlet/engine.h"
#include "wast/result.h"
#include "wast/script.h"

namespace wasmlet::wast {

struct RunOptions {
  Tier tier = Tier::Interpreter;
  // Wall time allowed for each call (invoke, start function); a call that
  // runs longer fails its command.
  std::chrono::nanoseconds call_timeout = std::chrono::seconds(60);
  // AOT tier: where artifacts are cached (empty: the engine's default) and
  // the C optimisation level (EngineConfig::aot_opt_level).
  std::filesystem::path cache_dir;
  int aot_opt_level = 2;
  // Interpreter tier: also compile every function of each module to native
  // hot code (docs/hot.md) in this directory first, so the script checks
  // the hot-code emitter; functions it leaves out stay interpreted.
  std::filesystem::path hot_code_dir;
};

// Runs a parsed script, reporting every command to `sink`. Under Tier::Aot,
// a module the AOT tier cannot compile runs in the interpreter (the
// documented fallback, docs/aot.md) and is reported as a Fallback event.
// assert_invalid and assert_malformed modules are only compiled for the
// interpreter: validation does not depend on the tier.
void run_script(const ParsedScript& script, const RunOptions& options, const EventSink& sink);

// Reads, parses and runs one file in this process.
void run_file(const std::filesystem::path& file, const RunOptions& options, const EventSink& sink);
FileResult run_file(const std::filesystem::path& file, const RunOptions& options);

// Runs one file in a child process, so that a crash of the host (an abort in
// a tier) is reported as FileResult::crash with the counts so far instead of
// ending the caller.
FileResult run_file_isolated(const std::filesystem::path& file, const RunOptions& options);

}  // namespace wasmlet::wast
