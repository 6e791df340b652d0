#include "engine/aot/background_compile.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "engine/aot/aot_tier.h"
#include "engine/aot/compile_limits.h"
#include "engine/aot/native_compiler.h"
#include "engine/tier.h"
#include "wasmlet/module.h"
#include "wasmlet/error.h"
#include "util/file_bytes.h"

extern char** environ;

namespace wasmlet::detail::aot {

namespace {

namespace fs = std::filesystem;

bool executable(const fs::path& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// The limits a failure was recorded under: raising one makes later runs try again.
std::string limits_line(const CompileLimits& limits) {
  return fmt::format("limits: c={} memory={} cpu={} wall={}", limits.max_c_bytes, limits.compiler.memory_bytes,
                     limits.compiler.cpu_seconds, limits.compiler.wall_seconds);
}

}  // namespace

std::vector<std::string> job_environment(const CompileLimits& limits) {
  const std::pair<const char*, uint64_t> set[] = {
      {"WASMLET_AOT_MAX_C_BYTES", limits.max_c_bytes},
      {"WASMLET_AOT_COMPILER_MEMORY", limits.compiler.memory_bytes},
      {"WASMLET_AOT_COMPILER_CPU_SECONDS", limits.compiler.cpu_seconds},
      {"WASMLET_AOT_COMPILER_WALL_SECONDS", limits.compiler.wall_seconds},
  };
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : set) replaced |= entry.starts_with(std::string(name) + "=");
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [name, value] : set) env.push_back(fmt::format("{}={}", name, value));
  return env;
}

void write_atomically(const fs::path& path, std::span<const uint8_t> bytes) {
  const fs::path temp = path.string() + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(temp, ec);
      throw Error(fmt::format("AOT cache: cannot write {}: {}", temp.string(), std::strerror(errno)));
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) throw Error(fmt::format("AOT cache: cannot store {}: {}", path.string(), ec.message()));
}

