#include "oci/container_process.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "oci/runtime_log.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"
#include "wasmlet/wasi.h"
#include "wasmlet/program.h"
#include "wasmlet/wasi_command.h"

namespace wasmlet::oci {

namespace fs = std::filesystem;

namespace {

constexpr int kReadyFd = 3;       // the child's end of the readiness pipe
constexpr int kGoFd = 4;          // the child's end of the pipe that says it is in its cgroups
constexpr int kModuleFd = 5;      // the module's file
constexpr auto kInterruptGrace = std::chrono::seconds(2);

// The guest's Store once it runs, and the first terminating signal received.
std::atomic<Store*> running_store{nullptr};
std::atomic<int> received_signal{0};

bool ignored_by_default(int sig) { return sig == SIGCHLD || sig == SIGCONT || sig == SIGWINCH; }
// Signals whose default action stops a process (Ctrl-Z on a terminal, or
// `kill ID TSTP`): the container stops until SIGCONT, as any process would.
bool stops_by_default(int sig) { return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

// Signals arrive here (they are blocked in every other thread): a
// stopping one stops the process, a terminating one interrupts the guest at once, or ends a container that
// has not started. A guest stuck in a host call that ignores the interrupt
// is ended after a short grace period.
void signal_loop(sigset_t set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0 || ignored_by_default(sig)) continue;
    if (stops_by_default(sig)) {
      ::kill(::getpid(), SIGSTOP);  // every thread stops; SIGCONT resumes them, the guest where it was
      continue;
    }
    int expected = 0;
    received_signal.compare_exchange_strong(expected, sig);
    Store* store = running_store.load();
    if (!store) _exit(128 + sig);
    store->interrupt();
    std::this_thread::sleep_for(kInterruptGrace);
    _exit(128 + received_signal.load());
  }
}

// Every signal the container handles itself, blocked in all its threads and
// taken by signal_loop. Not the faults, and not SIGURG: the engine owns it
// (the AOT tier stops a guest's thread with pthread_kill(SIGURG), and a
// guest thread with SIGURG blocked would never see the interrupt).
sigset_t catchable_signals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, SIGURG}) sigdelset(&set, sig);
  return set;
}

// Joins the namespaces config.json names by path (the pod's network, IPC and
// UTS namespaces under Kubernetes). A wasm guest needs no namespace of its
// own, so new ones are not created; mount and pid namespaces do not apply.
void join_namespaces(const BundleConfig& config) {
  for (const auto& ns : config.namespaces) {
    int type = ns.type == "network" ? CLONE_NEWNET : ns.type == "ipc" ? CLONE_NEWIPC : ns.type == "uts" ? CLONE_NEWUTS : 0;
    if (!type) continue;
    int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, type) != 0)
      throw Error(fmt::format("cannot join the {} namespace {}: {}", ns.type, ns.path.string(), std::strerror(errno)));
    ::close(fd);
  }
}

WasiConfig guest_wasi_config(const ContainerLaunch& launch) {
  const BundleConfig& c = launch.config;
  WasiConfig wasi;
  wasi.args = c.args;
  wasi.args.front() = launch.entry.guest_path;
  wasi.env = c.env;
  bool has_pwd = false;
  for (const auto& e : c.env) has_pwd |= e.rfind("PWD=", 0) == 0;
  if (!has_pwd) wasi.env.push_back("PWD=" + c.cwd);
  wasi.preopens.push_back({c.rootfs, "/", c.rootfs_read_only});
  for (const auto& bind : c.binds) {
    std::error_code ec;
    if (!fs::is_directory(bind.source, ec)) {
      // WASI preopens are directories: a bound file (podman's /etc/hosts) is not visible.
      if (!fs::exists(bind.source, ec))
        throw Error(fmt::format("bind mount {} -> {}: the source does not exist", bind.source.string(), bind.destination));
      runtime_log().info(fmt::format("bind mount {} -> {} is a file; a wasm guest sees directories only",
                                     bind.source.string(), bind.destination));
      continue;
    }
    wasi.preopens.push_back({bind.source, bind.destination, bind.read_only || c.rootfs_read_only});
  }
  // The container's stdin (conmon's or the shim's pipe, a file, a socket), shared
  // with the guest as the CLI shares its own (src/wasi/guest_stdin.cpp).
  if (fcntl(0, F_GETFD) >= 0) wasi.stdin_fd = 0;
  return wasi;
}

void drop_privileges(const BundleConfig& c) {
  if (geteuid() != 0 || (c.uid == 0 && c.gid == 0)) return;
  std::vector<gid_t> groups(c.additional_gids.begin(), c.additional_gids.end());
  if (setgroups(groups.size(), groups.data()) != 0 || setgid(c.gid) != 0 || setuid(c.uid) != 0)
    throw Error(fmt::format("cannot switch to user {}:{}: {}", c.uid, c.gid, std::strerror(errno)));
}

void wait_for_start(const fs::path& fifo) {
  // Blocks until `start` opens the fifo for reading.
  int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) _exit(1);
  (void)!::write(fd, "0", 1);
  ::close(fd);
}

