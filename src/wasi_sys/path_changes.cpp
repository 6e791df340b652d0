#include "wasi_sys/path_changes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace wasmlet::wasi_sys {

ResolveStatus set_times_beneath(int dirfd, std::string_view path, bool follow_final, const timespec times[2]) {
  if (follow_final || (!path.empty() && path.back() == '/')) {
    // Resolve beneath first, then touch exactly that inode through its fd
    // (utimensat cannot take an O_PATH fd itself).
    UniqueFd fd;
    if (ResolveStatus s = open_beneath(dirfd, path, O_PATH, 0, true, fd)) return s;
    std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
    return ::utimensat(AT_FDCWD, proc.c_str(), times, 0) == 0 ? 0 : errno;
  }
  ParentDir p;
  if (ResolveStatus s = open_parent(dirfd, path, p)) return s;
  return ::utimensat(p.dir.get(), p.name.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

ResolveStatus create_symlink(std::string_view target, const ParentDir& at) {
  if (target.size() > kMaxPathBytes) return ENAMETOOLONG;
  if (!target.empty() && target.front() == '/') return EPERM;
  std::string t(target);
  return ::symlinkat(t.c_str(), at.dir.get(), at.name.c_str()) == 0 ? 0 : errno;
}

}  // namespace wasmlet::wasi_sys
