#include "crash_blame.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>

#include "util/alt_signal_stack.h"

namespace wasmlet::runtime::crash_blame {

namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

std::atomic<int> g_fd{-1};
struct sigaction g_previous[NSIG];
thread_local char t_instance[128];

// Async-signal-safe: only write(2) and plain memory.
void record(int sig) {
  int fd = g_fd.load(std::memory_order_relaxed);
  if (fd < 0 || !t_instance[0]) return;
  char line[sizeof t_instance + 32];
  size_t n = strnlen(t_instance, sizeof t_instance);
  std::memcpy(line, t_instance, n);
  const char* name = sigabbrev_np(sig);
  line[n++] = ' ';
  line[n++] = 'S', line[n++] = 'I', line[n++] = 'G';
  for (const char* p = name ? name : "UNKNOWN"; *p && n < sizeof line - 1; ++p) line[n++] = *p;
  line[n++] = '\n';
  ssize_t ignored = ::write(fd, line, n);
  (void)ignored;
}

void on_fatal(int sig, siginfo_t* info, void* uc) {
  const struct sigaction& prev = g_previous[sig];
  const bool has_handler = (prev.sa_flags & SA_SIGINFO) || (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN);
  if (!has_handler) record(sig);  // the process dies now: say which instance it was working for
  if (prev.sa_flags & SA_SIGINFO) return prev.sa_sigaction(sig, info, uc);
  if (has_handler) return prev.sa_handler(sig);
  ::signal(sig, SIG_DFL);  // a fault repeats on return and ends the process as it would have
  if (info->si_code <= 0) ::raise(sig);  // sent (kill, raise, abort): deliver it again, unhandled
}

}  // namespace

void install(const std::filesystem::path& data_dir) {
  int fd = ::open((data_dir / "crash-blame").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) {
    int old = g_fd.exchange(fd);
    if (old >= 0) ::close(old);
  }
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : kFatalSignals) {
      struct sigaction action {};
      action.sa_sigaction = on_fatal;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&action.sa_mask);
      sigaction(sig, &action, &g_previous[sig]);
    }
  });
}

std::map<std::string, std::string> take(const std::filesystem::path& data_dir) {
  std::map<std::string, std::string> out;
  auto file = data_dir / "crash-blame";
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto space = line.rfind(' ');
    if (space != std::string::npos && space > 0) out[line.substr(0, space)] = line.substr(space + 1);
  }
  in.close();
  std::error_code ec;
  std::filesystem::resize_file(file, 0, ec);
  return out;
}

Scope::Scope(const std::string& instance) {
  util::ensure_alt_signal_stack();
  std::strncpy(t_instance, instance.c_str(), sizeof t_instance - 1);
  t_instance[sizeof t_instance - 1] = '\0';
}

Scope::~Scope() { t_instance[0] = '\0'; }

}  // namespace wasmlet::runtime::crash_blame