// The container process, from fork to exit.
[[noreturn]] void container_main(ContainerLaunch& launch) {
  sigset_t signals = catchable_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Nothing is read or compiled before the parent has put this process in
  // the container's cgroups: what loading takes counts against them. No
  // byte: the parent failed, and says why.
  char go = 0;
  while (::read(kGoFd, &go, 1) < 0 && errno == EINTR) {
  }
  if (go != 'G') _exit(1);
  ::close(kGoFd);
  std::string failure;
  std::optional<Engine> engine;
  std::optional<Program> program;
  WasiConfig wasi;
  StoreLimits limits;
  try {
    join_namespaces(launch.config);
    EngineConfig config;
    config.tier = Tier::Auto;
    config.auto_compile_max_bytes = 512 * 1024;  // a container runs long: small modules compile before it starts
    config.cache_dir = launch.cache_dir;
    config.on_note = [](const std::string& note) { runtime_log().info(note); };
    config.on_progress = [](const std::string&) {};
    engine.emplace(config);
    program.emplace(Program::compile(*engine, read_module(launch.entry), launch.entry.guest_path));
    ::close(launch.entry.file.release());
    if (!program->entry())
      throw Error(fmt::format("{}: the {} exports neither {}'_start' nor 'main': it is not a WASI command",
                              launch.entry.guest_path, program->is_component() ? "component" : "module",
                              program->is_component() ? "wasi:cli/run nor " : ""));
    wasi = guest_wasi_config(launch);
    if (auto limit = launch.config.resources.memory_limit; limit && *limit > 0)
      limits.max_memory_bytes = guest_memory_limit(static_cast<uint64_t>(*limit));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure.empty()) failure = "R";
  (void)!::write(kReadyFd, failure.data(), failure.size());
  ::close(kReadyFd);
  if (failure != "R") _exit(1);

  std::thread(signal_loop, signals).detach();
  wait_for_start(launch.exec_fifo);

  int status = kTrapExitStatus;
  try {
    drop_privileges(launch.config);
    Store store(*engine, limits);
    running_store.store(&store);
    if (received_signal.load()) store.interrupt();
    Outcome outcome = run_program(store, *program, std::move(wasi));
    if (int sig = received_signal.load(); sig && outcome.trapped()) {
      status = 128 + sig;
    } else {
      LimitSettings limits;
      limits.memory = "the container's memory limit";
      CommandStatus ended = command_status(outcome, store, limits);
      if (!ended.message.empty())
        std::fprintf(stderr, "wasmlet: error: %s: %s\n", launch.entry.guest_path.c_str(), ended.message.c_str());
      status = ended.status;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wasmlet: error: %s: %s\n", launch.entry.guest_path.c_str(), e.what());
    status = 1;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(status);
}

}  // namespace

uint64_t guest_memory_limit(uint64_t cgroup_limit) {
  // The runtime itself (code, native module, WASI buffers) needs a few MiB.
  constexpr uint64_t kRuntimeShare = 16ull << 20;
  return cgroup_limit > 2 * kRuntimeShare ? cgroup_limit - kRuntimeShare : cgroup_limit / 2;
}

pid_t spawn_container_process(ContainerLaunch launch, const std::function<void(pid_t)>& before_load) {
  int ready[2], go[2];
  if (pipe2(ready, O_CLOEXEC) != 0) throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  if (pipe2(go, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(ready[0]);
    ::close(ready[1]);
    throw Error(fmt::format("cannot create a pipe: {}", std::strerror(error)));
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw Error(fmt::format("cannot fork the container process: {}", std::strerror(errno)));
  if (pid == 0) {
    // Keep stdio, the pty slave, the two pipes and the module's file; close
    // what the caller leaked to us. Each is first moved above the numbers
    // it goes to, which one of the others may hold now.
    if (launch.pty) {
      ::close(launch.pty->master);
      make_controlling_terminal(launch.pty->slave);
    }
    const int ready_end = fcntl(ready[1], F_DUPFD, 16), go_end = fcntl(go[0], F_DUPFD, 16),
              module = fcntl(launch.entry.file.release(), F_DUPFD, 16);
    dup2(ready_end, kReadyFd);
    dup2(go_end, kGoFd);
    dup2(module, kModuleFd);
    close_range(kModuleFd + 1, ~0u, 0);
    launch.entry.file = wasi_sys::UniqueFd(kModuleFd);
    container_main(launch);
  }
  ::close(ready[1]);
  ::close(go[0]);
  if (launch.pty) ::close(launch.pty->slave);
  try {
    before_load(pid);
  } catch (...) {
    ::close(go[1]);  // the child ends without a word
    ::close(ready[0]);
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    throw;
  }
  (void)!::write(go[1], "G", 1);
  ::close(go[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(ready[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    message.append(buf, static_cast<size_t>(n));
  }
  ::close(ready[0]);
  if (message != "R") {
    int status = 0;
    waitpid(pid, &status, 0);
    throw Error(message.empty() ? "the container process ended before it was ready" : message);
  }
  return pid;
}

}  // namespace wasmlet::oci
