#include "wasi/sandbox_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wasmlet::wasi {

namespace {

Errno check_path(std::string_view path) {
  if (path.empty()) return err::noent;
  if (path.find('\0') != std::string_view::npos) return err::ilseq;
  if (path.front() == '/') return err::notcapable;  // absolute paths never name anything in a preopen
  return err::success;
}

}  // namespace

int open_beneath(int dirfd, std::string_view path, int flags, unsigned mode, bool follow_final, Errno& error) {
  if ((error = check_path(path)) != err::success) return -1;
  std::string p(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | (follow_final ? 0 : O_NOFOLLOW));
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) {
    // O_NOFOLLOW on a final symlink answers ELOOP; when the guest asked for
    // the file itself rather than a directory, that is what WASI expects too.
    error = from_host_errno(errno);
    return -1;
  }
  error = err::success;
  return static_cast<int>(fd);
}

Errno resolve_parent(int dirfd, std::string_view path, PathTarget& out) {
  if (Errno e = check_path(path); e != err::success) return e;
  std::string p(path);
  out.trailing_slash = false;
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
    out.trailing_slash = true;
  }
  auto slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "." : p.substr(0, slash);
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (parent.empty()) parent = "/";  // cannot happen after check_path, kept for safety
  Errno e;
  if (name == "." || name == "..") {
    // Resolve the whole path: the kernel keeps ".." beneath the preopen.
    int fd = open_beneath(dirfd, p, O_PATH | O_DIRECTORY, 0, true, e);
    if (fd < 0) return e;
    out.dir = std::make_shared<HostFd>(fd);
    out.name.clear();
    return err::success;
  }
  int fd = open_beneath(dirfd, parent, O_PATH | O_DIRECTORY, 0, true, e);
  if (fd < 0) return e;
  out.dir = std::make_shared<HostFd>(fd);
  out.name = std::move(name);
  return err::success;
}

}  // namespace wasmlet::wasi
