#include "wasi_sys/inherited_output.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "wasi_sys/write_without_sigpipe.h"

namespace wasmlet::wasi_sys {

InheritedOutput inherited_output_kind(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return InheritedOutput::Other;
  if (S_ISSOCK(st.st_mode)) return InheritedOutput::Socket;
  if (S_ISFIFO(st.st_mode)) return InheritedOutput::Pipe;
  if (::isatty(fd)) return InheritedOutput::MayBlock;
  return InheritedOutput::Other;
}

namespace {

// Whether the kernel refused RWF_NOWAIT on fd 1 or 2. It is a property of
// the open file (an anonymous pipe takes it, a named FIFO does not), and a
// zero-length write cannot ask: the kernel returns 0 before it reads the
// flags. So the first real write asks, and the answer is kept, process-wide
// since every guest context writes the same fds. Should another file be put
// on the fd later, it is written the poll(2) way, which is slower, not wrong.
std::atomic<bool> nowait_refused[2];  // fd 1, fd 2

std::atomic<bool>* refusal_for(int fd) { return fd == 1 || fd == 2 ? &nowait_refused[fd - 1] : nullptr; }

// The poll(2) way: room first, then at most PIPE_BUF, gathered into one
// buffer (a writable pipe takes that much without blocking).
ssize_t write_when_room(int fd, const iovec* iov, int count, bool block_sigpipe) {
  pollfd want{fd, POLLOUT, 0};
  const int ready = ::poll(&want, 1, 0);  // also ready once the reader is gone: the write reports it
  if (ready < 0) return -1;
  if (ready == 0) {
    errno = EAGAIN;
    return -1;
  }
  char buf[PIPE_BUF];
  size_t size = 0;
  for (int i = 0; i < count && size < sizeof buf; ++i) {
    const size_t take = std::min(iov[i].iov_len, sizeof buf - size);
    if (take) std::memcpy(buf + size, iov[i].iov_base, take);
    size += take;
  }
  const iovec piece{buf, size};
  return writev_without_sigpipe(fd, &piece, 1, block_sigpipe);
}

}  // namespace

ssize_t write_to_pipe(int fd, const iovec* iov, int count, bool block_sigpipe) {
  std::atomic<bool>* refused = refusal_for(fd);
  if (refused && refused->load(std::memory_order_relaxed)) return write_when_room(fd, iov, count, block_sigpipe);
  const ssize_t n = writev_without_sigpipe(fd, iov, count, block_sigpipe, RWF_NOWAIT);
  if (n >= 0 || errno != EOPNOTSUPP) return n;
  if (refused) refused->store(true, std::memory_order_relaxed);
  return write_when_room(fd, iov, count, block_sigpipe);
}

}  // namespace wasmlet::wasi_sys
