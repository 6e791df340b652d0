// One daemon per data dir: an exclusive flock on DATA_DIR/wasmlet.lock, held
// by `wasmlet serve` for its lifetime and, briefly, by the CLI when it changes
// the recorded state itself because no daemon runs (offline.h).
#pragma once

#include <filesystem>
#include <optional>

#include "util/file_lock.h"

namespace wasmlet::server {

class DataDirLock {
 public:
  // nullopt when another process holds it; throws Error when the lock file cannot be opened.
  static std::optional<DataDirLock> try_acquire(const std::filesystem::path& data_dir) {
    auto lock = util::FileLock::try_acquire(file(data_dir));
    if (!lock) return std::nullopt;
    return DataDirLock(std::move(*lock));
  }
  static std::filesystem::path file(const std::filesystem::path& data_dir) { return data_dir / "wasmlet.lock"; }

 private:
  explicit DataDirLock(util::FileLock lock) : lock_(std::move(lock)) {}
  util::FileLock lock_;
};

}  // namespace wasmlet::server
