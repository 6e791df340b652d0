// Reads and writes on a descriptor's host fd, with the guest's blocking
// semantics: host fds are always non-blocking; a guest fd without
// fdflags::nonblock waits (interruptibly) instead of getting `again`.
// Sockets write with MSG_NOSIGNAL: a closed peer is `pipe`, never SIGPIPE.
#pragma once

#include <sys/uio.h>

#include <vector>

#include "abi.h"
#include "fd_table.h"
#include "wasi_context.h"
#include "wasmlet/linker.h"

namespace wasmlet::wasi {

// recv_flags: MSG_PEEK / MSG_WAITALL for sockets (sock_recv); 0 otherwise.
Errno read_into(Caller& caller, FdEntry& e, std::vector<iovec>& iov, int recv_flags, size_t& nread);
Errno write_from(Caller& caller, WasiContext& ctx, FdEntry& e, const std::vector<iovec>& iov, size_t& nwritten);

}  // namespace wasmlet::wasi
