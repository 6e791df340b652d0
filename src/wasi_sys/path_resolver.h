// Sandboxed path resolution: every guest path is resolved beneath the
// directory fd it is relative to and can never leave it, whether by "..",
// an absolute path, or a symlink (relative or absolute) anywhere on the way.
//
// The kernel does the work: openat2(2) with RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS. Only where openat2 is missing (ENOSYS, Linux < 5.6)
// a component-by-component walker with the same rules takes over.
//
// The one resolver of both WASI front ends: preview1 (src/wasi) and the
// WASI 0.2 host (src/component/wasi); wasmlet-oci finds a container's
// program in its rootfs with it too (open_in_root). It speaks host errnos; an escape has
// its own status, which each front end names its own way (preview1:
// `notcapable`; wasi:filesystem: `not-permitted`).
#pragma once

#include <sys/types.h>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

#include "wasi_sys/unique_fd.h"

namespace wasmlet::wasi_sys {

// How a resolution ended: 0 (resolved), a host errno (ENOENT, ENOTDIR,
// ELOOP for a symlink loop, ...), or kEscapes: the path tried to leave its
// directory (absolute, ".." above it, or a symlink pointing out).
using ResolveStatus = int;
inline constexpr ResolveStatus kEscapes = -1;

// The longest path (or symlink target) a guest may pass, in bytes: the
// kernel's PATH_MAX counts the terminating NUL, so a longer one is
// ENAMETOOLONG. Front ends check it before copying a path out of guest
// memory (a 512 MiB path once cost the host 1.5 GB); the functions here
// refuse one too.
inline constexpr size_t kMaxPathBytes = PATH_MAX - 1;

// Opens `path` beneath `dirfd` with open(2) flags (O_CLOEXEC is added).
// A final symlink is followed only if follow_final; otherwise opening it
// fails with ELOOP (or, with O_PATH, opens the link itself).
ResolveStatus open_beneath(int dirfd, std::string_view path, int flags, mode_t mode, bool follow_final, UniqueFd& out);

// The directory holding the last component of a path, opened beneath dirfd,
// and that last component: the pair every *at(2) call on a final component
// needs. The final component is never resolved here, so a final symlink is
// never followed. A final "." or ".." resolves the whole path as a directory
// and gives name ".". So does a final symlink with a trailing slash ("link/"):
// it is followed beneath dirfd, never by the kernel. Any other trailing slash
// stays on `name` (the *at calls then require a directory, as POSIX says);
// callers whose *at call would follow a final symlink (readlinkat, linkat)
// pass name_without_slash() instead, in case one has appeared there since.
struct ParentDir {
  UniqueFd dir;
  std::string name;
  bool trailing_slash = false;
  std::string name_without_slash() const { return trailing_slash ? name.substr(0, name.size() - 1) : name; }
};
ResolveStatus open_parent(int dirfd, std::string_view path, ParentDir& out);

// Opens `path` as if root_fd were "/": a container's rootfs, where absolute
// paths and absolute symlinks start at root_fd and ".." stops there
// (openat2's RESOLVE_IN_ROOT; the walker where it is missing). A final
// symlink is followed. Nothing outside root_fd is reached.
ResolveStatus open_in_root(int root_fd, std::string_view path, int flags, UniqueFd& out);

// For tests: use the portable walker even where openat2 exists.
void force_fallback_resolver(bool on);

}  // namespace wasmlet::wasi_sys
