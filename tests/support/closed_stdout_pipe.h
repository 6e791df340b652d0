// The process's stdout turned into a pipe whose reader is already gone, and
// its stderr into a file, for the tests that a guest writing to the host's
// own stdout gets EPIPE and the host lives on. SIGPIPE gets `disposition`
// (SIG_DFL: a write that raised it would end the test binary). Restores
// stdout, stderr and SIGPIPE's action when it goes.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace wasmlet::testing {

class ClosedStdoutPipe {
 public:
  ClosedStdoutPipe(const std::filesystem::path& stderr_file, void (*disposition)(int)) {
    struct sigaction set {};
    set.sa_handler = disposition;
    if (sigaction(SIGPIPE, &set, &old_action_) != 0) throw std::runtime_error("sigaction(SIGPIPE) failed");
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe() failed");
    const int err_fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err_fd < 0) throw std::runtime_error("cannot create " + stderr_file.string());
    // gtest prints nothing until they are back.
    std::fflush(stdout);
    std::fflush(stderr);
    saved_out_ = dup(STDOUT_FILENO);
    saved_err_ = dup(STDERR_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(err_fd);
  }
  ClosedStdoutPipe(const ClosedStdoutPipe&) = delete;
  ClosedStdoutPipe& operator=(const ClosedStdoutPipe&) = delete;
  ~ClosedStdoutPipe() {
    dup2(saved_out_, STDOUT_FILENO);
    dup2(saved_err_, STDERR_FILENO);
    close(saved_out_);
    close(saved_err_);
    sigaction(SIGPIPE, &old_action_, nullptr);
  }

 private:
  struct sigaction old_action_ {};
  int saved_out_ = -1, saved_err_ = -1;
};

// Whether a SIGPIPE is pending on this thread (one a write left behind).
inline bool sigpipe_pending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE);
}

}  // namespace wasmlet::testing
