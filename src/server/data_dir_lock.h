// One daemon per data dir: an exclusive flock on DATA_DIR/wasmlet.lock, held
// by `wasmlet serve` for its lifetime and, briefly, by the CLI when it changes
// the recorded state itself because no daemon runs (offline.h).
#pragma once

#include <filesystem>
#include <optional>

namespace wasmlet::server {

class DataDirLock {
 public:
  // nullopt when another process holds it; throws Error when the lock file cannot be opened.
  static std::optional<DataDirLock> try_acquire(const std::filesystem::path& data_dir);
  static std::filesystem::path file(const std::filesystem::path& data_dir) { return data_dir / "wasmlet.lock"; }

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace wasmlet::server
