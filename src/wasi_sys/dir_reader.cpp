#include "wasi_sys/dir_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "wasi_sys/unique_fd.h"

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

}  // namespace

int read_directory_at(int dirfd, uint64_t position, const std::function<bool(const DirEntryAt&)>& each) {
  UniqueFd fd(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno;
  if (position != 0 && ::lseek(fd.get(), off_t(position), SEEK_SET) < 0) return errno;
  alignas(KernelDirent) char buf[16 << 10];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    for (long at = 0; at < n;) {
      auto* d = reinterpret_cast<const KernelDirent*>(buf + at);
      at += d->d_reclen;
      DirEntryAt entry{d->d_name, d->d_ino, d->d_type, uint64_t(d->d_off)};
      if (entry.type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(fd.get(), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) entry.type = IFTODT(st.st_mode);
      }
      if (!each(entry)) return 0;
    }
  }
}

}  // namespace wasmlet::wasi_sys
