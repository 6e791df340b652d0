// A limit on the bytes a guest keeps beneath one preopened directory (a
// spec's tmpfs or named volume `size`), for both WASI front ends. Every way
// a guest makes a file longer (write, positioned write, allocate, set-size)
// asks grow_to() first and fails with "no space" when the directory would
// go past its limit, so a workload cannot fill the host's disk.
//
// The count is an upper bound: each growth is added; shrinking (truncate,
// unlink, rename over, close of an unlinked file) is only noticed when the
// bound reaches the limit, which recounts from the disk: the files beneath
// the directory, plus files the process still holds open after they were
// unlinked from it (their blocks are still in use). File sizes count as their
// apparent length (a sparse file counts in full), each inode once; directory
// entries and metadata do not count. Files cannot move in from another
// directory (the front ends refuse a rename or link between preopens with
// different quotas, as between two mounts), so only writes fill it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

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
  // Something beneath the directory may have been freed (an unlink, rmdir,
  // rename, truncation or close): the next growth at the limit recounts at
  // once. Without such a note it recounts at most once a second (space the
  // host freed), so a guest retrying a refused write cannot make the host
  // rescan a large tree on every try.
  void note_shrink() { shrink_noted_.store(true, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::atomic<uint64_t> limit_{UINT64_MAX};  // the smallest limit asked for
  std::atomic<bool> shrink_noted_{false};
  std::mutex mu_;
  uint64_t used_ = 0;  // at least what the directory holds
  std::chrono::steady_clock::time_point last_count_{};
};

// The bytes the files beneath `dir` hold (apparent sizes, each inode once),
// unlinked files this process still holds open included; nullopt when not
// everything could be seen (a tree deeper than the walk goes, an unreadable
// directory): the caller must then assume there is no room.
std::optional<uint64_t> directory_bytes(const std::filesystem::path& dir);

}  // namespace wasmlet::wasi_sys
