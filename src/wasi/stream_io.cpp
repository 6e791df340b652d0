#include "stream_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <string>

#include "blocking.h"
#include "errno_map.h"
#include "host_call.h"
#include "wasi_sys/write_without_sigpipe.h"

namespace wasmlet::wasi {

namespace {

ssize_t read_once(FdEntry& e, std::vector<iovec>& iov, int recv_flags) {
  if (e.kind == FdKind::Socket) {
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    return ::recvmsg(e.host.get(), &msg, recv_flags & ~MSG_WAITALL);
  }
  return ::readv(e.host.get(), iov.data(), static_cast<int>(iov.size()));
}

// Drops the first n bytes from an iovec list.
void advance(std::vector<iovec>& iov, size_t n) {
  size_t i = 0;
  while (i < iov.size() && n >= iov[i].iov_len) n -= iov[i++].iov_len;
  iov.erase(iov.begin(), iov.begin() + static_cast<long>(i));
  if (!iov.empty() && n) {
    iov[0].iov_base = static_cast<char*>(iov[0].iov_base) + n;
    iov[0].iov_len -= n;
  }
}

// MSG_PEEK | MSG_WAITALL: a peek leaves the bytes where they are, so each try
// reads the stream from its start again, until all that is asked for is
// there or the peer has finished sending. poll cannot wait for "more than is
// there", so a short peek looks again a few milliseconds later (waiting
// interruptibly, and at once on a hangup).
Errno peek_all(Caller& caller, FdEntry& e, std::vector<iovec>& iov, int recv_flags, size_t& nread) {
  const size_t want = total_length(iov);
  for (;;) {
    ssize_t n = read_once(e, iov, recv_flags);
    if (n < 0 && errno == EINTR) continue;
    const bool nothing_yet = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (n < 0 && !nothing_yet) return last_host_errno();
    nread = n > 0 ? static_cast<size_t>(n) : 0;
    if (n == 0 || nread >= want) return err::success;  // all there, or the stream ended
    if (e.fdflags & fdflags::nonblock) return nread > 0 ? err::success : err::again;
    if (nothing_yet) {
      wait_ready(caller, e.host.get(), POLLIN);
      continue;
    }
    std::vector<pollfd> hangup{{e.host.get(), POLLRDHUP, 0}};
    if (wait_poll(caller, hangup, std::chrono::steady_clock::now() + std::chrono::milliseconds(5)) > 0) {
      // The peer sent all it will: what is there is the answer.
      n = read_once(e, iov, recv_flags);
      nread = n > 0 ? static_cast<size_t>(n) : nread;
      return err::success;
    }
  }
}

}  // namespace

Errno read_into(Caller& caller, FdEntry& e, std::vector<iovec>& iov, int recv_flags, size_t& nread) {
  nread = 0;
  bool waitall = recv_flags & MSG_WAITALL;
  if (waitall && (recv_flags & MSG_PEEK)) return peek_all(caller, e, iov, recv_flags, nread);
  std::vector<iovec> rest = iov;
  while (!rest.empty()) {
    ssize_t n = read_once(e, rest, recv_flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (nread > 0 && !waitall) break;
        if (e.fdflags & fdflags::nonblock) return nread > 0 ? err::success : err::again;
        wait_ready(caller, e.host.get(), POLLIN);
        continue;
      }
      if (nread > 0) break;
      return last_host_errno();
    }
    nread += static_cast<size_t>(n);
    if (n == 0 || !waitall) break;
    advance(rest, static_cast<size_t>(n));
  }
  return err::success;
}

