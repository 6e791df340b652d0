#include "oci/commands.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "oci/bundle.h"
#include "oci/cgroups.h"
#include "oci/console_socket.h"
#include "oci/container_process.h"
#include "oci/delegate.h"
#include "oci/runtime_log.h"
#include "oci/wasm_detect.h"
#include "wasmlet/error.h"

namespace wasmlet::oci {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOciVersion = "1.0.2";
constexpr auto kStartTimeout = std::chrono::seconds(10);

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  // Written beside and renamed, as runc does: the caller never reads a partial pid.
  std::string tmp = path + ".wasmlet-tmp";
  std::error_code ec;
  if (!(std::ofstream(tmp) << pid)) ec = std::error_code(errno, std::generic_category());
  if (!ec) fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error(fmt::format("cannot write the pid file {}: {}", path, ec.message()));
  }
}

}  // namespace

int create_container(const GlobalOptions& global, const CreateOptions& options) {
  BundleConfig config = read_bundle(options.bundle);
  std::optional<WasmEntry> entry = find_wasm_entry(config);
  if (!entry) {
    if (!annotated_as_wasm(config)) exec_delegate(global.argv);
    throw Error(fmt::format("container {}: annotated as WebAssembly, but process.args[0] '{}' is not a wasm module "
                            "in the rootfs {}", options.id, config.args.front(), config.rootfs.string()));
  }
  StateStore store(global.root);
  store.reserve(options.id);
  try {
    if (::mkfifo(store.fifo(options.id).c_str(), 0600) != 0)
      throw Error(fmt::format("cannot create {}: {}", store.fifo(options.id).string(), strerror(errno)));
    std::vector<std::string> cgroups = cgroup_dirs(config.cgroups_path, options.id, global.systemd_cgroup);

    ContainerLaunch launch{options.id, config, std::move(*entry), store.fifo(options.id), node_cache_dir(global.root), {}};
    if (config.terminal) {
      if (options.console_socket.empty())
        throw Error(fmt::format("container {}: process.terminal is set but no --console-socket was given", options.id));
      launch.pty = open_pty(0, 0);
      send_console(options.console_socket, launch.pty->master);
    }
    std::vector<std::string> own_cgroups = missing_cgroups(cgroups);
    pid_t pid = 0;
    try {
      // Joined before the process loads the module: its reading and
      // compiling count against the container's limits.
      pid = spawn_container_process(std::move(launch),
                                    [&](pid_t child) { join_cgroups(cgroups, config.resources, child); });
    } catch (...) {
      remove_cgroups(own_cgroups);
      throw;
    }
    try {
      ContainerState state;
      state.id = options.id;
      state.pid = pid;
      state.pid_start_time = process_start_time(pid).value_or(0);
      state.bundle = config.bundle.string();
      state.rootfs = config.rootfs.string();
      state.created = now_rfc3339();
      state.annotations = config.annotations;
      state.cgroup_dirs = cgroups;
      state.own_cgroup_dirs = own_cgroups;
      store.save(state);
      write_pid_file(options.pid_file, pid);
    } catch (...) {
      ::kill(pid, SIGKILL);
      remove_cgroups(own_cgroups);
      throw;
    }
  } catch (...) {
    store.remove(options.id);
    throw;
  }
  return 0;
}

int start_container(const StateStore& store, const std::string& id) {
  ContainerState state = store.load(id);
  Status status = store.status(state);
  if (status != Status::Created)
    throw Error(fmt::format("container {} cannot be started: it is {}", id, to_string(status)));
  // Opening the fifo for reading releases the container process blocked in
  // its open for writing; the byte it writes confirms it went on.
  int fd = ::open(store.fifo(id).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("container {}: cannot open {}: {}", id, store.fifo(id).string(), strerror(errno)));
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < deadline) {
    char byte;
    ssize_t n = ::read(fd, &byte, 1);
    if (n == 1) started = true;
    else if (store.status(state) == Status::Stopped) break;
    else std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::close(fd);
  if (!started) throw Error(fmt::format("container {} did not start: its process (pid {}) is gone or not responding", id, state.pid));
  ::unlink(store.fifo(id).c_str());
  return 0;
}

int print_state(const StateStore& store, const std::string& id) {
  ContainerState s = store.load(id);
  Status status = store.status(s);
  nlohmann::json j{{"ociVersion", kOciVersion}, {"id", s.id},
                   {"pid", status == Status::Stopped ? 0 : s.pid},
                   {"status", to_string(status)}, {"bundle", s.bundle}, {"rootfs", s.rootfs},
                   {"created", s.created}, {"owner", s.owner}};
  j["annotations"] = s.annotations;
  std::cout << j.dump(2) << "\n";
  return 0;
}

