// Reads and writes on a descriptor's host fd, with the guest's blocking
// semantics: host fds are non-blocking (but for the host's own stdout and
// stderr, whose writes wait for room first); a guest fd without
// fdflags::nonblock waits (interruptibly) instead of getting `again`.
// Sockets write with MSG_NOSIGNAL: a closed peer is `pipe`, never SIGPIPE.
#pragma once

#include <sys/uio.h>

#include <vector>

#include "abi.h"
#include "fd_table.h"
#include "wasi_context.h"
#include "host_call.h"
#include "wasmlet/linker.h"

namespace wasmlet::wasi {

// The most one fd_write hands to an OutputSink; more is a short write.
inline constexpr size_t kMaxSinkWrite = size_t{1} << 20;

// recv_flags: MSG_PEEK / MSG_WAITALL for sockets (sock_recv); 0 otherwise.
Errno read_into(Caller& caller, FdEntry& e, std::vector<iovec>& iov, int recv_flags, size_t& nread);
Errno write_from(Caller& caller, WasiContext& ctx, FdEntry& e, const std::vector<iovec>& iov, size_t& nwritten);

// The guest-facing form shared by fd_read/sock_recv and fd_write/sock_send:
// iovec array (iovs, count) in guest memory, byte count stored at count_ptr.
Errno guest_read(Call& c, FdEntry& e, uint32_t iovs, uint32_t count, int recv_flags, uint32_t count_ptr);
Errno guest_write(Call& c, FdEntry& e, uint32_t iovs, uint32_t count, uint32_t count_ptr);

}  // namespace wasmlet::wasi
