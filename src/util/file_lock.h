// A flock(2) on a lock file, released when the object goes (or the process
// ends: a crashed holder never leaves a stale lock behind). The one file lock
// of wasmlet: the image store's blobs and index, the AOT cache.
#pragma once

#include <filesystem>
#include <optional>

namespace wasmlet::util {

class FileLock {
 public:
  // Waits for the lock. Throws wasmlet::Error naming the file if it cannot be opened.
  static FileLock acquire(const std::filesystem::path& path);
  // Waits for a shared lock (any number of holders; excludes acquire()).
  static FileLock acquire_shared(const std::filesystem::path& path);
  // The lock if nobody holds it now, else nullopt.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path);
  // Whether someone holds the lock now (it is not taken).
  static bool held_by_other(const std::filesystem::path& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace wasmlet::util
