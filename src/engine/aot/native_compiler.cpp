#include "engine/aot/native_compiler.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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
                                     const std::vector<std::string>& extra_flags) {
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
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return {false, fmt::format("cannot run {}: pipe: {}", compiler, std::strerror(errno))};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, compiler.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return {false, fmt::format("cannot run the C compiler '{}': {}", compiler, std::strerror(rc))};
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (text.size() < 64 * 1024) text.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, text};
  std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                      : fmt::format("signal {}", WTERMSIG(status));
  return {false, fmt::format("the C compiler '{}' failed ({}){}{}", compiler, how, text.empty() ? "" : ":\n", text)};
}

}  // namespace wasmlet::detail::aot
