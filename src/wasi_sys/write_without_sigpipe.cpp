#include "wasi_sys/write_without_sigpipe.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace wasmlet::wasi_sys {

bool sigpipe_ignored() {
  struct sigaction current {};
  return ::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count, bool block_sigpipe) {
  if (!block_sigpipe) return ::writev(fd, iov, count);
  sigset_t pipe_only, old_mask, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE);
  ssize_t n = ::writev(fd, iov, count);
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

}  // namespace wasmlet::wasi_sys
