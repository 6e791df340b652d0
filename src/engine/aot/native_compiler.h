// Runs the system C compiler on the generated sources (posix_spawn, no shell).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::detail::aot {

struct CompilerResult {
  bool ok = false;
  bool limit_hit = false;  // it failed because it hit one of its CompilerLimits
  std::string message;     // the compiler's stderr (trimmed) or why it could not run
};

// What one compile may use (resolved from EngineConfig::aot_limits).
struct CompilerLimits {
  uint64_t memory_bytes;  // RLIMIT_AS of the compiler and the processes it starts
  uint64_t cpu_seconds;   // RLIMIT_CPU of each of them
  uint64_t wall_seconds;  // the whole run: then its process group is killed
};

// The compiler to use: `configured` if set, else $CC, else "cc".
std::string compiler_command(const std::string& configured);

// The file `program` runs: itself when it has a slash, else the first
// executable of that name on PATH.
std::optional<std::filesystem::path> resolve_program(const std::string& program);

// True if `compiler` can be found (an absolute path that exists, or a name on PATH).
bool compiler_available(const std::string& compiler);

// A C file to compile, with flags of its own (e.g. a lower -O).
struct CompileUnit {
  std::filesystem::path source;
  std::vector<std::string> flags;
};

// Compiles `units` into the shared object `output` with the AOT flags plus
// `defines` and `extra_flags`, within `limits` (memory and CPU time per
// compiler process, wall time for all). Up to two units without flags of
// their own are one compiler run; otherwise each unit is compiled to an
// object, `parallel` at a time, and the objects are linked.
CompilerResult compile_shared_object(const std::string& compiler, const std::vector<CompileUnit>& units,
                                     const std::filesystem::path& output, const std::vector<std::string>& defines,
                                     const CompilerLimits& limits, const std::vector<std::string>& extra_flags = {},
                                     size_t parallel = 1);

// Who `compiler` is, for the cache key: the file it resolves to (through
// PATH and symlinks, so a switch of cc to another compiler shows) with its
// size and mtime (so does an upgrade, which rewrites the file). No process
// is run: warm starts stay in the milliseconds. "unavailable: ..." when it
// cannot be found.
std::string compiler_identity(const std::string& compiler);

// The flags (besides defines) used for every artifact; part of the cache key.
const std::vector<std::string>& aot_cflags();

// The flags added for the fuel-counting build; part of its cache key.
const std::vector<std::string>& aot_fuel_cflags();

}  // namespace wasmlet::detail::aot