int kill_container(const StateStore& store, const std::string& id, int signal, bool all) {
  ContainerState s = store.load(id);
  if (all) {
    for (pid_t pid : cgroup_pids(s.own_cgroup_dirs)) ::kill(pid, signal);
    if (store.status(s) != Status::Stopped) ::kill(s.pid, signal);
    return 0;
  }
  if (store.status(s) == Status::Stopped) throw Error(fmt::format("container {} is not running", id));
  if (::kill(s.pid, signal) != 0) throw Error(fmt::format("container {}: cannot signal pid {}: {}", id, s.pid, strerror(errno)));
  return 0;
}

int delete_container(const StateStore& store, const std::string& id, bool force) {
  if (!store.owns(id)) {
    if (force) return 0;  // already gone: nothing to delete
    throw Error(fmt::format("container {} does not exist", id));
  }
  ContainerState s;
  try {
    s = store.load(id);
  } catch (const Error& e) {
    if (!force) throw;
    // A damaged record must not make the container undeletable (containerd
    // would retry for ever): its process cannot be found from it, so say so.
    std::cerr << "wasmlet-oci: " << e.what() << "; deleting its record anyway (its process, if still running, "
              << "could not be identified and was not killed)\n";
    store.remove(id);
    return 0;
  }
  // A created container (its process still waiting for start) is killed
  // and removed without --force, as runc does: containerd deletes a task
  // that never started that way. A running one needs --force.
  if (Status status = store.status(s); status != Status::Stopped) {
    if (status == Status::Running && !force)
      throw Error(fmt::format("container {} is running: stop it first or use delete --force", id));
    ::kill(s.pid, SIGKILL);
    for (pid_t pid : cgroup_pids(s.own_cgroup_dirs)) ::kill(pid, SIGKILL);
  }
  remove_cgroups(s.own_cgroup_dirs);
  store.remove(id);
  return 0;
}

int print_processes(const StateStore& store, const std::string& id, bool json) {
  ContainerState s = store.load(id);
  std::vector<pid_t> pids = cgroup_pids(s.own_cgroup_dirs);
  if (pids.empty() && store.status(s) != Status::Stopped) pids.push_back(s.pid);
  if (json) {
    std::cout << nlohmann::json(pids).dump() << "\n";
    return 0;
  }
  std::cout << "PID\tCMD\n";
  for (pid_t pid : pids) {
    std::ifstream comm(fmt::format("/proc/{}/comm", pid));
    std::string name;
    std::getline(comm, name);
    std::cout << pid << "\t" << name << "\n";
  }
  return 0;
}

int print_features() {
  nlohmann::json j{
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks", nlohmann::json::array()},
      {"mountOptions", {"bind", "rbind", "ro", "rw"}},
      {"linux",
       {{"namespaces", nlohmann::json::array()},
        {"capabilities", nlohmann::json::array()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp", {{"enabled", false}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations",
       {{"org.wasmlet.oci.wasm-detection", "process.args[0] is a wasm module, or module.wasm.image/variant=compat, or run.oci.handler=wasm"},
        {"org.wasmlet.oci.delegate", "other containers run with runc or crun"}}}};
  std::cout << j.dump(2) << "\n";
  return 0;
}

int parse_signal(const std::string& name) {
  char* end = nullptr;
  long number = std::strtol(name.c_str(), &end, 10);
  if (!name.empty() && *end == '\0') {
    if (number > 0 && number < NSIG) return static_cast<int>(number);
  } else {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
    for (int sig = 1; sig < NSIG; ++sig)
      if (const char* abbrev = sigabbrev_np(sig); abbrev && upper == abbrev) return sig;
  }
  throw Error(fmt::format("unknown signal '{}': give a number (15) or a name (TERM, SIGTERM)", name));
}

std::string node_cache_dir(const std::string& root) {
  if (const char* dir = std::getenv("WASMLET_OCI_CACHE_DIR"); dir && *dir) return dir;
  std::error_code ec;
  fs::create_directories("/var/cache/wasmlet", ec);
  if (!ec && ::access("/var/cache/wasmlet", W_OK) == 0) return "/var/cache/wasmlet";
  return (fs::path(root) / "cache").string();
}

}  // namespace wasmlet::oci
