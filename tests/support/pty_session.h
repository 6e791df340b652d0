// A program run on a pseudo-terminal (forkpty), as a user at a terminal
// runs it: what it writes (and the terminal echoes) is read from the
// master side, what the user types is written to it.
#pragma once

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace wasmlet::testing {

class PtySession {
 public:
  // Runs argv[0] (a path) with `env` as its whole environment.
  PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::vector<char*> args, envp;
    std::vector<std::string> a = argv, e = env;  // copies the child may point into
    for (auto& s : a) args.push_back(s.data());
    for (auto& s : e) envp.push_back(s.data());
    args.push_back(nullptr);
    envp.push_back(nullptr);
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  PtySession(const PtySession&) = delete;

  // Reads until `text` has appeared in the output; false if the program
  // ended or `limit` passed first.
  bool read_until(const std::string& text, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (output_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      if (left <= 0 || !read_some(static_cast<int>(left))) return false;
    }
    return true;
  }

  // What the user types.
  void type(const std::string& text) {
    if (::write(master_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("cannot write to the pty");
  }

  // Whether the terminal echoes input now (the program may have turned it off).
  bool echoes() const {
    termios t{};
    if (::tcgetattr(master_, &t) != 0) throw std::runtime_error("tcgetattr on the pty failed");
    return (t.c_lflag & ECHO) != 0;
  }

  // Reads everything until the program ends; its exit status (-1 if killed).
  int finish(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      if (left <= 0) return -1;
      if (!read_some(static_cast<int>(left))) break;
    }
    if (std::chrono::steady_clock::now() >= end) ::kill(pid_, SIGKILL);  // still running: it hung
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& output() const { return output_; }

 private:
  // False at the end of the output (EIO once the child closed the slave) or on timeout.
  bool read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    char buf[4096];
    ssize_t got = ::read(master_, buf, sizeof buf);
    if (got <= 0) return false;
    output_.append(buf, static_cast<size_t>(got));
    return true;
  }

  int master_ = -1;
  pid_t pid_ = -1;
  std::string output_;
};

}  // namespace wasmlet::testing
