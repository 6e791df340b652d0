// path_*: operations on a path relative to a directory fd. Every path is
// resolved beneath that directory by the shared resolver
// (wasi_sys/path_resolver.h). Operations on a final
// component open its parent beneath the directory and call the *at syscall
// on the bare name, so a final symlink is only followed when asked.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "blocking.h"
#include "errno_map.h"
#include "filestat.h"
#include "host_call.h"
#include "wasi_sys/host_room.h"
#include "wasi_sys/path_changes.h"
#include "wasi_sys/path_resolver.h"

namespace wasmlet::wasi {

namespace {

using wasi_sys::ParentDir;

// The shared resolver's status as a preview1 errno: an escape is notcapable.
Errno resolve_errno(wasi_sys::ResolveStatus status) {
  return status == wasi_sys::kEscapes ? err::notcapable : errno_from_host(status);
}

// wasi_sys::open_beneath / open_parent with preview1 errnos.
Errno open_path(int dirfd, std::string_view path, int flags, mode_t mode, bool follow_final, UniqueFd& out) {
  return resolve_errno(wasi_sys::open_beneath(dirfd, path, flags, mode, follow_final, out));
}

Errno open_path_parent(int dirfd, std::string_view path, ParentDir& out) {
  return resolve_errno(wasi_sys::open_parent(dirfd, path, out));
}

// Whether `path` beneath dirfd is a FIFO.
bool is_fifo(int dirfd, std::string_view path, bool follow_final) {
  UniqueFd fd;
  struct stat st;
  return wasi_sys::open_beneath(dirfd, path, O_PATH, 0, follow_final, fd) == 0 && ::fstat(fd.get(), &st) == 0 &&
         S_ISFIFO(st.st_mode);
}

// The directory fd `fd` with `rights` (rofs first if `writes`), and the guest path.
Errno directory_and_path(Call& c, uint32_t fd, uint64_t rights, bool writes, uint32_t ptr, uint32_t len,
                         std::shared_ptr<FdEntry>& dir, std::string& path) {
  dir = c.ctx.fds.get(fd);
  if (!dir) return err::badf;
  if (dir->kind != FdKind::Directory) return err::notdir;
  if (Errno r = writes ? c.writable_entry(fd, rights, dir) : c.entry(fd, rights, dir)) return r;
  return c.path(ptr, len, path);
}

// As above, then the parent directory of the path's final component.
Errno parent_of(Call& c, uint32_t fd, uint64_t rights, bool writes, uint32_t ptr, uint32_t len, ParentDir& out) {
  std::shared_ptr<FdEntry> dir;
  std::string path;
  if (Errno r = directory_and_path(c, fd, rights, writes, ptr, len, dir, path)) return r;
  return open_path_parent(dir->host.get(), path, out);
}

// A rename or link between preopens with different size limits is `xdev`,
// as between two mounts: a file moved in would not be counted where it
// lands (and one moved out would free nothing the source counted).
bool crosses_quota(Call& c, uint32_t from_fd, uint32_t to_fd) {
  return c.ctx.fds.get(from_fd)->quota != c.ctx.fds.get(to_fd)->quota;
}

// Notes that something beneath `fd`'s preopen may have been freed.
void note_shrink(Call& c, uint32_t fd) {
  if (auto e = c.ctx.fds.get(fd)) e->note_shrink();
}

// A new name beneath `fd`'s preopen, counted against its size limit
// (wasi_sys::NewEntry: refused means `nospc`).
wasi_sys::NewEntry new_entry(Call& c, uint32_t fd) { return wasi_sys::NewEntry(c.ctx.fds.get(fd)->quota.get()); }

Errno path_create_directory(Call& c) {
  ParentDir p;
  if (Errno r = parent_of(c, c.u32(0), right::path_create_directory, true, c.u32(1), c.u32(2), p)) return r;
  auto entry = new_entry(c, c.u32(0));
  if (entry.refused()) return err::nospc;
  if (::mkdirat(p.dir.get(), p.name.c_str(), 0777) != 0) return last_host_errno();
  entry.keep();
  return err::success;
}

Errno path_filestat_get(Call& c) {
  std::shared_ptr<FdEntry> dir;
  std::string path;
  if (Errno r = directory_and_path(c, c.u32(0), right::path_filestat_get, false, c.u32(2), c.u32(3), dir, path)) return r;
  // O_PATH|O_NOFOLLOW opens a final symlink itself, so fstat describes the link.
  UniqueFd fd;
  if (Errno r = open_path(dir->host.get(), path, O_PATH, 0, c.u32(1) & lookupflags::symlink_follow, fd)) return r;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return last_host_errno();
  write_filestat(c.mem, c.u32(4), st);
  return err::success;
}

Errno path_filestat_set_times(Call& c) {
  std::shared_ptr<FdEntry> dir;
  std::string path;
  if (Errno r = directory_and_path(c, c.u32(0), right::path_filestat_set_times, true, c.u32(2), c.u32(3), dir, path))
    return r;
  timespec ts[2];
  if (Errno r = timespecs_from(c.u64(4), c.u64(5), c.u32(6), ts)) return r;
  return resolve_errno(
      wasi_sys::set_times_beneath(dir->host.get(), path, c.u32(1) & lookupflags::symlink_follow, ts));
}

Errno path_link(Call& c) {
  // Following a source symlink could link a file from outside the sandbox in;
  // like wasmtime, it is refused.
  if (c.u32(1) & lookupflags::symlink_follow) return err::inval;
  ParentDir from, to;
  if (Errno r = parent_of(c, c.u32(0), right::path_link_source, true, c.u32(2), c.u32(3), from)) return r;
  if (Errno r = parent_of(c, c.u32(4), right::path_link_target, true, c.u32(5), c.u32(6), to)) return r;
  if (crosses_quota(c, c.u32(0), c.u32(4))) return err::xdev;
  auto entry = new_entry(c, c.u32(4));
  if (entry.refused()) return err::nospc;
  // With a trailing slash linkat would follow a final symlink unchecked (see open_parent).
  if (::linkat(from.dir.get(), from.name_without_slash().c_str(), to.dir.get(), to.name.c_str(), 0) != 0)
    return last_host_errno();
  entry.keep();
  return err::success;
}

Errno path_open(Call& c) {
  uint32_t dirflags = c.u32(1), oflags = c.u32(4), fdflags_in = c.u32(7);
  uint64_t base = c.u64(5), inheriting = c.u64(6);
  if (oflags & ~uint32_t{oflags::creat | oflags::directory | oflags::excl | oflags::trunc}) return err::inval;
  if (fdflags_in & ~uint32_t{fdflags::append | fdflags::dsync | fdflags::nonblock | fdflags::rsync | fdflags::sync})
    return err::inval;
  uint64_t need = right::path_open;
  if (oflags & oflags::creat) need |= right::path_create_file;
  if (oflags & oflags::trunc) need |= right::path_filestat_set_size;
  std::shared_ptr<FdEntry> dir;
  std::string path;
  if (Errno r = directory_and_path(c, c.u32(0), need, false, c.u32(2), c.u32(3), dir, path)) return r;
  c.mem.bytes(c.u32(8), 4);  // a bad result pointer faults before a file is opened (or created)
  // A directory is opened read-only (fd_write on one is refused below).
  bool wants_data_write = (base & right::writes_data) && !(oflags & oflags::directory);
  bool writes = wants_data_write || (oflags & (oflags::creat | oflags::trunc)) || (fdflags_in & fdflags::append);
  if (dir->read_only && writes) return err::rofs;

  int flags = O_NOCTTY | O_NONBLOCK;  // non-blocking host fd: waits happen in poll (blocking.h)
  if (oflags & oflags::creat) flags |= O_CREAT;
  if (oflags & oflags::directory) flags |= O_DIRECTORY;
  if (oflags & oflags::excl) flags |= O_EXCL;
  if (oflags & oflags::trunc) flags |= O_TRUNC;
  bool rd = base & (right::fd_read | right::fd_readdir), wr = wants_data_write;
  flags |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (fdflags_in & fdflags::append) flags |= O_APPEND;
  if (fdflags_in & fdflags::dsync) flags |= O_DSYNC;
  if (fdflags_in & fdflags::rsync) flags |= O_RSYNC;
  if (fdflags_in & fdflags::sync) flags |= O_SYNC;

  wasi_sys::FdSlot slot = c.ctx.fds.reserve();
  if (!slot) return err::mfile;
  UniqueFd fd;
  const bool follow = dirflags & lookupflags::symlink_follow;
  // Creating a file makes a name, counted against a size limit; opening one
  // that is there already does not. (Should it go before the open below,
  // the name is made uncounted, but its removal was not subtracted either:
  // the count stays an upper bound.)
  wasi_sys::NewEntry entry;
  if ((flags & O_CREAT) && dir->quota) {
    UniqueFd there;
    if (open_path(dir->host.get(), path, O_PATH, 0, follow, there) != err::success) entry.take(dir->quota.get());
    if (entry.refused()) return err::nospc;
  }
  // Without fdflags::nonblock, opening a FIFO waits for its other end, as a
  // blocking open(2) would, but interruptibly (the host fd is non-blocking).
  const bool wait_for_peer = !(fdflags_in & fdflags::nonblock) && rd != wr;
  for (;;) {
    Errno r = open_path(dir->host.get(), path, flags, 0666, follow, fd);
    if (r != err::nxio || !wait_for_peer || !wr || !is_fifo(dir->host.get(), path, follow)) {
      if (r) return r;
      break;
    }
    // No reader yet: nothing to poll for, so look again shortly.
    std::vector<pollfd> none;
    wait_poll(c.caller, none, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
  }
  entry.keep();
  if (!wasi_sys::leaves_host_room(fd.get())) return err::mfile;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return last_host_errno();
  // A reader's non-blocking open does not wait for a writer; until one has
  // come its reads would be end-of-file. Wait for a writer's first bytes (or
  // its close) instead.
  if (S_ISFIFO(st.st_mode) && wait_for_peer && rd) wait_ready(c.caller, fd.get(), POLLIN);
  auto e = std::make_shared<FdEntry>();
  e->filetype = filetype_from_mode(st.st_mode, fd.get());
  bool is_dir = S_ISDIR(st.st_mode);
  // A directory cannot be written: asking for fd_write is `isdir`, with
  // oflags::directory as without (where the host's open already says so).
  if (is_dir && (base & right::fd_write)) return err::isdir;
  e->kind = is_dir ? FdKind::Directory : FdKind::File;
  uint64_t fits = is_dir ? right::directory
                  : S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)
                      ? right::regular_file
                      : right::regular_file & ~(right::fd_seek | right::fd_tell);
  // The new fd gets what was asked for, within what the directory passes on.
  e->rights_base = base & dir->rights_inheriting & fits;
  e->rights_inheriting = inheriting & dir->rights_inheriting;
  e->fdflags = static_cast<uint16_t>(fdflags_in);
  e->read_only = dir->read_only;
  e->quota = dir->quota;
  e->host = std::move(fd);
  uint32_t guest_fd = c.ctx.fds.insert(std::move(e), slot);
  c.mem.store<uint32_t>(c.u32(8), guest_fd);
  return err::success;
}

Errno path_readlink(Call& c) {
  ParentDir p;
  if (Errno r = parent_of(c, c.u32(0), right::path_readlink, false, c.u32(1), c.u32(2), p)) return r;
  char target[PATH_MAX];
  // With a trailing slash readlinkat would follow a final symlink unchecked (see open_parent).
  ssize_t n = ::readlinkat(p.dir.get(), p.name_without_slash().c_str(), target, sizeof target);
  if (n < 0) return last_host_errno();
  // A short buffer gets the first bytes, like readlink(2).
  auto out = c.mem.bytes(c.u32(3), c.u32(4));
  size_t copied = std::min(out.size(), static_cast<size_t>(n));
  std::memcpy(out.data(), target, copied);
  c.mem.store<uint32_t>(c.u32(5), static_cast<uint32_t>(copied));
  return err::success;
}

Errno path_remove_directory(Call& c) {
  ParentDir p;
  if (Errno r = parent_of(c, c.u32(0), right::path_remove_directory, true, c.u32(1), c.u32(2), p)) return r;
  if (::unlinkat(p.dir.get(), p.name.c_str(), AT_REMOVEDIR) != 0) return last_host_errno();
  note_shrink(c, c.u32(0));
  return err::success;
}

Errno path_rename(Call& c) {
  ParentDir from, to;
  if (Errno r = parent_of(c, c.u32(0), right::path_rename_source, true, c.u32(1), c.u32(2), from)) return r;
  if (Errno r = parent_of(c, c.u32(3), right::path_rename_target, true, c.u32(4), c.u32(5), to)) return r;
  if (crosses_quota(c, c.u32(0), c.u32(3))) return err::xdev;
  if (::renameat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str()) != 0) return last_host_errno();
  note_shrink(c, c.u32(3));  // a file renamed over is freed
  return err::success;
}

Errno path_symlink(Call& c) {
  std::string target;
  if (Errno r = c.path(c.u32(0), c.u32(1), target)) return r;
  ParentDir p;
  if (Errno r = parent_of(c, c.u32(2), right::path_symlink, true, c.u32(3), c.u32(4), p)) return r;
  auto entry = new_entry(c, c.u32(2));
  if (entry.refused()) return err::nospc;
  if (Errno r = resolve_errno(wasi_sys::create_symlink(target, p))) return r;
  entry.keep();
  return err::success;
}

Errno path_unlink_file(Call& c) {
  ParentDir p;
  if (Errno r = parent_of(c, c.u32(0), right::path_unlink_file, true, c.u32(1), c.u32(2), p)) return r;
  if (::unlinkat(p.dir.get(), p.name.c_str(), 0) != 0) return last_host_errno();
  note_shrink(c, c.u32(0));
  return err::success;
}

}  // namespace

void register_path(Linker& l) {
  define(l, "path_create_directory", "iii", path_create_directory);
  define(l, "path_filestat_get", "iiiii", path_filestat_get);
  define(l, "path_filestat_set_times", "iiiiIIi", path_filestat_set_times);
  define(l, "path_link", "iiiiiii", path_link);
  define(l, "path_open", "iiiiiIIii", path_open);
  define(l, "path_readlink", "iiiiii", path_readlink);
  define(l, "path_remove_directory", "iii", path_remove_directory);
  define(l, "path_rename", "iiiiii", path_rename);
  define(l, "path_symlink", "iiiii", path_symlink);
  define(l, "path_unlink_file", "iii", path_unlink_file);
}

}  // namespace wasmlet::wasi
