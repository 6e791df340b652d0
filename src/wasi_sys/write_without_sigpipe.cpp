#include "wasi_sys/write_without_sigpipe.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

namespace wasmlet::wasi_sys {

bool sigpipe_ignored() {
  struct sigaction current {};
  return ::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

namespace {

ssize_t write_vector(int fd, const iovec* iov, int count, int rwf_flags) {
  return rwf_flags ? ::pwritev2(fd, iov, count, -1, rwf_flags) : ::writev(fd, iov, count);
}

}  // namespace

ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count, bool block_sigpipe, int rwf_flags) {
  if (!block_sigpipe) return write_vector(fd, iov, count, rwf_flags);
  sigset_t pipe_only, old_mask, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE);
  ssize_t n = write_vector(fd, iov, count, rwf_flags);
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !already_pending) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved;
  return n;
}

namespace {
std::atomic<bool> rwf_append_refused{false};
}  // namespace

ssize_t append_to_file(int fd, const iovec* iov, int count) {
  if (!rwf_append_refused.load(std::memory_order_relaxed)) {
    const ssize_t n = ::pwritev2(fd, iov, count, -1, RWF_APPEND);
    if (n >= 0 || (errno != EOPNOTSUPP && errno != EINVAL)) return n;
    rwf_append_refused.store(true, std::memory_order_relaxed);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  return ::pwritev(fd, iov, count, st.st_size);
}

}  // namespace wasmlet::wasi_sys
