// A limit on the bytes a guest keeps beneath one preopened directory (a
// spec's tmpfs or named volume `size`), for both WASI front ends. Every way
// a guest makes a file longer (write, positioned write, allocate, set-size)
// asks grow_to() first and fails with "no space" when the directory would
// go past its limit, so a workload cannot fill the host's disk.
//
// The count is an upper bound: each growth is added; shrinking (truncate,
// unlink, rename over) is only noticed when the bound reaches the limit,
// which rescans the directory. File sizes count as their apparent length
// (a sparse file counts in full), each inode once; directory entries and
// metadata do not count.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

namespace wasmlet::wasi_sys {

class DirQuota {
 public:
  // The one quota of `dir` in this process (shared by every context that
  // preopens the directory with a limit, so runs and execs of one instance
  // share it); created, by scanning the directory, when none is held.
  static std::shared_ptr<DirQuota> of(const std::filesystem::path& dir, uint64_t limit);

  explicit DirQuota(std::filesystem::path dir);
  // Whether the file open as `fd` may grow to `end` bytes without the
  // directory going past `limit`; if so the growth is counted. A file
  // already at least `end` long always may.
  bool grow_to(int fd, uint64_t end);
  uint64_t limit() const { return limit_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::atomic<uint64_t> limit_{UINT64_MAX};  // the smallest limit asked for
  std::mutex mu_;
  uint64_t used_ = 0;  // at least what the directory holds
};

// The bytes of the files beneath `dir` (apparent sizes, each inode once).
uint64_t directory_bytes(const std::filesystem::path& dir);

}  // namespace wasmlet::wasi_sys
