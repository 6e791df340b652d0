#include "util/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace wasmlet::util {

namespace {

// A directory is only ever entered by name with O_NOFOLLOW: a symlink there
// fails to open (ELOOP) instead of leading out of the tree.
constexpr int kEnterFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::error_code error(int e) { return {e, std::system_category()}; }

struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const Identity&) const = default;
};

int identity_of(int fd, Identity& out) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno;
  out = {st.st_dev, st.st_ino};
  return 0;
}

// The one directory the walk is in: its stream owns its fd.
class CurrentDir {
 public:
  CurrentDir() = default;
  CurrentDir(const CurrentDir&) = delete;
  CurrentDir& operator=(const CurrentDir&) = delete;
  ~CurrentDir() { close(); }
  // Moves to the directory `fd` (taken, and closed on failure), leaving the previous one.
  int enter(int fd) {
    close();
    dir_ = ::fdopendir(fd);
    if (dir_) return 0;
    int e = errno;
    ::close(fd);
    return e;
  }
  void close() {
    if (dir_) ::closedir(dir_);
    dir_ = nullptr;
  }
  DIR* get() const { return dir_; }
  int fd() const { return ::dirfd(dir_); }

 private:
  DIR* dir_ = nullptr;
};

bool is_dot_or_dotdot(const char* n) { return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')); }

// Deletes every file, symlink and empty directory in `dir`. Stops at the
// first directory that is not empty and names it in `subdir`, to be entered;
// an empty `subdir` on success means `dir` is empty now. An errno on failure.
int empty_or_find_subdir(DIR* dir, std::string& subdir) {
  const int fd = ::dirfd(dir);
  subdir.clear();
  // Passes until one finds nothing: readdir may skip entries of a directory
  // changed while it is read (here, by the walk's own deletions).
  for (;;) {
    ::rewinddir(dir);
    bool found = false;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(dir);
      if (!e) {
        if (errno != 0) return errno;
        break;
      }
      if (is_dot_or_dotdot(e->d_name)) continue;
      found = true;
      if (e->d_type != DT_DIR) {
        // Not a directory, or a file system that does not say (DT_UNKNOWN):
        // Linux refuses to unlink a directory with EISDIR.
        if (::unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR) return errno;
      }
      if (::unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT) continue;
      if (errno != ENOTEMPTY && errno != EEXIST) return errno;
      subdir = e->d_name;
      return 0;
    }
    if (!found) return 0;
  }
}

// Empties the directory `top` (the fd is taken), going down into one
// non-empty subdirectory at a time and back up through "..". Only the current
// directory is open; the identities of those above it are kept (16 bytes a
// level) to check that ".." leads back to where the walk came from.
int empty_directory(int top) {
  CurrentDir cur;
  Identity here;
  if (int e = identity_of(top, here)) {
    ::close(top);
    return e;
  }
  const dev_t tree_dev = here.dev;
  if (int e = cur.enter(top)) return e;
  std::vector<Identity> above;
  std::string subdir;
  for (;;) {
    if (int e = empty_or_find_subdir(cur.get(), subdir)) return e;
    if (!subdir.empty()) {
      int down = ::openat(cur.fd(), subdir.c_str(), kEnterFlags);
      if (down < 0) {
        if (errno == ENOENT) continue;  // gone since the pass: look again
        return errno;
      }
      Identity there;
      int e = identity_of(down, there);
      if (e == 0 && there.dev != tree_dev) e = EXDEV;  // a mount inside the tree: not ours to empty
      if (e != 0) {
        ::close(down);
        return e;
      }
      above.push_back(here);
      here = there;
      if (int e2 = cur.enter(down)) return e2;
      continue;
    }
    if (above.empty()) return 0;  // `top` itself is empty
    // This directory is empty: back up, where the next pass deletes it.
    int up = ::openat(cur.fd(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (up < 0) return errno;
    Identity parent;
    int e = identity_of(up, parent);
    if (e == 0 && !(parent == above.back())) e = ESTALE;  // moved meanwhile: ".." is not where we came from
    if (e != 0) {
      ::close(up);
      return e;
    }
    above.pop_back();
    here = parent;
    if (int e2 = cur.enter(up)) return e2;
  }
}

}  // namespace

std::error_code remove_tree(const std::filesystem::path& root) {
  std::filesystem::path where = root;
  if (!where.has_filename()) where = where.parent_path();  // "dir/"
  const std::string name = where.filename().string();
  if (name.empty() || name == "." || name == "..") return error(EINVAL);
  const std::filesystem::path parent_path = where.has_parent_path() ? where.parent_path() : ".";
  int parent = ::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return errno == ENOENT ? std::error_code() : error(errno);
  int e = 0;
  int top = ::openat(parent, name.c_str(), kEnterFlags);
  if (top < 0) {
    e = errno;
    // A symlink or a file is deleted itself, as remove_all would.
    if (e == ELOOP || e == ENOTDIR) e = ::unlinkat(parent, name.c_str(), 0) == 0 ? 0 : errno;
    if (e == ENOENT) e = 0;  // nothing there
  } else {
    e = empty_directory(top);
    if (e == 0 && ::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) e = errno;
  }
  ::close(parent);
  return e == 0 ? std::error_code() : error(e);
}

}  // namespace wasmlet::util
