// Reading a directory a piece at a time, for both WASI front ends: a guest's
// listing (fd_readdir, read-directory) costs the host one small getdents
// buffer, whatever the directory's size, instead of a copy of the whole
// directory.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

namespace wasmlet::wasi_sys {

// One entry as the kernel reports it.
struct DirEntryAt {
  std::string_view name;
  uint64_t ino = 0;
  unsigned char type = 0;  // DT_* (DT_UNKNOWN resolved with fstatat where it can be)
  uint64_t next = 0;       // the position just after this entry (its d_off)
};

// A listing of one open directory, read on call after call where the last
// call stopped. A position (d_off) is only good for the open directory that
// gave it: on overlayfs the first unlink in a lower-only directory copies it
// up, and an old position then seeks past the end of a fresh open, so the
// listing ended early with entries never seen (a guest that listed a batch
// and unlinked it, as `rm -r` does, left most of the directory behind). So
// the stream keeps reading the one open directory it was given, as
// readdir(3) does, and the records of its last getdents not yet handed on
// (at most kBufferBytes: the leftover of one small buffer).
class DirStream {
 public:
  static constexpr size_t kBufferBytes = 4096;  // one getdents: holds any one entry (a 255-byte name)

  // Hands the entries of the directory open as `fd` to `each` from
  // `position` ("." and ".." included as the kernel orders them), until
  // `each` returns false (that entry is kept: it comes first from the
  // position before it) or the directory ends. `position` is 0 (the start)
  // or an entry's `next`: the one the last call stopped after continues on
  // the open directory, anything else seeks it (0 rewinds). `fd` must be an
  // open description only this stream reads or seeks; if something else
  // moved it, the stream seeks to `position` on it. Returns 0, or the errno
  // of a failed seek or read.
  int read(int fd, uint64_t position, const std::function<bool(const DirEntryAt&)>& each);

 private:
  std::mutex mu_;
  std::vector<char> pending_;  // getdents records not yet handed on (whole records)
  size_t pending_at_ = 0;      // the first of them
  uint64_t resume_ = 0;        // the position the records at pending_at_ (or the fd's offset, if none) start at
  int64_t fd_offset_ = -1;     // the fd's offset after the read that filled pending_ (-1: none yet)
};

}  // namespace wasmlet::wasi_sys
