#include "wasi_sys/path_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::wasi_sys {

namespace {

std::atomic<bool> g_force_fallback{false};
std::atomic<bool> g_openat2_missing{false};

constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// What leaving the starting directory means: an escape (beneath: a preopen),
// or a return to it (in root: "/" of a container's rootfs).
enum class Scope { Beneath, InRoot };

// Portable walker: one component at a time with O_NOFOLLOW, symlinks expanded
// by hand, ".." never above the starting directory. Racy against concurrent
// renames on the host (the kernel path is not), which is why it is a fallback.
ResolveStatus walk(Scope scope, int root, std::string_view path, int flags, mode_t mode, bool follow_final,
                   UniqueFd& out) {
  const bool in_root = scope == Scope::InRoot;
  if (!in_root && !path.empty() && path.front() == '/') return kEscapes;
  std::deque<std::string> comps;
  for (auto& c : split_components(path)) comps.push_back(std::move(c));
  bool trailing = !path.empty() && path.back() == '/';
  if (comps.empty()) comps.push_back(".");
  std::vector<UniqueFd> stack;  // directories entered below root
  auto cur = [&] { return stack.empty() ? root : stack.back().get(); };
  int symlinks = 0;
  while (!comps.empty()) {
    std::string c = std::move(comps.front());
    comps.pop_front();
    bool last = comps.empty();
    if (c == "..") {
      if (stack.empty() && !in_root) return kEscapes;
      if (!stack.empty()) stack.pop_back();
      c = ".";
    }
    if (c == ".") {
      if (!last) continue;
      int fd = ::openat(cur(), ".", flags | O_CLOEXEC, mode);
      if (fd < 0) return errno;
      out = UniqueFd(fd);
      return 0;
    }
    bool follow = !last || trailing || follow_final;
    if (follow) {
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(cur(), c.c_str(), buf, sizeof buf);
      if (n >= 0) {
        if (++symlinks > kMaxSymlinks) return ELOOP;
        std::string_view target(buf, static_cast<size_t>(n));
        if (!target.empty() && target.front() == '/') {
          if (!in_root) return kEscapes;
          stack.clear();  // an absolute link starts again at the root
        }
        auto parts = split_components(target);
        // A link to a directory keeps the trailing-slash meaning of what followed it.
        if (parts.empty() || target.back() == '/') parts.push_back(".");
        comps.insert(comps.begin(), parts.begin(), parts.end());
        continue;
      }
    }
    if (!last || trailing) {
      int fd = ::openat(cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return errno;
      stack.emplace_back(fd);
      if (last) comps.push_back(".");
      continue;
    }
    int fd = ::openat(cur(), c.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return errno;
    out = UniqueFd(fd);
    return 0;
  }
  return ENOENT;
}

// openat2 with `resolve` (plus RESOLVE_NO_MAGICLINKS); nullopt where the
// kernel has no openat2 (or a test forces the walker).
std::optional<ResolveStatus> kernel_open(int dirfd, std::string_view path, int flags, mode_t mode, uint64_t resolve,
                                         UniqueFd& out) {
  if (g_force_fallback || g_openat2_missing) return std::nullopt;
  std::string p(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = mode;
  how.resolve = resolve | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 16; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how);
    if (fd >= 0) {
      out = UniqueFd(static_cast<int>(fd));
      return 0;
    }
    if (errno == EAGAIN || errno == EINTR) continue;  // a concurrent rename raced the lookup
    if (errno == ENOSYS) break;
    if (errno == EXDEV) return kEscapes;  // the path tried to leave dirfd
    return errno;
  }
  if (errno != ENOSYS) return errno;
  g_openat2_missing = true;
  return std::nullopt;
}

}  // namespace

void force_fallback_resolver(bool on) { g_force_fallback = on; }

ResolveStatus open_beneath(int dirfd, std::string_view path, int flags, mode_t mode, bool follow_final, UniqueFd& out) {
  if (path.empty()) return ENOENT;
  if (path.size() > kMaxPathBytes) return ENAMETOOLONG;
  if (path.find('\0') != std::string_view::npos) return EINVAL;
  if (path.front() == '/') return kEscapes;
  if (!follow_final) flags |= O_NOFOLLOW;
  if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE) mode = 0;  // openat2 insists (O_TMPFILE includes O_DIRECTORY)
  if (std::optional<ResolveStatus> s = kernel_open(dirfd, path, flags, mode, RESOLVE_BENEATH, out)) return *s;
  return walk(Scope::Beneath, dirfd, path, flags & ~O_NOFOLLOW, mode, follow_final, out);
}

ResolveStatus open_parent(int dirfd, std::string_view path, ParentDir& out) {
  if (path.empty()) return ENOENT;
  if (path.size() > kMaxPathBytes) return ENAMETOOLONG;
  if (path.find('\0') != std::string_view::npos) return EINVAL;
  if (path.front() == '/') return kEscapes;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  out.trailing_slash = end < path.size();
  size_t slash = path.rfind('/', end - 1);
  std::string_view name = slash == std::string_view::npos ? path.substr(0, end) : path.substr(slash + 1, end - slash - 1);
  std::string_view parent = slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash + 1);
  if (name == "." || name == "..") {
    // The final component is a directory already; resolve all of it so that
    // ".." cannot name anything above dirfd.
    out.name = ".";
    out.trailing_slash = false;
    return open_beneath(dirfd, path, O_PATH | O_DIRECTORY, 0, true, out.dir);
  }
  out.name = std::string(name);
  if (ResolveStatus s = open_beneath(dirfd, parent, O_PATH | O_DIRECTORY, 0, true, out.dir)) return s;
  if (!out.trailing_slash) return 0;
  // "link/" makes the kernel's *at calls that follow (readlinkat, linkat,
  // utimensat) follow a final symlink with no beneath check, and their errno
  // would tell what is outside. So a final symlink is followed here, beneath
  // dirfd, and names the directory it leads to, as a final "." would.
  struct stat st;
  if (::fstatat(out.dir.get(), out.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      out.name = ".";
      out.trailing_slash = false;
      return open_beneath(dirfd, path, O_PATH | O_DIRECTORY, 0, true, out.dir);
    }
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;  // "file/" names no directory
  }
  out.name += '/';  // a directory, or a name to create as one
  return 0;
}

ResolveStatus open_in_root(int root_fd, std::string_view path, int flags, UniqueFd& out) {
  if (path.empty()) return ENOENT;
  if (path.size() > kMaxPathBytes) return ENAMETOOLONG;
  if (path.find('\0') != std::string_view::npos) return EINVAL;
  if (std::optional<ResolveStatus> s = kernel_open(root_fd, path, flags, 0, RESOLVE_IN_ROOT, out)) return *s;
  return walk(Scope::InRoot, root_fd, path, flags, 0, true, out);
}

}  // namespace wasmlet::wasi_sys
