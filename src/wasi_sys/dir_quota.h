// A limit on what a guest keeps beneath one preopened directory (a spec's
// tmpfs or named volume `size`), for both WASI front ends: the bytes of its
// files, and the number of its entries. Every way a guest makes a file
// longer (write, positioned write, allocate, set-size) asks first, and so
// does every way it makes a new name (create a file, directory, symlink or
// hard link); past the limit the call fails with "no space", so a workload
// can fill neither the host's disk nor its inodes.
//
// Entries are limited as a small ext4 file system (mkfs's "small" inode
// ratio) or a tmpfs (a page per inode) would be: one per 4 KiB of the size,
// at least kMinEntries. Each could take a 4 KiB block of the host's disk (a
// directory does), so the names together hold about as much again as the
// limit allows the files' bytes, never millions of inodes.
//
// The counts are upper bounds: each growth and each new name is added;
// shrinking (truncate, unlink, rmdir, rename over, close of an unlinked
// file) is only noticed when a count reaches its limit, which recounts from
// the disk: the files beneath the directory, plus files the process still
// holds open after they were unlinked from it (their blocks are still in
// use). File sizes count as their apparent length (a sparse file counts in
// full), each inode once; every name beneath the directory (file,
// directory, symlink, hard link, other) is one entry. Files cannot move in
// from another directory (the front ends refuse a rename or link between
// preopens with different quotas, as between two mounts).
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
  static constexpr uint64_t kBytesPerEntry = 4096;  // the size allows one entry per this many bytes
  static constexpr uint64_t kMinEntries = 1024;     // however small the size

  // The one quota of `dir` in this process (shared by every context that
  // preopens the directory with a limit, so runs and execs of one instance
  // share it); created, by scanning the directory, when none is held.
  static std::shared_ptr<DirQuota> of(const std::filesystem::path& dir, uint64_t limit);

  explicit DirQuota(std::filesystem::path dir);
  // Whether the file open as `fd` may grow to `end` bytes without the
  // directory going past `limit`; if so the growth is counted. A file
  // already at least `end` long always may.
  bool grow_to(int fd, uint64_t end);
  // How many of `len` bytes written at `start` of the file open as `fd`
  // fit: all if the file does not grow, else those that keep the directory
  // within its limit (the growth is counted). 0 when none fit: the write is
  // "no space"; fewer than `len` is a short write, as a full disk gives.
  // On an fd with O_APPEND the write is counted from the end of the file,
  // whatever `start` says: there is where Linux writes it.
  uint64_t room_for_write(int fd, uint64_t start, uint64_t len) { return fit(fd, start, len, true); }
  // As room_for_write, counting nothing: what a write could have now.
  uint64_t would_fit(int fd, uint64_t start, uint64_t len) { return fit(fd, start, len, false); }
  // Whether one more name may be made beneath the directory; if so it is
  // counted. give_back_entry() uncounts it when the call made nothing.
  bool take_entry();
  void give_back_entry();
  // Something beneath the directory may have been freed (an unlink, rmdir,
  // rename, truncation or close): the next count at its limit recounts at
  // once. Without such a note it recounts at most once a second (space the
  // host freed), so a guest retrying a refused call cannot make the host
  // rescan a large tree on every try.
  void note_shrink() { shrink_noted_.store(true, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  uint64_t entry_limit() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  // Under mu_: how many of `growth` bytes fit (all, or what is left after a
  // recount, if one is due). Counts nothing.
  uint64_t room_locked(uint64_t growth);
  uint64_t fit(int fd, uint64_t start, uint64_t len, bool count);
  // Under mu_: counts again from the disk, if something may have been freed
  // or a second has passed since the last count; false if not due.
  bool recount_if_due();

  std::filesystem::path dir_;
  std::atomic<uint64_t> limit_{UINT64_MAX};  // the smallest limit asked for
  std::atomic<bool> shrink_noted_{false};
  std::mutex mu_;
  uint64_t used_ = 0;     // at least what the directory's files hold
  uint64_t entries_ = 0;  // at least how many names are beneath it
  std::chrono::steady_clock::time_point last_count_{};
};

// A new name a call is about to make beneath a sized directory (none
// without a quota): taken from the quota before the call, given back when
// the call fails (nothing was made) unless kept.
class NewEntry {
 public:
  NewEntry() = default;
  explicit NewEntry(DirQuota* quota) { take(quota); }
  NewEntry(const NewEntry&) = delete;
  NewEntry& operator=(const NewEntry&) = delete;
  ~NewEntry() {
    if (taken_) taken_->give_back_entry();
  }
  // Takes the entry from `quota` (nothing to take without one).
  void take(DirQuota* quota) {
    if (quota && quota->take_entry()) taken_ = quota;
    else refused_ = quota != nullptr;
  }
  // The directory is full: the call must fail with "no space".
  bool refused() const { return refused_; }
  // The call made the entry: it stays counted.
  void keep() { taken_ = nullptr; }

 private:
  DirQuota* taken_ = nullptr;
  bool refused_ = false;
};

// What is beneath `dir`: the bytes its files hold (apparent sizes, each inode
// once, unlinked files this process still holds open included) and its
// names; nullopt when not everything could be seen (a tree deeper than the
// walk goes, an unreadable directory): the caller must then assume it full.
struct DirectoryUsage {
  uint64_t bytes = 0;
  uint64_t entries = 0;
};
std::optional<DirectoryUsage> directory_usage(const std::filesystem::path& dir);

}  // namespace wasmlet::wasi_sys
