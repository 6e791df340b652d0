// preview1's sock_accept, sock_recv, sock_send and sock_shutdown over
// wasi:sockets/tcp and wasi:io/streams.
//
// jco's preview1 adapter implements these four as `unreachable`. Linked with
// -Wl,--wrap for each of them (and for fd_close, to release what they
// opened), a program built for wasm32-wasi reaches the host's TCP sockets
// as it would through wasi-libc's wasm32-wasip2 target.
//
// A WASI 0.2 component has no preopened sockets. The listener that a
// preview1 program receives as fd 3 (wasmlet run --tcplisten) is created
// here on first use, bound to the IPv4 address and port in the environment
// variable WASIP2_GLUE_TCPLISTEN ("127.0.0.1:8080"); without it, fd 3 is
// not a socket (EBADF), as without --tcplisten. Accepted connections get
// fds from 1024 up, clear of the adapter's own.
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

#include "imports.h"

enum { LISTENER_FD = 3, FIRST_CONNECTION_FD = 1024, MAX_CONNECTIONS = 64, MAX_WRITE = 4096 };

typedef struct {
  int open;
  int32_t socket, input, output;
} connection;

static int32_t listener = -1;
static connection connections[MAX_CONNECTIONS];

__wasi_errno_t __real___wasi_fd_close(__wasi_fd_t fd);

static __wasi_errno_t errno_of(uint8_t error_code) {
  static const __wasi_errno_t table[] = {
      __WASI_ERRNO_IO,          __WASI_ERRNO_ACCES,        __WASI_ERRNO_NOTSUP,      __WASI_ERRNO_INVAL,
      __WASI_ERRNO_NOMEM,       __WASI_ERRNO_TIMEDOUT,     __WASI_ERRNO_ALREADY,     __WASI_ERRNO_INVAL,
      __WASI_ERRNO_AGAIN,       __WASI_ERRNO_INVAL,        __WASI_ERRNO_MFILE,       __WASI_ERRNO_ADDRNOTAVAIL,
      __WASI_ERRNO_ADDRINUSE,   __WASI_ERRNO_HOSTUNREACH,  __WASI_ERRNO_CONNREFUSED, __WASI_ERRNO_CONNRESET,
      __WASI_ERRNO_CONNABORTED, __WASI_ERRNO_MSGSIZE,
  };
  return error_code < sizeof table / sizeof table[0] ? table[error_code] : __WASI_ERRNO_IO;
}

static void wait_for(int32_t socket) {
  int32_t pollable = p2_tcp_subscribe(socket);
  p2_pollable_block(pollable);
  p2_drop_pollable(pollable);
}

// start-X then finish-X, waiting while finish-X says would-block.
static __wasi_errno_t two_phase(int32_t socket, void (*finish)(int32_t, p2_unit_result*), p2_unit_result started) {
  if (started.is_err) return errno_of(started.error);
  for (;;) {
    p2_unit_result r;
    finish(socket, &r);
    if (!r.is_err) return 0;
    if (r.error != P2_ERROR_WOULD_BLOCK) return errno_of(r.error);
    wait_for(socket);
  }
}

static __wasi_errno_t open_listener(void) {
  const char* spec = getenv("WASIP2_GLUE_TCPLISTEN");
  unsigned a[4], port;
  if (!spec || sscanf(spec, "%u.%u.%u.%u:%u", &a[0], &a[1], &a[2], &a[3], &port) != 5) return __WASI_ERRNO_BADF;
  p2_handle_result created;
  p2_create_tcp_socket(P2_IPV4, &created);
  if (created.is_err) return errno_of(created.u.error);
  int32_t socket = created.u.handle;
  int32_t network = p2_instance_network();
  p2_unit_result started;
  p2_tcp_start_bind(socket, network, P2_IPV4, (int32_t)port, (int32_t)a[0], (int32_t)a[1], (int32_t)a[2], (int32_t)a[3],
                    0, 0, 0, 0, 0, 0, &started);
  __wasi_errno_t e = two_phase(socket, p2_tcp_finish_bind, started);
  p2_drop_network(network);
  if (!e) {
    p2_tcp_start_listen(socket, &started);
    e = two_phase(socket, p2_tcp_finish_listen, started);
  }
  if (e) {
    p2_drop_tcp_socket(socket);
    return e;
  }
  listener = socket;
  return 0;
}

static connection* find_connection(__wasi_fd_t fd) {
  if (fd < FIRST_CONNECTION_FD || fd >= FIRST_CONNECTION_FD + MAX_CONNECTIONS) return NULL;
  connection* c = &connections[fd - FIRST_CONNECTION_FD];
  return c->open ? c : NULL;
}