namespace {

// Whether a write that could raise SIGPIPE must block it: not if the
// process ignores SIGPIPE (read once per context, at its first such write;
// print_lines' run was 6% faster without the three extra system calls).
bool must_block_sigpipe(WasiContext& ctx) {
  if (!ctx.sigpipe_ignored) ctx.sigpipe_ignored = wasi_sys::sigpipe_ignored();
  return !*ctx.sigpipe_ignored;
}

// How write_host treats a host fd.
struct HostWrite {
  bool socket = false;        // sendmsg, never blocking (the fd may be the host's own, blocking, stdout)
  bool nonblock = false;      // the guest's fdflags::nonblock: `again` rather than a wait
  bool regular_file = false;  // one write, however short (as a blocking fd would do)
  bool block_sigpipe = false;
  // A terminal (the host's own stdout): wait for room (interruptibly)
  // before each write, then write no more than PIPE_BUF.
  bool wait_for_room = false;
  // A pipe (the host's own stdout): wasi_sys::write_to_pipe never blocks,
  // and the write waits for room (interruptibly) only when the pipe is full.
  bool no_wait = false;
};

// Writes to a host fd with the guest's blocking semantics.
Errno write_host(Caller& caller, int fd, const HostWrite& how, const std::vector<iovec>& iov, size_t& nwritten) {
  std::vector<iovec> rest = iov, capped;
  while (!rest.empty()) {
    const std::vector<iovec>* now = &rest;
    if (how.wait_for_room) {
      wait_ready(caller, fd, POLLOUT);  // also ready on an error or a closed reader: the write reports it
      capped = first_bytes(rest, PIPE_BUF);
      now = &capped;
    }
    ssize_t n;
    if (how.socket) {
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(now->data());
      msg.msg_iovlen = now->size();
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else if (how.no_wait) {
      n = wasi_sys::write_to_pipe(fd, now->data(), static_cast<int>(now->size()), how.block_sigpipe);
    } else {
      n = wasi_sys::writev_without_sigpipe(fd, now->data(), static_cast<int>(now->size()), how.block_sigpipe);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (how.no_wait && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wait_ready(caller, fd, POLLOUT);  // the pipe is full; also ready once the reader is gone
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (nwritten > 0) break;
        if (how.nonblock) return err::again;
        wait_ready(caller, fd, POLLOUT);
        continue;
      }
      if (nwritten > 0) break;
      return last_host_errno();
    }
    nwritten += static_cast<size_t>(n);
    // Blocking semantics for streams: finish the whole write, like a blocking fd would.
    if (how.nonblock || how.regular_file) break;
    advance(rest, static_cast<size_t>(n));
  }
  return err::success;
}

// How a write to the host's own stdout/stderr must go (read once per
// context): these fds are blocking, and their O_NONBLOCK flag is shared with
// whoever else holds them (a shell's terminal), so it stays as it is.
HostWrite inherited_output(WasiContext& ctx, OutputStream stream, int fd) {
  auto& known = ctx.inherited_kind[stream == OutputStream::Stdout ? 0 : 1];
  if (!known) known = wasi_sys::inherited_output_kind(fd);
  HostWrite how;
  how.socket = *known == wasi_sys::InheritedOutput::Socket;
  how.wait_for_room = *known == wasi_sys::InheritedOutput::MayBlock;
  how.no_wait = *known == wasi_sys::InheritedOutput::Pipe;
  how.block_sigpipe = !how.socket && must_block_sigpipe(ctx);
  return how;
}

}  // namespace

Errno write_from(Caller& caller, WasiContext& ctx, FdEntry& e, const std::vector<iovec>& iov, size_t& nwritten) {
  nwritten = 0;
  if (e.kind == FdKind::Output && ctx.output_inherited) {
    // The host's own stdout/stderr, written here so that the guest learns
    // of a failed write (a closed pipe is `pipe`).
    // A full pipe must not hold the guest past a stop or its timeout, so the
    // write waits for room in wait_ready rather than in the kernel.
    const int fd = e.stream == OutputStream::Stdout ? STDOUT_FILENO : STDERR_FILENO;
    return write_host(caller, fd, inherited_output(ctx, e.stream, fd), iov, nwritten);
  }
  if (e.kind == FdKind::Output) {
    // One sink call per fd_write keeps a write whole in the log. Iovecs may
    // overlap, so their total is not bounded by guest memory (1024 iovecs
    // over all of a 1 MiB memory are 1 GiB): one call hands over at most
    // kMaxSinkWrite bytes, and the guest sees a short write (as POSIX allows;
    // libc writes the rest).
    std::string data;
    data.reserve(std::min(total_length(iov), kMaxSinkWrite));
    for (const auto& v : iov) {
      size_t take = std::min(v.iov_len, kMaxSinkWrite - data.size());
      data.append(static_cast<const char*>(v.iov_base), take);
      if (data.size() == kMaxSinkWrite) break;
    }
    if (!data.empty()) ctx.output(e.stream, {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
    nwritten = data.size();
    return err::success;
  }
  // Only a pipe (a fifo, "unknown" to WASI) or a socket raises SIGPIPE.
  HostWrite how;
  how.block_sigpipe = e.filetype != filetype::regular_file && e.filetype != filetype::character_device &&
                      e.filetype != filetype::block_device && must_block_sigpipe(ctx);
  how.socket = e.kind == FdKind::Socket;
  how.nonblock = e.fdflags & fdflags::nonblock;
  how.regular_file = e.kind == FdKind::File;
  if (e.quota && e.kind == FdKind::File) {
    // Where the write starts: the end of the file when appending.
    struct stat st;
    off_t at = (e.fdflags & fdflags::append) ? (::fstat(e.host.get(), &st) == 0 ? st.st_size : 0)
                                             : ::lseek(e.host.get(), 0, SEEK_CUR);
    const size_t want = total_length(iov);
    const uint64_t room = at >= 0 ? e.room_for_write(static_cast<uint64_t>(at), want) : want;
    // As on a full disk: what fits is written (a short write), and the
    // next write, with no room left, is `nospc`.
    if (room == 0 && want > 0) return err::nospc;
    if (room < want) return write_host(caller, e.host.get(), how, first_bytes(iov, room), nwritten);
  }
  return write_host(caller, e.host.get(), how, iov, nwritten);
}

Errno guest_read(Call& c, FdEntry& e, uint32_t iovs, uint32_t count, int recv_flags, uint32_t count_ptr) {
  auto iov = guest_iovecs(c.mem, iovs, count);
  size_t n = 0;
  if (Errno r = read_into(c.caller, e, iov, recv_flags, n)) return r;
  c.mem.store<uint32_t>(count_ptr, static_cast<uint32_t>(n));
  return err::success;
}

Errno guest_write(Call& c, FdEntry& e, uint32_t iovs, uint32_t count, uint32_t count_ptr) {
  auto iov = guest_iovecs(c.mem, iovs, count);
  size_t n = 0;
  if (Errno r = write_from(c.caller, c.ctx, e, iov, n)) return r;
  c.mem.store<uint32_t>(count_ptr, static_cast<uint32_t>(n));
  return err::success;
}

}  // namespace wasmlet::wasi