// Only async-signal-safe calls between fork and execve (the host may have threads).
void spawn_detached(const fs::path& helper, std::vector<std::string> args, std::vector<std::string> env, int log_fd) {
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (dev_null < 0) throw Error(fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    const pid_t job = ::fork();
    if (job != 0) ::_exit(job < 0 ? 1 : 0);
    ::setpriority(PRIO_PROCESS, 0, 10);  // niced: the program that asked, and others, come first
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int s : {SIGCHLD, SIGPIPE, SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &defaults, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(dev_null, 0);
    ::dup2(dev_null, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);  // the host's sockets and files stay the host's
    if (::chdir("/") != 0) ::_exit(126);
    ::execve(helper.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(dev_null);
  if (pid < 0) throw Error(fmt::format("cannot start a background compile: fork: {}", std::strerror(fork_error)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
}

std::optional<fs::path> compile_helper(const EngineConfig& config) {
  if (!config.compile_helper.empty()) {
    if (executable(config.compile_helper)) return fs::absolute(config.compile_helper);
    return std::nullopt;
  }
  if (const char* helper = std::getenv("WASMLET_COMPILE_HELPER"); helper && *helper)
    return executable(helper) ? std::optional<fs::path>(fs::absolute(helper)) : std::nullopt;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && (self.filename() == "wasmlet" || self.filename() == "wasmlet-full") && executable(self)) return self;
  if (auto installed = resolve_program("wasmlet")) return fs::absolute(*installed);  // on PATH
  return std::nullopt;
}

unsigned background_job_limit() {
  if (const char* text = std::getenv("WASMLET_AOT_BACKGROUND_JOBS"); text && *text) {
    char* end = nullptr;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (*end == '\0') return static_cast<unsigned>(std::min<unsigned long>(value, 64));
  }
  return 2;
}

std::optional<std::string> recorded_failure(const ArtifactCache& cache, const std::string& key,
                                            const CompileLimits& limits) {
  const fs::path path = cache.failure_path(key);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string first;
  std::getline(in, first);
  if (first != limits_line(limits)) {  // other limits now: worth another try
    std::error_code ec;
    fs::remove(path, ec);
    return std::nullopt;
  }
  std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

void record_failure(const ArtifactCache& cache, const std::string& key, const CompileLimits& limits,
                    const std::string& message) {
  const std::string text = limits_line(limits) + "\n" + message + "\n";
  write_atomically(cache.failure_path(key), std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<JobLocks> begin_job(const ArtifactCache& cache, const std::string& key) {
  std::error_code ec;
  fs::create_directories(cache.jobs_dir(), ec);
  auto key_lock = util::FileLock::try_acquire(cache.job_lock_path(key));
  if (!key_lock) return std::nullopt;
  // A free slot if there is one, else wait for the one the key picks.
  const unsigned slots = std::max(1u, background_job_limit());
  auto slot_path = [&](size_t i) { return cache.jobs_dir() / fmt::format("slot-{}.lock", i); };
  for (unsigned i = 0; i < slots; ++i)
    if (auto slot = util::FileLock::try_acquire(slot_path(i))) return JobLocks{std::move(*key_lock), std::move(*slot)};
  return JobLocks{std::move(*key_lock), util::FileLock::acquire(slot_path(std::hash<std::string>{}(key) % slots))};
}

JobStart start_detached_compile(const fs::path& helper, const ArtifactCache& cache, const std::string& key,
                                const std::string& name, std::span<const uint8_t> wasm, const ArtifactOptions& options) {
  if (background_job_limit() == 0) return {JobStart::State::Off, "WASMLET_AOT_BACKGROUND_JOBS=0"};
  if (auto failure = recorded_failure(cache, key, options.limits))
    return {JobStart::State::FailedBefore, fmt::format("{} (remove {} to try again)", *failure,
                                                       cache.failure_path(key).string())};
  std::error_code ec;
  fs::create_directories(cache.jobs_dir(), ec);
  if (ec) throw Error(fmt::format("AOT cache: cannot create {}: {}", cache.jobs_dir().string(), ec.message()));
  // A job that would fail at once is not started (nor its copy of the
  // module written: a 30 MB module's job slowed the run that started it).
  if (auto too_much = clearly_too_much_c(name, wasm.size(), options.limits)) {
    record_failure(cache, key, options.limits, *too_much);
    return {JobStart::State::FailedBefore,
            fmt::format("{} (remove {} to try again)", *too_much, cache.failure_path(key).string())};
  }
  if (util::FileLock::held_by_other(cache.job_lock_path(key))) return {JobStart::State::Running, {}};
  const fs::path dir = fs::absolute(cache.dir());
  const fs::path input = fs::absolute(cache.jobs_dir() / (key + ".wasm"));
  const fs::path log = fs::absolute(cache.jobs_dir() / (key + ".log"));
  write_atomically(input, wasm);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw Error(fmt::format("AOT cache: cannot create {}: {}", log.string(), std::strerror(errno)));
  try {
    spawn_detached(helper,
                   {helper.string(), "compile", "--job", key, "--cache-dir", dir.string(), "--cc", options.compiler,
                    "--opt-level", std::to_string(options.opt_level), "--name", name, input.string()},
                   job_environment(options.limits), log_fd);
  } catch (...) {
    ::close(log_fd);
    throw;
  }
  ::close(log_fd);
  return {JobStart::State::Started, log.string()};
}

}  // namespace wasmlet::detail::aot

namespace wasmlet::detail::aot {

int run_compile_job(EngineConfig config, const std::filesystem::path& input, const std::string& key,
                    const std::string& name) {
  config.tier = Tier::Aot;
  if (config.cache_dir.empty()) config.cache_dir = default_cache_dir();
  const ArtifactCache cache(config.cache_dir);
  const auto locks = begin_job(cache, key);
  if (!locks) {
    std::fprintf(stderr, "wasmlet: another job compiles %s\n", key.c_str());
    return 0;
  }
  std::error_code ec;
  struct RemoveInput {
    const std::filesystem::path& path;
    ~RemoveInput() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } remove_input{input};
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(input, bytes)) {
    std::fprintf(stderr, "wasmlet: cannot read %s: %s\n", input.c_str(), std::strerror(errno));
    return 1;
  }
  if (cache.lookup(key)) return 0;  // built while this job waited for its slot
  const ArtifactOptions options = artifact_options(config);
  std::string failure;
  if (artifact_key(module_digest(bytes), options) != key) {
    failure = fmt::format("the wasmlet that compiles in the background ({}) is not the build of the program that "
                          "started it (its cache key differs): set WASMLET_COMPILE_HELPER or "
                          "EngineConfig::compile_helper to the wasmlet binary of the same build",
                          compile_helper(config).value_or("?").string());
  } else {
    std::fprintf(stderr, "wasmlet: building %s (%s)\n", key.c_str(), name.c_str());
    std::string notes;
    config.on_note = [&](const std::string& note) { notes += (notes.empty() ? "" : "; ") + note; };
    config.on_progress = [](const std::string& progress) { std::fprintf(stderr, "wasmlet: %s\n", progress.c_str()); };
    try {
      Engine engine(config);
      const Module module = Module::compile(engine, bytes, name);
      if (!runs_native(module)) failure = notes.empty() ? "not compiled to native code" : notes;
    } catch (const Error& e) {
      failure = e.what();
    }
  }
  if (failure.empty()) return 0;
  std::fprintf(stderr, "wasmlet: %s\n", failure.c_str());
  record_failure(cache, key, options.limits, failure);
  return 1;
}

}  // namespace wasmlet::detail::aot
