// Guest stdout/stderr for WASI 0.2: the output sink, or the host's own fds
// (`wasmlet run`). Those are blocking and their flags are shared with
// whoever else holds them (a shell's terminal), so they stay as they are; a
// full pipe or terminal must still not hold the guest past a stop or its
// timeout, so a write to a pipe never blocks in the kernel
// (wasi_sys::write_to_pipe) and waits for room in wait_poll (which throws
// Interrupted) only when it is full, and a write to a terminal waits for
// room first and then writes at most PIPE_BUF (as preview1 does,
// src/wasi/stream_io.cpp).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "component/wasi/host_state.h"
#include "wasi_sys/write_without_sigpipe.h"

namespace wasmlet::component::wasi {

namespace {

void wait_for_room(HostState& s, int fd) { wait_poll(s, {pollfd{fd, POLLOUT, 0}}, std::nullopt); }

}  // namespace

int HostState::write_output(OutputStream::Kind kind, std::span<const uint8_t> bytes) {
  const bool is_stderr = kind == OutputStream::Kind::Stderr;
  if (config.output) {
    config.output(is_stderr ? wasmlet::OutputStream::Stderr : wasmlet::OutputStream::Stdout, bytes);
    return 0;
  }
  const int fd = is_stderr ? STDERR_FILENO : STDOUT_FILENO;
  auto& known = inherited_kind[is_stderr ? 1 : 0];
  if (!known) known = wasi_sys::inherited_output_kind(fd);
  // A pipe whose reader is gone is EPIPE for the guest, never a SIGPIPE
  // that would end an embedding program that does not ignore it.
  const bool pipe_or_terminal = *known == wasi_sys::InheritedOutput::MayBlock || *known == wasi_sys::InheritedOutput::Pipe;
  if (pipe_or_terminal && !sigpipe_ignored) sigpipe_ignored = wasi_sys::sigpipe_ignored();
  const bool block_sigpipe = pipe_or_terminal && !*sigpipe_ignored;
  size_t done = 0;
  while (done < bytes.size()) {
    size_t want = bytes.size() - done;
    if (*known == wasi_sys::InheritedOutput::MayBlock) {
      wait_for_room(*this, fd);  // also ready once the reader is gone: the write reports it
      want = std::min<size_t>(want, PIPE_BUF);
    }
    ssize_t n;
    if (*known == wasi_sys::InheritedOutput::Socket) {
      n = ::send(fd, bytes.data() + done, want, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      const iovec piece{const_cast<uint8_t*>(bytes.data() + done), want};
      n = *known == wasi_sys::InheritedOutput::Pipe ? wasi_sys::write_to_pipe(fd, &piece, 1, block_sigpipe)
                                                     : wasi_sys::writev_without_sigpipe(fd, &piece, 1, block_sigpipe);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a full pipe, or a full non-blocking fd or socket
        wait_for_room(*this, fd);
        continue;
      }
      return errno;
    }
    done += size_t(n);
  }
  return 0;
}

}  // namespace wasmlet::component::wasi
