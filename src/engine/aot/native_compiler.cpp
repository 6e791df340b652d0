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

std::optional<std::filesystem::path> resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return access(program.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (true) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return std::filesystem::path(dir) / program;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

bool compiler_available(const std::string& compiler) { return resolve_program(compiler).has_value(); }

std::string compiler_identity(const std::string& compiler) {
  auto file = resolve_program(compiler);
  if (!file) return "unavailable: " + compiler;
  std::error_code ec;
  auto real = std::filesystem::canonical(*file, ec);  // through cc -> /etc/alternatives -> gcc-12
  if (ec) real = *file;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return "unavailable: " + real.string();
  return fmt::format("{} size={} mtime={}.{:09}", real.string(), st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

namespace {

// One compiler process: its own process group (a timeout kills cc1 and as
// too), under the rlimits, stdout and stderr into a pipe.
struct CompilerProcess {
  pid_t pid = -1;
  int output = -1;
  std::string text;
  bool done = false;
  int status = 0;
};

// Starts `args` (argv[0] is the compiler's name) as `executable`; pid -1 and
// `error` set if it cannot be started.
CompilerProcess start_compiler(const std::filesystem::path& executable, std::vector<std::string> args,
                               const CompilerLimits& limits, std::string& error) {
  CompilerProcess process;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    error = fmt::format("cannot run {}: pipe: {}", args[0], std::strerror(errno));
    return process;
  }
  const int dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const rlimit memory{limits.memory_bytes, limits.memory_bytes};
  // The soft limit sends SIGXCPU (the compiler's driver reports it); the hard
  // one, a second later, SIGKILL.
  const rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};
  // The rlimits must be in place before the compiler starts, so the child
  // sets them itself: fork, then only async-signal-safe calls until execve.
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    setrlimit(RLIMIT_AS, &memory);
    setrlimit(RLIMIT_CPU, &cpu);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dev_null >= 0) dup2(dev_null, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    execve(executable.c_str(), argv.data(), environ);
    _exit(127);
  }
  const int fork_error = errno;
  if (dev_null >= 0) close(dev_null);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    error = fmt::format("cannot run the C compiler '{}': fork: {}", args[0], std::strerror(fork_error));
    return process;
  }
  setpgid(pid, pid);  // also from this side: whichever runs first
  process.pid = pid;
  process.output = pipe_fds[0];
  return process;
}

void trim(std::string& text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.erase(0, 1);
}

CompilerResult failure_of(const std::string& compiler, const CompilerProcess& p, const CompilerLimits& limits) {
  std::string text = p.text;
  trim(text);
  const int status = p.status;
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

// Runs the commands, at most `parallel` at a time, all before `deadline`.
// Stops the others at the first failure.
CompilerResult run_compilers(const std::string& compiler, const std::filesystem::path& executable,
                             std::vector<std::vector<std::string>> commands, size_t parallel,
                             const CompilerLimits& limits, std::chrono::steady_clock::time_point deadline) {
  std::vector<CompilerProcess> running;
  size_t next = 0;
  std::optional<CompilerResult> failed;
  auto stop_all = [&] {
    for (auto& p : running) {
      kill(-p.pid, SIGKILL);
      close(p.output);
      while (waitpid(p.pid, nullptr, 0) < 0 && errno == EINTR) {}
      kill(-p.pid, SIGKILL);  // whatever of the group is left
    }
    running.clear();
  };
  while (!failed && (next < commands.size() || !running.empty())) {
    while (running.size() < std::max<size_t>(parallel, 1) && next < commands.size()) {
      std::string error;
      CompilerProcess p = start_compiler(executable, std::move(commands[next++]), limits, error);
      if (p.pid < 0) {
        failed = CompilerResult{false, false, error};
        break;
      }
      running.push_back(std::move(p));
    }
    if (failed) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failed = CompilerResult{false, true, fmt::format("the C compiler '{}' ran longer than {} s and was stopped",
                                                       compiler, limits.wall_seconds)};
      break;
    }
    std::vector<pollfd> fds;
    for (const auto& p : running) fds.push_back(pollfd{p.output, POLLIN, 0});
    const int ready = poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno != EINTR) {
      failed = CompilerResult{false, false, fmt::format("poll: {}", std::strerror(errno))};
      break;
    }
    for (size_t i = 0; i < running.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = read(running[i].output, buf, sizeof buf);
      if (n > 0) {
        if (running[i].text.size() < 64 * 1024) running[i].text.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(running[i].output);
        while (waitpid(running[i].pid, &running[i].status, 0) < 0 && errno == EINTR) {}
        running[i].done = true;
        if (!(WIFEXITED(running[i].status) && WEXITSTATUS(running[i].status) == 0) && !failed)
          failed = failure_of(compiler, running[i], limits);
      }
    }
    std::erase_if(running, [](const CompilerProcess& p) { return p.done; });
  }
  stop_all();
  return failed ? *failed : CompilerResult{true, false, {}};
}

std::vector<std::string> base_command(const std::string& compiler, const std::vector<std::string>& defines,
                                      const std::vector<std::string>& extra_flags) {
  std::vector<std::string> args = {compiler};
  for (const auto& f : aot_cflags()) args.push_back(f);
  for (const auto& f : extra_flags) args.push_back(f);
  for (const auto& d : defines) args.push_back("-D" + d);
  return args;
}

}  // namespace

CompilerResult compile_shared_object(const std::string& compiler, const std::vector<CompileUnit>& units,
                                     const std::filesystem::path& output, const std::vector<std::string>& defines,
                                     const CompilerLimits& limits, const std::vector<std::string>& extra_flags,
                                     size_t parallel) {
  const auto executable = resolve_program(compiler);
  if (!executable) return {false, false, fmt::format("cannot run the C compiler '{}': not found", compiler)};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.wall_seconds);
  auto link_libraries = [](std::vector<std::string>& args, const std::filesystem::path& out) {
    args.insert(args.end(), {"-o", out.string(), "-lm", "-lpthread"});
  };
  const bool whole = std::all_of(units.begin(), units.end(), [](const CompileUnit& u) { return u.flags.empty(); });
  if (whole && units.size() <= 2) {  // one compiler run makes the shared object
    std::vector<std::string> args = base_command(compiler, defines, extra_flags);
    for (const auto& u : units) args.push_back(u.source.string());
    link_libraries(args, output);
    return run_compilers(compiler, *executable, {std::move(args)}, 1, limits, deadline);
  }
  // Each unit to an object, in parallel; then one link.
  std::vector<std::vector<std::string>> compiles;
  std::vector<std::string> link = base_command(compiler, {}, extra_flags);
  for (const auto& u : units) {
    std::vector<std::string> args = base_command(compiler, defines, extra_flags);
    args.insert(args.end(), u.flags.begin(), u.flags.end());  // after the others: its -O wins
    std::filesystem::path object = u.source;
    object.replace_extension(".o");
    args.insert(args.end(), {"-c", u.source.string(), "-o", object.string()});
    compiles.push_back(std::move(args));
    link.push_back(object.string());
  }
  CompilerResult result = run_compilers(compiler, *executable, std::move(compiles), parallel, limits, deadline);
  if (!result.ok) return result;
  link_libraries(link, output);
  return run_compilers(compiler, *executable, {std::move(link)}, 1, limits, deadline);
}

}  // namespace wasmlet::detail::aot
