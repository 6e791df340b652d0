#include "engine/aot/native_compiler.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <fmt/format.h>

extern char** environ;

namespace wasmlet::detail::aot {

const std::vector<std::string>& aot_cflags() {
  // -fno-strict-aliasing: wasm2c's loads/stores go through memcpy but be safe;
  // -fno-optimize-sibling-calls: wasm has no implicit tail calls; unbounded
  // recursion must exhaust the stack (and trap), not become a loop;
  // -fvisibility=hidden: only wasmlet_aot_entry is exported, so artifacts
  // never bind each other's wasm-rt symbols.
  static const std::vector<std::string> flags = {"-O2", "-fPIC", "-shared", "-fvisibility=hidden",
                                                  "-fno-optimize-sibling-calls", "-fno-strict-aliasing", "-DNDEBUG", "-w",
                                                  "-Wl,--no-undefined", "-Wl,-z,now"};
  return flags;
}

const std::vector<std::string>& aot_fuel_cflags() {
  // gcc decides what to inline from each function's estimated size, and a
  // fuel check (load, subtract, store, test, branch, the refuel call and its
  // store) counts as much as a small function body. With -O2's limit of 15
  // a recursive function such as fib is no longer inlined into itself in the
  // fuel build, and runs 2.3x the instructions of the build without checks
  // instead of 1.4x (docs/performance.md). Clang accepts and ignores it.
  static const std::vector<std::string> flags = {"--param=max-inline-insns-auto=40"};
  return flags;
}

std::string compiler_command(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* cc = std::getenv("CC"); cc && *cc) return cc;
  return "cc";
}

namespace {

// The file `compiler` runs: itself when it has a slash, else the first executable on PATH.
std::optional<std::filesystem::path> resolve_compiler(const std::string& compiler) {
  if (compiler.find('/') != std::string::npos)
    return access(compiler.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(compiler) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (true) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (!dir.empty() && access((dir + "/" + compiler).c_str(), X_OK) == 0) return std::filesystem::path(dir) / compiler;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

// Whether the compiler's output says it ran out of memory or CPU time (gcc
// and clang word it differently; a compiler killed by a signal is reported by
// its driver).
bool reports_exhaustion(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  // A compiler short of address space may also crash (cc1 then "received a
  // signal") or fail to load its libraries.
  for (const char* sign : {"out of memory", "memory exhausted", "cannot allocate memory", "std::bad_alloc",
                           "failed to map segment", "cpu time limit exceeded", "signal terminated program"})
    if (text.find(sign) != std::string::npos) return true;
  return false;
}

}  // namespace

bool compiler_available(const std::string& compiler) { return resolve_compiler(compiler).has_value(); }

std::string compiler_identity(const std::string& compiler) {
  auto file = resolve_compiler(compiler);
  if (!file) return "unavailable: " + compiler;
  std::error_code ec;
  auto real = std::filesystem::canonical(*file, ec);  // through cc -> /etc/alternatives -> gcc-12
  if (ec) real = *file;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return "unavailable: " + real.string();
  return fmt::format("{} size={} mtime={}.{:09}", real.string(), st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

CompilerResult compile_shared_object(const std::string& compiler, const std::vector<std::filesystem::path>& sources,
                                     const std::filesystem::path& output, const std::vector<std::string>& defines,
                                     const CompilerLimits& limits, const std::vector<std::string>& extra_flags) {
  const auto executable = resolve_compiler(compiler);
  if (!executable) return {false, false, fmt::format("cannot run the C compiler '{}': not found", compiler)};
  std::vector<std::string> args = {compiler};
  for (const auto& f : aot_cflags()) args.push_back(f);
  for (const auto& f : extra_flags) args.push_back(f);
  for (const auto& d : defines) args.push_back("-D" + d);
  for (const auto& s : sources) args.push_back(s.string());
  args.push_back("-o");
  args.push_back(output.string());
  args.push_back("-lm");
  args.push_back("-lpthread");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    return {false, false, fmt::format("cannot run {}: pipe: {}", compiler, std::strerror(errno))};
  const int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const rlimit memory{limits.memory_bytes, limits.memory_bytes};
  // The soft limit sends SIGXCPU (the compiler's driver reports it); the hard
  // one, a second later, SIGKILL.
  const rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};
  // The rlimits must be in place before the compiler starts, so the child
  // sets them itself: fork, then only async-signal-safe calls until execve.
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // its own process group, so that a timeout kills cc1 and as too
    setrlimit(RLIMIT_AS, &memory);
    setrlimit(RLIMIT_CPU, &cpu);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dev_null >= 0) dup2(dev_null, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    execve(executable->c_str(), argv.data(), environ);
    _exit(127);
  }
  const int fork_error = errno;
  if (dev_null >= 0) close(dev_null);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    return {false, false, fmt::format("cannot run the C compiler '{}': fork: {}", compiler, std::strerror(fork_error))};
  }
  setpgid(pid, pid);  // also from this side: whichever runs first

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.wall_seconds);
  bool timed_out = false;
  std::string text;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (text.size() < 64 * 1024) text.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) kill(-pid, SIGKILL);
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (timed_out) {
    kill(-pid, SIGKILL);  // whatever of the group is left
    return {false, true,
            fmt::format("the C compiler '{}' ran longer than {} s and was stopped", compiler, limits.wall_seconds)};
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.erase(0, 1);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, false, text};
  const bool killed_for_cpu = WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL);
  const bool limit_hit = killed_for_cpu || reports_exhaustion(text);
  std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                      : fmt::format("signal {}", WTERMSIG(status));
  std::string message = fmt::format("the C compiler '{}' failed ({}){}{}", compiler, how, text.empty() ? "" : ":\n", text);
  if (limit_hit)
    message = fmt::format("the C compiler '{}' ran out of its limits ({} MiB of memory, {} s of CPU time): {}", compiler,
                          limits.memory_bytes >> 20, limits.cpu_seconds, text.empty() ? how : text);
  return {false, limit_hit, message};
}

}  // namespace wasmlet::detail::aot
