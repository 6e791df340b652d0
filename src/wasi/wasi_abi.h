// The wasi_snapshot_preview1 ABI: errno values, flags, rights and the byte
// layouts of the structs a guest passes (from the witx definitions).
#pragma once

#include <cstdint>

namespace wasmlet::wasi {

using Errno = uint16_t;

namespace err {
inline constexpr Errno success = 0, toobig = 1, acces = 2, addrinuse = 3, addrnotavail = 4, afnosupport = 5,
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
}

// Maps a host errno to its WASI value.
Errno from_host_errno(int host_errno);

enum class Filetype : uint8_t {
  Unknown = 0, BlockDevice = 1, CharacterDevice = 2, Directory = 3, RegularFile = 4,
  SocketDgram = 5, SocketStream = 6, SymbolicLink = 7,
};

namespace fdflags {
inline constexpr uint16_t append = 1, dsync = 2, nonblock = 4, rsync = 8, sync = 16;
}
namespace oflags {
inline constexpr uint16_t creat = 1, directory = 2, excl = 4, trunc = 8;
}
namespace lookupflags {
inline constexpr uint32_t symlink_follow = 1;
}
namespace fstflags {
inline constexpr uint16_t atim = 1, atim_now = 2, mtim = 4, mtim_now = 8;
}

namespace rights {
inline constexpr uint64_t fd_datasync = 1ull << 0, fd_read = 1ull << 1, fd_seek = 1ull << 2,
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
inline constexpr uint64_t all = (1ull << 30) - 1;
// Rights that modify what is stored: refused everywhere under a read-only preopen.
inline constexpr uint64_t writes = fd_datasync | fd_write | fd_allocate | fd_filestat_set_size |
                                   fd_filestat_set_times | path_create_directory | path_create_file |
                                   path_link_target | path_rename_source | path_rename_target |
                                   path_filestat_set_size | path_filestat_set_times | path_symlink |
                                   path_remove_directory | path_unlink_file;
inline constexpr uint64_t regular_file = fd_datasync | fd_read | fd_seek | fd_fdstat_set_flags | fd_sync |
                                         fd_tell | fd_write | fd_advise | fd_allocate | fd_filestat_get |
                                         fd_filestat_set_size | fd_filestat_set_times | poll_fd_readwrite;
inline constexpr uint64_t directory = fd_fdstat_set_flags | fd_sync | fd_advise | path_create_directory |
                                      path_create_file | path_link_source | path_link_target | path_open |
                                      fd_readdir | path_readlink | path_rename_source | path_rename_target |
                                      path_filestat_get | path_filestat_set_size | path_filestat_set_times |
                                      fd_filestat_get | fd_filestat_set_times | path_symlink |
                                      path_remove_directory | path_unlink_file;
inline constexpr uint64_t socket = fd_read | fd_write | fd_fdstat_set_flags | fd_filestat_get |
                                   poll_fd_readwrite | sock_shutdown | sock_accept;
inline constexpr uint64_t tty = fd_read | fd_write | fd_fdstat_set_flags | fd_filestat_get | poll_fd_readwrite;
}  // namespace rights

enum class Clock : uint32_t { Realtime = 0, Monotonic = 1, ProcessCputime = 2, ThreadCputime = 3 };
enum class EventType : uint8_t { Clock = 0, FdRead = 1, FdWrite = 2 };

// Struct sizes and field offsets (wasm32).
namespace layout {
inline constexpr uint32_t iovec_size = 8;        // buf u32 @0, buf_len u32 @4
inline constexpr uint32_t fdstat_size = 24;      // filetype u8 @0, flags u16 @2, base u64 @8, inheriting u64 @16
inline constexpr uint32_t filestat_size = 64;    // dev @0 ino @8 filetype u8 @16 nlink @24 size @32 atim @40 mtim @48 ctim @56
inline constexpr uint32_t prestat_size = 8;      // tag u8 @0, name_len u32 @4
inline constexpr uint32_t dirent_size = 24;      // d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20
inline constexpr uint32_t subscription_size = 48;  // userdata u64 @0, tag u8 @8, union @16
inline constexpr uint32_t event_size = 32;       // userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24
}  // namespace layout

}  // namespace wasmlet::wasi
