// Tier::Auto's compile for the next run (docs/aot.md, "Background compiles").
// A module that is not in the cache runs in the interpreter at once, and a
// detached `wasmlet compile --job KEY` process (its own session, niced,
// stdio to /dev/null and a log in the cache) builds its artifact, outliving
// the program that asked: the next run starts as native code. At most one job
// runs per artifact key (the key's .job lock) and at most
// background_job_limit() per cache directory (slot locks). A job that fails
// leaves <key>.failed, so later runs do not retry a compile that cannot
// succeed until the limits change or the file is removed.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/aot/artifact_cache.h"
#include "util/file_lock.h"
#include "wasmlet/engine.h"

namespace wasmlet::detail::aot {

// The wasmlet binary that runs background compiles: EngineConfig::compile_helper,
// else $WASMLET_COMPILE_HELPER, else this program when it is wasmlet or
// wasmlet-full, else `wasmlet` on PATH; nullopt when there is none
// (Tier::Auto then compiles on a thread of this process).
std::optional<std::filesystem::path> compile_helper(const EngineConfig& config);

// How many background compiles may run at once per cache directory:
// $WASMLET_AOT_BACKGROUND_JOBS, default 2; 0 turns them off.
unsigned background_job_limit();

struct JobStart {
  enum class State {
    Started,       // a job was started
    Running,       // a job for this key is already running
    FailedBefore,  // an earlier job failed (detail: why, and the file to remove to retry)
    Off,           // background_job_limit() is 0
  } state;
  std::string detail;
};

// Starts `helper compile --job KEY` on `wasm` (the module's original bytes)
// as a detached process, unless one runs or failed before.
JobStart start_detached_compile(const std::filesystem::path& helper, const ArtifactCache& cache, const std::string& key,
                                const std::string& name, std::span<const uint8_t> wasm, const ArtifactOptions& options);

// Why the last job for `key` failed under the same limits, or nullopt.
std::optional<std::string> recorded_failure(const ArtifactCache& cache, const std::string& key,
                                            const CompileLimits& limits);
void record_failure(const ArtifactCache& cache, const std::string& key, const CompileLimits& limits,
                    const std::string& message);

// What a job holds while it runs: the key's job lock, then one of the cache
// directory's background_job_limit() slots (waiting for one if all are busy).
struct JobLocks {
  util::FileLock key;
  util::FileLock slot;
};
// nullopt if another job for `key` holds its lock.
std::optional<JobLocks> begin_job(const ArtifactCache& cache, const std::string& key);

// A job's environment: this one with `limits` set, so the job applies what
// EngineConfig::aot_limits says even if the environment does not.
std::vector<std::string> job_environment(const CompileLimits& limits);
// Writes `bytes` to a temporary file beside `path` and renames it there.
void write_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes);
// Runs `args` (args[0] is `helper`) detached: fork, setsid, fork again, so
// the job is nobody's child and in no terminal's session and survives this
// process and the terminal's signals; niced, stdin and stdout /dev/null,
// stderr `log_fd`.
void spawn_detached(const std::filesystem::path& helper, std::vector<std::string> args, std::vector<std::string> env,
                    int log_fd);

}  // namespace wasmlet::detail::aot

namespace wasmlet::detail::aot {

// `wasmlet compile --job KEY`: builds KEY's artifact from `input` (the file
// start_detached_compile wrote; removed afterwards) for the cache, compiler
// and optimisation level of `config`. Returns 0 if the artifact is built or
// already there, or another job builds it; 1 if it cannot be built (the
// reason is printed and recorded for later runs).
int run_compile_job(EngineConfig config, const std::filesystem::path& input, const std::string& key,
                    const std::string& name);

}  // namespace wasmlet::detail::aot
