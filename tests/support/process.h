// Test helper: runs a program (usually the wasmlet CLI), captures stdout and
// stderr, and reports its exit status; kills it after a time limit.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace wasmlet::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  std::string out, err;
  std::chrono::milliseconds elapsed{0};
};

// What else a run may need: environment entries for the child (NAME=VALUE,
// in place of an inherited NAME), and a wait before its output is first
// read, so that a child writing much fills the pipe and must wait for room.
struct ProcessExtras {
  std::vector<std::string> env;
  std::chrono::milliseconds read_after{0};
};

// The environment of this process with `extra` in place of the same names.
inline std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.rfind(name, 0) == 0;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// The child's stdin is /dev/null, or a pipe that `input` is written to
// (then closed) when given.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds limit = std::chrono::seconds(60),
                                 const std::optional<std::string>& input = std::nullopt,
                                 const ProcessExtras& extras = {}) {
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (pipe(out_pipe) || pipe(err_pipe) || (input && pipe(in_pipe))) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (input) {
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_entries = environment_with(extras.env);
  std::vector<char*> env;
  for (auto& e : env_entries) env.push_back(e.data());
  env.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0]);
  std::thread feeder;
  if (input) {
    close(in_pipe[0]);
    feeder = std::thread([fd = in_pipe[1], data = *input] {
      signal(SIGPIPE, SIG_IGN);  // the child may exit without reading it all
      for (size_t done = 0; done < data.size();) {
        ssize_t n = write(fd, data.data() + done, data.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      close(fd);
    });
  }
  if (extras.read_after.count() > 0) std::this_thread::sleep_for(extras.read_after);
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    auto left = limit - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (left.count() <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    if (poll(fds, 2, killed ? 1000 : static_cast<int>(left.count())) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, n);
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (feeder.joinable()) feeder.join();
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

// Runs `wasmlet ARGS...`.
inline ProcessResult run_wasmlet(std::vector<std::string> args, std::chrono::milliseconds limit = std::chrono::seconds(60),
                                 const std::optional<std::string>& input = std::nullopt,
                                 const ProcessExtras& extras = {}) {
  args.insert(args.begin(), WASMLET_BIN);
  return run_process(args, limit, input, extras);
}

}  // namespace wasmlet::testing

namespace wasmlet::testing {
// The same, for code inside namespace wasmlet::testing.
inline ProcessResult wasmlet(std::vector<std::string> args, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  return run_wasmlet(std::move(args), limit);
}
}  // namespace wasmlet::testing
