// sock_*: connections accepted on the listeners the host passed in.
// The guest cannot open or bind sockets itself (preview1 has no call for it).
#include <sys/socket.h>

#include <cerrno>

#include "blocking.h"
#include "errno_map.h"
#include "host_call.h"
#include "stream_io.h"
#include "wasi_sys/host_room.h"

namespace wasmlet::wasi {

namespace {

// A descriptor that must be of `kind`: notsock if it is no socket at all.
Errno socket_entry(Call& c, uint32_t fd, FdKind kind, uint64_t rights, std::shared_ptr<FdEntry>& e) {
  e = c.ctx.fds.get(fd);
  if (!e) return err::badf;
  bool is_socket = e->kind == FdKind::Socket || e->kind == FdKind::Listener;
  if (!is_socket) return err::notsock;
  if (e->kind != kind) return kind == FdKind::Listener ? err::inval : err::notconn;
  return c.entry(fd, rights, e);
}

Errno sock_accept(Call& c) {
  std::shared_ptr<FdEntry> listener;
  if (Errno r = socket_entry(c, c.u32(0), FdKind::Listener, right::sock_accept, listener)) return r;
  uint32_t flags = c.u32(1);
  if (flags & ~uint32_t{fdflags::nonblock}) return err::inval;
  c.mem.bytes(c.u32(2), 4);  // fault before a connection is taken off the queue
  wasi_sys::FdSlot slot = c.ctx.fds.reserve();
  if (!slot) return err::mfile;
  int fd;
  for (;;) {
    fd = ::accept4(listener->host.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) break;
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return last_host_errno();
    if (listener->fdflags & fdflags::nonblock) return err::again;
    wait_ready(c.caller, listener->host.get(), POLLIN);
  }
  UniqueFd accepted(fd);
  if (!wasi_sys::leaves_host_room(fd)) return err::mfile;  // the connection is closed
  auto e = std::make_shared<FdEntry>();
  e->kind = FdKind::Socket;
  e->host = std::move(accepted);
  e->filetype = filetype::socket_stream;
  e->fdflags = static_cast<uint16_t>(flags);
  e->rights_base = listener->rights_inheriting & right::socket_stream;
  e->rights_inheriting = listener->rights_inheriting;
  c.mem.store<uint32_t>(c.u32(2), c.ctx.fds.insert(std::move(e), slot));
  return err::success;
}

Errno sock_recv(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = socket_entry(c, c.u32(0), FdKind::Socket, right::fd_read, e)) return r;
  uint32_t ri = c.u32(3);
  if (ri & ~uint32_t{riflag_recv_peek | riflag_recv_waitall}) return err::inval;
  int flags = ((ri & riflag_recv_peek) ? MSG_PEEK : 0) | ((ri & riflag_recv_waitall) ? MSG_WAITALL : 0);
  c.mem.store<uint16_t>(c.u32(5), 0);  // stream sockets never truncate
  return guest_read(c, *e, c.u32(1), c.u32(2), flags, c.u32(4));
}

Errno sock_send(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = socket_entry(c, c.u32(0), FdKind::Socket, right::fd_write, e)) return r;
  if (c.u32(3) != 0) return err::inval;  // siflags has no flags defined
  return guest_write(c, *e, c.u32(1), c.u32(2), c.u32(4));
}

Errno sock_shutdown(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = socket_entry(c, c.u32(0), FdKind::Socket, right::sock_shutdown, e)) return r;
  uint32_t how = c.u32(1);
  if (how == 0 || how > (sdflag_rd | sdflag_wr)) return err::inval;
  int h = how == sdflag_rd ? SHUT_RD : how == sdflag_wr ? SHUT_WR : SHUT_RDWR;
  return ::shutdown(e->host.get(), h) == 0 ? err::success : last_host_errno();
}

}  // namespace

void register_sock(Linker& l) {
  define(l, "sock_accept", "iii", sock_accept);
  define(l, "sock_recv", "iiiiii", sock_recv);
  define(l, "sock_send", "iiiii", sock_send);
  define(l, "sock_shutdown", "ii", sock_shutdown);
}

}  // namespace wasmlet::wasi