__wasi_errno_t __wrap___wasi_sock_accept(__wasi_fd_t fd, __wasi_fdflags_t flags, __wasi_fd_t* accepted) {
  if (fd != LISTENER_FD) return find_connection(fd) ? __WASI_ERRNO_NOTSUP : __WASI_ERRNO_BADF;
  if (listener < 0) {
    __wasi_errno_t e = open_listener();
    if (e) return e;
  }
  int slot = 0;
  while (slot < MAX_CONNECTIONS && connections[slot].open) ++slot;
  if (slot == MAX_CONNECTIONS) return __WASI_ERRNO_MFILE;
  for (;;) {
    p2_accept_result r;
    p2_tcp_accept(listener, &r);
    if (!r.is_err) {
      connections[slot] = (connection){1, r.u.ok.socket, r.u.ok.input, r.u.ok.output};
      *accepted = (__wasi_fd_t)(FIRST_CONNECTION_FD + slot);
      return 0;
    }
    if (r.u.error != P2_ERROR_WOULD_BLOCK) return errno_of(r.u.error);
    if (flags & __WASI_FDFLAGS_NONBLOCK) return __WASI_ERRNO_AGAIN;
    wait_for(listener);
  }
}

// A stream error: `closed` is the end of the stream, anything else fails.
static __wasi_errno_t stream_failure(p2_stream_error e) {
  if (e.tag == 1) return 0;
  p2_drop_error(e.error);
  return __WASI_ERRNO_IO;
}

__wasi_errno_t __wrap___wasi_sock_recv(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t iovs_len,
                                       __wasi_riflags_t flags, __wasi_size_t* received, __wasi_roflags_t* out_flags) {
  connection* c = find_connection(fd);
  if (!c) return fd == LISTENER_FD ? __WASI_ERRNO_NOTCONN : __WASI_ERRNO_BADF;
  if (flags) return __WASI_ERRNO_NOTSUP;  // RECV_PEEK / RECV_WAITALL
  *received = 0;
  *out_flags = 0;
  size_t i = 0;
  while (i < iovs_len && iovs[i].buf_len == 0) ++i;
  if (i == iovs_len) return 0;
  p2_read_result r;
  p2_blocking_read(c->input, (int64_t)iovs[i].buf_len, &r);
  if (r.is_err) return stream_failure(r.u.err);  // closed: 0 bytes, the peer shut down
  for (size_t k = 0; k < r.u.ok.len; ++k) iovs[i].buf[k] = r.u.ok.ptr[k];
  *received = (__wasi_size_t)r.u.ok.len;
  if (r.u.ok.len) free(r.u.ok.ptr);  // an empty list's pointer is cabi_realloc's dummy, not the heap's
  return 0;
}

__wasi_errno_t __wrap___wasi_sock_send(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t iovs_len,
                                       __wasi_siflags_t flags, __wasi_size_t* sent) {
  (void)flags;
  connection* c = find_connection(fd);
  if (!c) return fd == LISTENER_FD ? __WASI_ERRNO_NOTCONN : __WASI_ERRNO_BADF;
  *sent = 0;
  for (size_t i = 0; i < iovs_len; ++i) {
    for (size_t done = 0; done < iovs[i].buf_len;) {
      size_t n = iovs[i].buf_len - done;
      if (n > MAX_WRITE) n = MAX_WRITE;  // blocking-write-and-flush takes at most 4096 bytes
      p2_write_result r;
      p2_blocking_write_and_flush(c->output, iovs[i].buf + done, n, &r);
      if (r.is_err) return r.err.tag == 1 ? __WASI_ERRNO_PIPE : stream_failure(r.err);
      done += n;
      *sent += (__wasi_size_t)n;
    }
  }
  return 0;
}

__wasi_errno_t __wrap___wasi_sock_shutdown(__wasi_fd_t fd, __wasi_sdflags_t how) {
  connection* c = find_connection(fd);
  if (!c) return fd == LISTENER_FD ? __WASI_ERRNO_NOTCONN : __WASI_ERRNO_BADF;
  int rd = (how & __WASI_SDFLAGS_RD) != 0, wr = (how & __WASI_SDFLAGS_WR) != 0;
  if (!rd && !wr) return __WASI_ERRNO_INVAL;
  p2_unit_result r;
  p2_tcp_shutdown(c->socket, rd && wr ? 2 : rd ? 0 : 1, &r);  // shutdown-type: receive, send, both
  return r.is_err ? errno_of(r.error) : 0;
}

__wasi_errno_t __wrap___wasi_fd_close(__wasi_fd_t fd) {
  connection* c = find_connection(fd);
  if (!c) {
    if (fd == LISTENER_FD && listener >= 0) {
      p2_drop_tcp_socket(listener);
      listener = -1;
      return 0;
    }
    return __real___wasi_fd_close(fd);
  }
  // Child resources first: the streams, then the socket they belong to.
  p2_drop_input_stream(c->input);
  p2_drop_output_stream(c->output);
  p2_drop_tcp_socket(c->socket);
  c->open = 0;
  return 0;
}
