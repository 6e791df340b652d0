// A real `wasmlet serve` on a temp data dir, for tests that run what the
// registry client pulled; the CLI verbs talk to it with --data-dir.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace wasmlet::registry::testing {

class DaemonProcess {
 public:
  explicit DaemonProcess(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    std::string bin = WASMLET_BIN, dir = data_dir_.string();
    const char* argv[] = {bin.c_str(), "serve", "--data-dir", dir.c_str(), nullptr};
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(err_pipe[1]);
    if (rc != 0) {
      close(err_pipe[0]);
      throw std::runtime_error("cannot spawn " + bin + " serve");
    }
    // Ready once it says so on stderr (it binds before printing).
    std::string seen;
    char buf[256];
    ssize_t n;
    while (seen.find("serving on") == std::string::npos && (n = read(err_pipe[0], buf, sizeof buf)) > 0) seen.append(buf, n);
    close(err_pipe[0]);
    if (seen.find("serving on") == std::string::npos) throw std::runtime_error("wasmlet serve did not start: " + seen);
  }
  ~DaemonProcess() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  // "--data-dir DIR" for the client verbs.
  std::string data_dir_flag() const { return "--data-dir " + data_dir_.string(); }

 private:
  std::filesystem::path data_dir_;
  pid_t pid_ = -1;
};

}  // namespace wasmlet::registry::testing
