// The Engine holds configuration shared by every module and instance:
// which execution tier to use and where compiled code is cached. It is cheap
// to create and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace wasmlet {

enum class Tier {
  Interpreter,  // instant start, no compiler needed
  Aot,          // wasm -> C -> native shared object (cached); the fast tier
  Auto,         // AOT when cached or cheap to compile, else interpreter now and AOT in the background
};

const char* to_string(Tier tier);
// "interp"/"interpreter", "aot", "auto"; nullopt for anything else.
std::optional<Tier> parse_tier(const std::string& name);

struct EngineConfig {
  Tier tier = Tier::Interpreter;
  // Where AOT artifacts are cached. Empty: $WASMLET_CACHE_DIR, else
  // $XDG_CACHE_HOME/wasmlet, else ~/.cache/wasmlet.
  std::filesystem::path cache_dir;
  // The C compiler for the AOT tier. Empty: $CC, else "cc".
  std::string compiler;
  // Tier::Auto compiles before running when the (metered) module is at most
  // this many bytes; larger modules start in the interpreter while the
  // artifact is built in the background for the next run (docs/aot.md).
  uint64_t auto_compile_max_bytes = 512 * 1024;
  // The C compiler's optimisation level for AOT artifacts (-O0..-O3; part
  // of the cache key). 2 makes the fastest code; 0 compiles several times
  // faster, for code that runs briefly (`wasmlet wast` uses it, docs/aot.md).
  int aot_opt_level = 2;
  // Receives one-line notes ("running in the interpreter because ...").
  // Unset: printed to stderr as "wasmlet: note: ...".
  std::function<void(const std::string&)> on_note;
  // Receives progress of long AOT compiles ("compiling X (n KiB of C)...");
  // unset: printed to stderr when stderr is a terminal.
  std::function<void(const std::string&)> on_progress;
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {}) : config_(std::move(config)) {}
  const EngineConfig& config() const { return config_; }

 private:
  EngineConfig config_;
};

}  // namespace wasmlet
