// wasi_snapshot_preview1 ABI constants and layouts, as fixed by the witx
// (legacy/preview1/witx/typenames.witx). Values are wire values: they must
// never be confused with the host's errno or flag numbers.
#pragma once

#include <cstdint>

namespace wasmlet::wasi {

using Errno = uint16_t;

namespace err {
constexpr Errno success = 0, toobig = 1, acces = 2, addrinuse = 3, addrnotavail = 4, afnosupport = 5,
                again = 6, already = 7, badf = 8, badmsg = 9, busy = 10, canceled = 11, child = 12,
                connaborted = 13, connrefused = 14, connreset = 15, deadlk = 16, destaddrreq = 17, dom = 18,
                dquot = 19, exist = 20, fault = 21, fbig = 22, hostunreach = 23, idrm = 24, ilseq = 25,
                inprogress = 26, intr = 27, inval = 28, io = 29, isconn = 30, isdir = 31, loop = 32,
                mfile = 33, mlink = 34, msgsize = 35, multihop = 36, nametoolong = 37, netdown = 38,
                netreset = 39, netunreach = 40, nfile = 41, nobufs = 42, nodev = 43, noent = 44,
                noexec = 45, nolck = 46, nolink = 47, nomem = 48, nomsg = 49, noprotoopt = 50, nospc = 51,
                nosys = 52, notconn = 53, notdir = 54, notempty = 55, notrecoverable = 56, notsock = 57,
                notsup = 58, notty = 59, nxio = 60, overflow = 61, ownerdead = 62, perm = 63, pipe = 64,
                proto = 65, protonosupport = 66, prototype = 67, range = 68, rofs = 69, spipe = 70,
                srch = 71, stale = 72, timedout = 73, txtbsy = 74, xdev = 75, notcapable = 76;
}  // namespace err

namespace filetype {
constexpr uint8_t unknown = 0, block_device = 1, character_device = 2, directory = 3, regular_file = 4,
                  socket_dgram = 5, socket_stream = 6, symbolic_link = 7;
}

namespace fdflags {
constexpr uint16_t append = 1, dsync = 2, nonblock = 4, rsync = 8, sync = 16;
}

namespace oflags {
constexpr uint16_t creat = 1, directory = 2, excl = 4, trunc = 8;
}

namespace lookupflags {
constexpr uint32_t symlink_follow = 1;
}

namespace fstflags {
constexpr uint16_t atim = 1, atim_now = 2, mtim = 4, mtim_now = 8;
}

namespace clockid {
constexpr uint32_t realtime = 0, monotonic = 1, process_cputime = 2, thread_cputime = 3;
}

namespace eventtype {
constexpr uint8_t clock = 0, fd_read = 1, fd_write = 2;
}

constexpr uint16_t subclockflag_abstime = 1;
constexpr uint16_t eventrwflag_hangup = 1;
constexpr uint16_t riflag_recv_peek = 1, riflag_recv_waitall = 2;
constexpr uint16_t sdflag_rd = 1, sdflag_wr = 2;
constexpr uint8_t preopentype_dir = 0;

// Rights: one bit per operation (typenames.witx, $rights).
namespace right {
constexpr uint64_t fd_datasync = 1ull << 0, fd_read = 1ull << 1, fd_seek = 1ull << 2,
                   fd_fdstat_set_flags = 1ull << 3, fd_sync = 1ull << 4, fd_tell = 1ull << 5,
                   fd_write = 1ull << 6, fd_advise = 1ull << 7, fd_allocate = 1ull << 8,
                   path_create_directory = 1ull << 9, path_create_file = 1ull << 10,
                   path_link_source = 1ull << 11, path_link_target = 1ull << 12, path_open = 1ull << 13,
                   fd_readdir = 1ull << 14, path_readlink = 1ull << 15, path_rename_source = 1ull << 16,
                   path_rename_target = 1ull << 17, path_filestat_get = 1ull << 18,
                   path_filestat_set_size = 1ull << 19, path_filestat_set_times = 1ull << 20,
                   fd_filestat_get = 1ull << 21, fd_filestat_set_size = 1ull << 22,
                   fd_filestat_set_times = 1ull << 23, path_symlink = 1ull << 24,
                   path_remove_directory = 1ull << 25, path_unlink_file = 1ull << 26,
                   poll_fd_readwrite = 1ull << 27, sock_shutdown = 1ull << 28, sock_accept = 1ull << 29;
constexpr uint64_t all = (1ull << 30) - 1;

// What makes sense on each kind of descriptor; an fd never holds more.
constexpr uint64_t regular_file = fd_datasync | fd_read | fd_seek | fd_fdstat_set_flags | fd_sync | fd_tell |
                                  fd_write | fd_advise | fd_allocate | fd_filestat_get | fd_filestat_set_size |
                                  fd_filestat_set_times | poll_fd_readwrite;
constexpr uint64_t directory = fd_fdstat_set_flags | fd_sync | fd_datasync | path_create_directory |
                               path_create_file | path_link_source | path_link_target | path_open | fd_readdir |
                               path_readlink | path_rename_source | path_rename_target | path_filestat_get |
                               path_filestat_set_size | path_filestat_set_times | fd_filestat_get |
                               fd_filestat_set_times | path_symlink | path_remove_directory | path_unlink_file;
constexpr uint64_t directory_inheriting = directory | regular_file;
constexpr uint64_t socket_stream = fd_read | fd_write | fd_fdstat_set_flags | fd_filestat_get |
                                   poll_fd_readwrite | sock_shutdown;
constexpr uint64_t socket_listener = sock_accept | fd_fdstat_set_flags | fd_filestat_get | poll_fd_readwrite;
// A character device or pipe (stdio): no seek, no tell, so libc sees a stream.
constexpr uint64_t stream_in = fd_read | fd_fdstat_set_flags | fd_filestat_get | poll_fd_readwrite;
constexpr uint64_t stream_out = fd_write | fd_fdstat_set_flags | fd_filestat_get | poll_fd_readwrite;
// Rights that let an fd change file contents; a read-only preopen grants none.
constexpr uint64_t writes_data = fd_write | fd_allocate | fd_filestat_set_size;
}  // namespace right

// Struct layouts (byte offsets) in guest memory.
namespace layout {
constexpr uint32_t iovec_size = 8;
constexpr uint32_t fdstat_size = 24;
constexpr uint32_t filestat_size = 64;
constexpr uint32_t dirent_size = 24;
constexpr uint32_t prestat_size = 8;
constexpr uint32_t subscription_size = 48;
constexpr uint32_t event_size = 32;
}  // namespace layout

}  // namespace wasmlet::wasi
