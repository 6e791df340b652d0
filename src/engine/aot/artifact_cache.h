// The on-disk cache of AOT artifacts: <cache_dir>/aot/<key>.so, where key =
// sha256(sha256(original module), engine version, artifact ABI, compiler, flags,
// options). Writes are atomic (build in a private temp dir, append a
// trailer, rename). Concurrent builds of one key, in threads or processes,
// wait on a flock and do the work once. Every entry carries a trailer (magic,
// payload size, sha256 of the payload) that is checked before it is loaded; a
// corrupt or stale entry is removed and rebuilt.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "engine/aot/c_split.h"
#include "engine/aot/compile_limits.h"

namespace wasmlet::detail::aot {

struct ArtifactOptions {
  std::string compiler;  // command, e.g. "cc"
  bool guard_pages = true;
  bool fuel_checks = false;  // the fuel-counting build (c_codegen.h, Checks::Fuel)
  int opt_level = 2;         // EngineConfig::aot_opt_level
  CompileLimits limits = resolve_compile_limits({});  // not part of the key: whether, not what, is built
  SplitOptions split = split_options();  // how large modules are split into translation units
};

// The SHA-256 of a module's original bytes (as given to Module::compile), in hex.
std::string module_digest(std::span<const uint8_t> wasm);
// The cache key of one build of the module whose digest is `module_digest`.
// The original bytes, not the metered ones: a cached module starts without
// the metering rewrite (the rewrite's code is part of the glue hash).
std::string artifact_key(std::string_view module_digest, const ArtifactOptions& options);

class ArtifactCache {
 public:
  explicit ArtifactCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path entry_path(const std::string& key) const;
  // Background compiles (background_compile.h): held while a job for `key`
  // runs; why the last one failed; the jobs' inputs, logs and slot locks.
  std::filesystem::path job_lock_path(const std::string& key) const;
  std::filesystem::path failure_path(const std::string& key) const;
  std::filesystem::path jobs_dir() const;

  // The entry for `key` if present and intact (a damaged one is deleted).
  std::optional<std::filesystem::path> lookup(const std::string& key) const;

  // The entry for `key`, building it with `build(output_path)` under the
  // key's lock if needed. `build` throws on failure (nothing is cached).
  std::filesystem::path get_or_build(const std::string& key,
                                     const std::function<void(const std::filesystem::path& out)>& build) const;

 private:
  std::filesystem::path dir_;
};

// Number of artifacts built by this process (tests check "work done once").
uint64_t builds_done();

// The default cache directory: $WASMLET_CACHE_DIR, else $XDG_CACHE_HOME/wasmlet,
// else ~/.cache/wasmlet.
std::filesystem::path default_cache_dir();

}  // namespace wasmlet::detail::aot
