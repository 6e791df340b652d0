// Reading a directory a piece at a time, for both WASI front ends: a guest's
// listing (fd_readdir, read-directory) costs the host one getdents buffer,
// whatever the directory's size, instead of a copy of the whole directory.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace wasmlet::wasi_sys {

// One entry as the kernel reports it.
struct DirEntryAt {
  std::string_view name;
  uint64_t ino = 0;
  unsigned char type = 0;  // DT_* (DT_UNKNOWN resolved with fstatat where it can be)
  uint64_t next = 0;       // the position just after this entry (its d_off)
};

// Reads the entries of directory `dirfd` from `position` (0: the start; else
// an entry's `next`), "." and ".." included as the kernel orders them, and
// hands each to `each` until it returns false or the directory ends. Reads
// through a fresh open description, so `dirfd`'s own offset is untouched.
// Returns 0, or the errno of a failed open, seek or read.
int read_directory_at(int dirfd, uint64_t position, const std::function<bool(const DirEntryAt&)>& each);

}  // namespace wasmlet::wasi_sys
