#include "wasi_sys/dir_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace wasmlet::wasi_sys {

namespace {

// The record getdents64 fills (linux_dirent64).
struct KernelDirent {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

const KernelDirent* record_at(const std::vector<char>& buf, size_t at) {
  return reinterpret_cast<const KernelDirent*>(buf.data() + at);
}

}  // namespace

int DirStream::read(int fd, uint64_t position, const std::function<bool(const DirEntryAt&)>& each) {
  std::lock_guard lock(mu_);
  const off_t offset = ::lseek(fd, 0, SEEK_CUR);
  if (offset < 0) return errno;
  // Where `position` is in what this stream read last: at its resume point,
  // or just after one of the records still held.
  bool found = fd_offset_ == offset && position == resume_;
  if (!found && fd_offset_ == offset) {
    for (size_t at = pending_at_; at < pending_.size(); at += record_at(pending_, at)->d_reclen) {
      if (uint64_t(record_at(pending_, at)->d_off) == position) {
        pending_at_ = at + record_at(pending_, at)->d_reclen;
        found = true;
        break;
      }
    }
  }
  if (!found) {  // another position (a rewind, an old cookie), or the fd was moved
    pending_.clear();
    pending_at_ = 0;
    if (::lseek(fd, off_t(position), SEEK_SET) < 0) return errno;
    fd_offset_ = off_t(position);
  }
  resume_ = position;
  for (;;) {
    while (pending_at_ < pending_.size()) {
      const KernelDirent* d = record_at(pending_, pending_at_);
      DirEntryAt entry{d->d_name, d->d_ino, d->d_type, uint64_t(d->d_off)};
      if (entry.type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) entry.type = IFTODT(st.st_mode);
      }
      if (!each(entry)) return 0;
      pending_at_ += d->d_reclen;
      resume_ = entry.next;
    }
    pending_.resize(kBufferBytes);
    pending_at_ = 0;
    long n;
    do n = ::syscall(SYS_getdents64, fd, pending_.data(), pending_.size());
    while (n < 0 && errno == EINTR);
    const int error = errno;
    pending_.resize(n > 0 ? size_t(n) : 0);
    const off_t after = ::lseek(fd, 0, SEEK_CUR);
    fd_offset_ = after;
    if (n < 0) return error;
    if (after < 0) return errno;
    if (n == 0) {
      pending_.shrink_to_fit();
      return 0;
    }
  }
}

}  // namespace wasmlet::wasi_sys
