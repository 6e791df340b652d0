#include "engine/hot/hot_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/aot/artifact_cache.h"
#include "engine/aot/background_compile.h"
#include "engine/aot/compile_limits.h"
#include "engine/aot/native_compiler.h"
#include "engine/aot/trusted_dir.h"
#include "engine/hot/hot_abi.h"
#include "engine/hot/hot_library.h"
#include "engine/tier.h"
#include "hot_source_hash.h"
#include "util/file_bytes.h"
#include "util/file_lock.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"
#include "wasmlet/sha256.h"
#include "wasmlet/version.h"

namespace wasmlet::detail::hot {

namespace {

namespace fs = std::filesystem;

fs::path hot_dir(const fs::path& cache_dir) { return cache_dir / "hot"; }
fs::path library_path(const fs::path& cache_dir, const std::string& key) { return hot_dir(cache_dir) / (key + ".so"); }
fs::path profile_path(const fs::path& cache_dir, const std::string& digest) {
  return hot_dir(cache_dir) / (digest + ".profile");
}
// The name of a hot job among the AOT jobs (locks, logs, failure records).
std::string job_name(const std::string& key) { return "hot-" + key; }

std::string hot_key(std::string_view module_digest, const std::string& compiler) {
  Sha256 sha;
  sha.update(module_digest);
  sha.update(fmt::format("\nhot\nwasmlet-{}\nabi={}\nsource={}\ncxx={}\ncxx-identity={}\n", WASMLET_VERSION,
                         wasmlet_hot::kHotAbi, WASMLET_HOT_SOURCE_SHA256, compiler, aot::compiler_identity(compiler)));
  return sha.hex();
}

std::set<uint32_t> read_profile(const fs::path& path) {
  std::set<uint32_t> out;
  std::ifstream in(path);
  uint64_t index = 0;
  while (in >> index)
    if (index <= UINT32_MAX) out.insert(uint32_t(index));
  return out;
}

// Adds `used` to the profile; true if that added anything.
bool add_to_profile(const HotPlan& plan, std::span<const uint32_t> used) {
  const fs::path path = profile_path(plan.cache_dir, plan.digest);
  const auto lock = util::FileLock::acquire(path.string() + ".lock");
  std::set<uint32_t> profile = read_profile(path);
  const size_t before = profile.size();
  profile.insert(used.begin(), used.end());
  if (profile.size() == before) return false;
  std::string text;
  for (uint32_t index : profile) text += fmt::format("{}\n", index);
  aot::write_atomically(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return true;
}

void start_job(const HotPlan& plan) {
  const aot::ArtifactCache cache(plan.cache_dir);
  const std::string name = job_name(plan.key);
  const aot::CompileLimits limits = aot::resolve_compile_limits({});
  if (aot::background_job_limit() == 0 || aot::recorded_failure(cache, name, limits)) return;
  if (util::FileLock::held_by_other(cache.job_lock_path(name))) return;  // it reads the profile when it starts
  fs::create_directories(cache.jobs_dir());
  // Each job its own copy: a job removes its input when it ends.
  static std::atomic<unsigned> jobs_started{0};
  const fs::path input =
      fs::absolute(cache.jobs_dir() / fmt::format("{}.{}.{}.wasm", name, ::getpid(), jobs_started++));
  const fs::path log = fs::absolute(cache.jobs_dir() / (name + ".log"));
  aot::write_atomically(input, *plan.bytes);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw Error(fmt::format("hot code: cannot create {}: {}", log.string(), std::strerror(errno)));
  try {
    aot::spawn_detached(plan.helper,
                        {plan.helper.string(), "compile", "--hot-job", plan.key, "--cache-dir",
                         fs::absolute(plan.cache_dir).string(), "--cc", plan.compiler, "--name", plan.name,
                         input.string()},
                        aot::job_environment(limits), log_fd);
  } catch (...) {
    ::close(log_fd);
    throw;
  }
  ::close(log_fd);
}

}  // namespace

std::string hot_compiler() {
  if (const char* cxx = std::getenv("CXX"); cxx && *cxx) return cxx;
  return "c++";
}

std::optional<HotPlan> hot_plan(const Engine& engine, const std::string& name,
                                std::shared_ptr<const std::vector<uint8_t>> bytes, std::string digest) {
  const auto helper = aot::compile_helper(engine.config());
  const std::string compiler = hot_compiler();
  if (!helper || aot::background_job_limit() == 0 || !aot::compiler_available(compiler)) return std::nullopt;
  const fs::path cache_dir =
      engine.config().cache_dir.empty() ? aot::default_cache_dir() : fs::path(engine.config().cache_dir);
  std::string key = hot_key(digest, compiler);
  return HotPlan{cache_dir, std::move(key), std::move(digest), name, std::move(bytes), *helper, compiler};
}

std::shared_ptr<const HotLibrary> load_hot_code(const HotPlan& plan, size_t defined_functions) {
  const fs::path path = library_path(plan.cache_dir, plan.key);
  std::error_code ec;
  if (!fs::exists(path, ec)) return nullptr;
  // Not loaded from a directory another user could write (aot/trusted_dir.h).
  if (!aot::untrusted_cache_reason(plan.cache_dir, "hot").empty() || !aot::untrusted_reason(path).empty()) return nullptr;
  try {
    return HotLibrary::load(path, defined_functions);
  } catch (const Error&) {
    fs::remove(path, ec);  // damaged or stale: the next job builds it again
    return nullptr;
  }
}

void record_run(const HotPlan& plan, std::span<const uint32_t> used, const HotLibrary* library) noexcept {
  try {
    std::vector<uint32_t> missing;
    for (uint32_t index : used)
      if (!library || !library->covers(index)) missing.push_back(index);
    if (missing.empty()) return;
    std::error_code created;
    aot::create_private_dirs(hot_dir(plan.cache_dir), created);
    // Hot code would never be loaded from there: no job for it.
    if (created || !aot::untrusted_cache_reason(plan.cache_dir, "hot").empty()) return;
    // A job when the profile grew, or when the library on disk is older than
    // it (a job that never ran; or this process loaded the library before
    // a job replaced it, and dlopen gives it the one already loaded).
    const bool grew = add_to_profile(plan, used);
    std::error_code ec;
    const fs::path library = library_path(plan.cache_dir, plan.key);
    const bool stale = !fs::exists(library, ec) ||
                       fs::last_write_time(library, ec) < fs::last_write_time(profile_path(plan.cache_dir, plan.digest), ec);
    if (grew || stale) start_job(plan);
  } catch (...) {
    // The next run tries again.
  }
}

int run_hot_job(const fs::path& cache_dir, const std::string& key, const fs::path& input, const std::string& name,
                const std::string& compiler) {
  const aot::ArtifactCache cache(cache_dir);
  const auto locks = aot::begin_job(cache, job_name(key));
  if (!locks) {
    std::fprintf(stderr, "wasmlet: another job compiles hot code %s\n", key.c_str());
    return 0;
  }
  // Built beside its final place, then renamed there: a run never sees half a library.
  const fs::path build = hot_dir(cache_dir) / fmt::format("build-{}-{}", key, ::getpid());
  struct RemoveWhenDone {
    std::vector<fs::path> paths;
    ~RemoveWhenDone() {
      std::error_code ignored;
      for (const auto& path : paths) fs::remove_all(path, ignored);
    }
  } remove_when_done{{input, build}};
  const aot::CompileLimits limits = aot::resolve_compile_limits({});
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  if (!util::read_file_bytes(input, *bytes)) {  // not the module's fault: not recorded
    std::fprintf(stderr, "wasmlet: cannot read %s: %s\n", input.c_str(), std::strerror(errno));
    return 1;
  }
  std::string failure;
  try {
    const std::string digest = aot::module_digest(*bytes);
    if (hot_key(digest, compiler) != key)
      throw Error(fmt::format("the wasmlet that compiles in the background is not the build of the program that "
                              "started it (the hot code's key differs): set WASMLET_COMPILE_HELPER to the wasmlet "
                              "binary of the same build"));
    EngineConfig config;
    config.tier = Tier::Interpreter;
    Engine engine(config);
    const Module module = Module::compile(engine, *bytes, name);
    const auto& impl = Access::impl(module);
    const std::set<uint32_t> profile = read_profile(profile_path(cache_dir, digest));
    std::vector<uint32_t> wanted;
    for (uint32_t index : profile)
      if (index < impl.decoded->bodies.size()) wanted.push_back(index);
    std::fprintf(stderr, "wasmlet: building hot code %s (%s): %zu functions\n", key.c_str(), name.c_str(),
                 wanted.size());
    BuildOptions options;
    options.compiler = compiler;
    options.memory_bytes = limits.compiler.memory_bytes;
    options.cpu_seconds = limits.compiler.cpu_seconds;
    auto library = HotLibrary::build(*impl.decoded, *impl.bytes, wanted, build, options);
    std::fprintf(stderr, "wasmlet: %zu functions compiled, %zu left out\n", library->compiled_count(),
                 library->left_out().size());
    ::chmod((build / "hot.so").c_str(), 0700);  // whatever the umask made of it: only its owner writes it
    fs::rename(build / "hot.so", library_path(cache_dir, key));
    return 0;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::fprintf(stderr, "wasmlet: %s\n", failure.c_str());
  try {
    aot::record_failure(cache, job_name(key), limits, failure);
  } catch (const std::exception&) {
  }
  return 1;
}

}  // namespace wasmlet::detail::hot
