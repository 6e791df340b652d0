// Resolving guest paths strictly beneath a preopened directory.
//
// Every lookup goes through openat2(2) with RESOLVE_BENEATH (and
// RESOLVE_NO_MAGICLINKS): the kernel refuses "..", absolute paths and
// symlinks that would leave the directory, and answers EXDEV, which the
// guest sees as ENOTCAPABLE. Operations on a final component (unlink,
// mkdir, rename, symlink, readlink, stat without following) open its parent
// beneath the preopen and then use the *at system call on the last name, so
// a final symlink is never followed unless asked.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wasi/wasi_abi.h"
#include "wasi/wasi_context.h"

namespace wasmlet::wasi {

// Opens `path` beneath `dirfd`. `follow_final` false adds O_NOFOLLOW.
// Returns the new fd, or sets `error` and returns -1.
int open_beneath(int dirfd, std::string_view path, int flags, unsigned mode, bool follow_final, Errno& error);

// The directory holding a path's final component, and that component.
// For "." and ".." (and paths ending in them) `name` is empty and `dir` is
// the resolved directory itself: use it with AT_EMPTY_PATH.
struct PathTarget {
  std::shared_ptr<HostFd> dir;
  std::string name;
  bool trailing_slash = false;
};

// Resolves `path` for an operation on its final component. Returns an errno.
Errno resolve_parent(int dirfd, std::string_view path, PathTarget& out);

}  // namespace wasmlet::wasi
