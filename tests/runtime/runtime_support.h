// Helpers for the runtime tests: temp dirs, fixture paths, specs, /proc counts,
// and a real `wasmlet serve` process on a temp socket and data dir.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "loopback.h"
#include "process.h"
#include "wasmlet/runtime/spec.h"

#include "temp_dir.h"

extern char** environ;

namespace wasmlet::testing {

namespace fs = std::filesystem;

inline std::string fixture(const std::string& name) { return (fs::path(WASM_DIR) / (name + ".wasm")).string(); }

using ::wasmlet::testing::TempDir;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

inline runtime::ServiceSpec service(const std::string& image, std::vector<std::string> args = {}) {
  runtime::ServiceSpec s;
  s.name = "svc";
  s.image.name = image;
  s.image.pull_policy = PullPolicy::Never;
  if (!args.empty()) s.command.args = std::move(args);
  return s;
}

inline size_t count_entries(const char* dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

// One HTTP/1.0 GET to 127.0.0.1:port; returns the whole answer.
inline std::string http_get(uint16_t port, const std::string& path, const std::string& headers = "") {
  int fd = connect_loopback(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n" + headers + "\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// A field of /proc/PID/status in KiB: "VmRSS:" (the memory used now),
// "VmHWM:" (its peak).
inline long status_kib(const std::string& status, const std::string& field) {
  std::ifstream in(status);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + field.size());
  return 0;
}

inline long rss_kib(const std::string& status = "/proc/self/status") { return status_kib(status, "VmRSS:"); }

// A `wasmlet serve` child with its own data dir; killed (SIGKILL) when destroyed.
class Daemon {
 public:
  explicit Daemon(fs::path data_dir, std::vector<std::string> extra = {}) : data_dir_(std::move(data_dir)), extra_(std::move(extra)) {
    start();
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Daemon(const Daemon&) = delete;

  // Reads the daemon's stderr until it says it is serving (no sleeping or polling).
  void start() {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::vector<std::string> argv{WASMLET_BIN, "serve", "--data-dir", data_dir_.string()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) throw std::runtime_error("cannot spawn wasmlet serve");
    posix_spawn_file_actions_destroy(&actions);
    close(err_pipe[1]);
    std::string seen;
    char buf[256];
    ssize_t n;
    while (seen.find("serving on") == std::string::npos && (n = read(err_pipe[0], buf, sizeof buf)) > 0) seen.append(buf, n);
    close(err_pipe[0]);  // later writes to stderr get EPIPE, which the daemon ignores
    if (seen.find("serving on") == std::string::npos) throw std::runtime_error("wasmlet serve did not start: " + seen);
  }
  void kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int terminate() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  // Runs `wasmlet ARGS... --data-dir DATA`.
  ProcessResult cli(std::vector<std::string> args, std::chrono::milliseconds limit = std::chrono::seconds(30)) const {
    // After the verb, before any `--`.
    args.insert(args.begin() + 1, {"--data-dir", data_dir_.string()});
    return wasmlet(std::move(args), limit);
  }
  const fs::path& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

 private:
  fs::path data_dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace wasmlet::testing
