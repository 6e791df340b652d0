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
  Auto,         // AOT when cached, else the interpreter now and AOT compiled in the background for the next run
};

const char* to_string(Tier tier);
// "interp"/"interpreter", "aot", "auto"; nullopt for anything else.
std::optional<Tier> parse_tier(const std::string& name);

// Bounds on one AOT compile (docs/aot.md, "Compile limits"). A module whose
// compile would exceed one runs in the interpreter instead, with a note.
// 0 means: the environment variable named, else the default.
struct AotCompileLimits {
  uint64_t max_c_bytes = 0;            // generated C; WASMLET_AOT_MAX_C_BYTES, default 64 MiB
  uint64_t compiler_memory_bytes = 0;  // address space of each compiler process; WASMLET_AOT_COMPILER_MEMORY, default 2 GiB
  uint64_t compiler_cpu_seconds = 0;   // CPU time of each compiler process; WASMLET_AOT_COMPILER_CPU_SECONDS, default 300
  uint64_t compiler_wall_seconds = 0;  // wall time of the whole compile; WASMLET_AOT_COMPILER_WALL_SECONDS, default 600
};

struct EngineConfig {
  Tier tier = Tier::Interpreter;
  // Where AOT artifacts are cached. Empty: $WASMLET_CACHE_DIR, else
  // $XDG_CACHE_HOME/wasmlet, else ~/.cache/wasmlet.
  std::filesystem::path cache_dir;
  // The C compiler for the AOT tier. Empty: $CC, else "cc".
  std::string compiler;
  // Tier::Auto compiles before running when the module is at most this many
  // bytes (0: never); other modules start in the interpreter at once while
  // a background compile builds the artifact for the next run (docs/aot.md).
  uint64_t auto_compile_max_bytes = 0;
  // The wasmlet binary that Tier::Auto starts, detached, to compile a module
  // in the background. Empty: $WASMLET_COMPILE_HELPER, else this program if
  // it is wasmlet, else `wasmlet` on PATH; if there is none, a thread of this
  // process compiles, and stops when the process exits.
  std::filesystem::path compile_helper;
  // The C compiler's optimisation level for AOT artifacts (-O0..-O3; part
  // of the cache key). 2 makes the fastest code; 0 compiles several times
  // faster, for code that runs briefly (`wasmlet wast` uses it, docs/aot.md).
  int aot_opt_level = 2;
  AotCompileLimits aot_limits;
  // Accept modules with several memories (the multi-memory proposal, which the
  // interpreter runs). `wasmlet wast` turns it off for the core spec files,
  // whose encoding tests want a zero byte where it reads a memory index.
  bool multi_memory = true;
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
