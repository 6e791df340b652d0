// Shared by the fd_* and path_* functions: descriptor lookup with rights,
// and filling WASI's filestat from a host stat.
#pragma once

#include <sys/stat.h>

#include "wasi/preview1_call.h"

namespace wasmlet::wasi {

// The entry for `fd` if it has every right in `needed`; else null with
// `error` set: EBADF (no such fd), ENOTCAPABLE (missing right) or EROFS (a
// write under a read-only preopen).
FdEntry* lookup(Call& call, uint32_t fd, uint64_t needed, Errno& error);

Filetype filetype_of(mode_t mode);
// WASI's (atim, mtim, fst_flags) as utimensat's pair; EINVAL for contradictory flags.
Errno wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, timespec out[2]);
void write_filestat(const Call& call, uint32_t ptr, const struct stat& st);

}  // namespace wasmlet::wasi
