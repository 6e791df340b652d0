// run_file_isolated: each file in a child process, its events streamed back
// over a pipe, so a host crash in a tier becomes a reported result.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "wast/runner.h"

namespace wasmlet::wast {
namespace {

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(3);  // the parent is gone
    done += static_cast<size_t>(n);
  }
}

nlohmann::json to_json(const Event& e) {
  return {{"kind", static_cast<int>(e.kind)}, {"line", e.line}, {"command", e.command}, {"message", e.message}};
}

[[noreturn]] void run_child(int fd, const std::filesystem::path& file, const RunOptions& options) {
  try {
    run_file(file, options, [fd](const Event& e) { write_all(fd, to_json(e).dump() + "\n"); });
  } catch (const std::exception& e) {
    write_all(fd, to_json({Event::Kind::Fail, 0, "run", e.what()}).dump() + "\n");
  }
  write_all(fd, "end\n");
  ::_exit(0);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exit status {}", WEXITSTATUS(status));
}

}  // namespace

FileResult run_file_isolated(const std::filesystem::path& file, const RunOptions& options) {
  FileResult result;
  result.file = file.string();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], file, options);
  }
  ::close(fds[1]);
  std::string buffer;
  bool ended = false;
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (line == "end") {
        ended = true;
        continue;
      }
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;
      result.add({static_cast<Event::Kind>(j.value("kind", 0)), j.value("line", 0), j.value("command", ""),
                  j.value("message", "")});
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (!ended || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    result.crash = fmt::format("the process running it died ({}) during the command at line {}",
                               describe_status(status), result.last_line);
  return result;
}

}  // namespace wasmlet::wast
