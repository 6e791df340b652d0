#include "crash_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::runtime {

namespace {

// The last non-empty line of what the child wrote (an assertion message, say).
std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

[[noreturn]] void child_main(int err_fd, const std::function<void()>& work) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the daemon (it may hold the data dir's lock through us)
  ::dup2(err_fd, STDERR_FILENO);
  int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
  // Hold none of the daemon's files: its lock, sockets, listeners.
  ::close_range(3, ~0U, 0);
  try {
    work();
  } catch (...) {
    // A refusal (invalid module...) is an answer, not a crash: the caller
    // repeats the work in-process and reports it.
  }
  ::_exit(0);  // no atexit handlers, no flushing the daemon's buffers
}

}  // namespace

std::optional<std::string> crash_in_child(const std::function<void()>& work, std::chrono::milliseconds time_limit) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw Error(fmt::format("cannot create a pipe for a checking process: {}", std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    throw Error(fmt::format("cannot fork a checking process: {}", std::strerror(e)));
  }
  if (pid == 0) child_main(err_pipe[1], work);
  ::close(err_pipe[1]);

  std::string err;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + time_limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{err_pipe[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(err_pipe[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child has ended (or closed its stderr)
    err.append(buf, static_cast<size_t>(got));
    if (err.size() > 16384) err.erase(0, err.size() - 8192);  // keep the end
  }
  ::close(err_pipe[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return fmt::format("did not finish within {} s", std::chrono::duration_cast<std::chrono::seconds>(time_limit).count());
  std::string said = last_line(err);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return fmt::format("killed by SIG{} ({}){}", sigabbrev_np(sig) ? sigabbrev_np(sig) : std::to_string(sig).c_str(),
                       strsignal(sig), said.empty() ? "" : ": " + said);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return fmt::format("exited with status {}{}", WEXITSTATUS(status), said.empty() ? "" : ": " + said);
  return std::nullopt;
}

}  // namespace wasmlet::runtime
