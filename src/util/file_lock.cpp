#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::util {

namespace {

// Owner-only: another user who could open a lock file could hold it and stall
// wasmlet (the daemon's DATA_DIR/wasmlet.lock included).
int open_lock_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(fmt::format("cannot open the lock file {}: {}", path.string(), std::strerror(errno)));
  return fd;
}

// flock, retried on EINTR; false if `non_blocking` and someone else holds it.
bool lock(int fd, bool non_blocking, const std::filesystem::path& path, int mode = LOCK_EX) {
  while (::flock(fd, mode | (non_blocking ? LOCK_NB : 0)) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    const int error = errno;
    ::close(fd);
    throw Error(fmt::format("cannot lock {}: {}", path.string(), std::strerror(error)));
  }
  return true;
}

}  // namespace

FileLock FileLock::acquire(const std::filesystem::path& path) {
  const int fd = open_lock_file(path);
  lock(fd, false, path);
  return FileLock(fd);
}

FileLock FileLock::acquire_shared(const std::filesystem::path& path) {
  const int fd = open_lock_file(path);
  lock(fd, false, path, LOCK_SH);
  return FileLock(fd);
}

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path) {
  const int fd = open_lock_file(path);
  if (lock(fd, true, path)) return FileLock(fd);
  ::close(fd);
  return std::nullopt;
}

bool FileLock::held_by_other(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  return !try_acquire(path).has_value();
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace wasmlet::util
