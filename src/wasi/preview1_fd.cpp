// fd_*: operations on an open descriptor.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errno_map.h"
#include "filestat.h"
#include "host_call.h"
#include "stream_io.h"
#include "wasi_sys/dir_reader.h"

namespace wasmlet::wasi {

namespace {

constexpr uint64_t kMaxOffset = INT64_MAX;

Errno fd_advise(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_advise, e)) return r;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint32_t advice = c.u32(3);
  if (advice >= std::size(kAdvice) || c.u64(1) > kMaxOffset || c.u64(2) > kMaxOffset) return err::inval;
  int r = ::posix_fadvise(e->host.get(), static_cast<off_t>(c.u64(1)), static_cast<off_t>(c.u64(2)), kAdvice[advice]);
  return errno_from_host(r);
}

Errno fd_allocate(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.writable_entry(c.u32(0), right::fd_allocate, e)) return r;
  uint64_t off = c.u64(1), len = c.u64(2);
  // posix_fallocate's EINVAL for len 0 must not reach the fallback below, which would grow the file.
  if (len == 0) return err::inval;
  if (off > kMaxOffset || len > kMaxOffset - off) return err::fbig;
  if (!e->may_grow_to(off + len)) return err::nospc;
  int r = ::posix_fallocate(e->host.get(), static_cast<off_t>(off), static_cast<off_t>(len));
  if (r == EOPNOTSUPP || r == EINVAL) {
    // File systems without fallocate: growing the size is what the guest can observe.
    struct stat st;
    if (::fstat(e->host.get(), &st) != 0) return last_host_errno();
    if (static_cast<uint64_t>(st.st_size) < off + len && ::ftruncate(e->host.get(), static_cast<off_t>(off + len)) != 0)
      return last_host_errno();
    return err::success;
  }
  return errno_from_host(r);
}

Errno fd_close(Call& c) {
  auto e = c.ctx.fds.get(c.u32(0));
  if (!e || !c.ctx.fds.remove(c.u32(0))) return err::badf;
  e->note_shrink();  // an unlinked file's blocks may be freed now
  return err::success;
}

Errno fd_datasync(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_datasync, e)) return r;
  return ::fdatasync(e->host.get()) == 0 ? err::success : last_host_errno();
}

Errno fd_sync(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_sync, e)) return r;
  return ::fsync(e->host.get()) == 0 ? err::success : last_host_errno();
}

Errno fd_fdstat_get(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), 0, e)) return r;
  uint64_t p = c.u32(1);
  auto out = c.mem.bytes(p, layout::fdstat_size);
  std::memset(out.data(), 0, out.size());
  c.mem.store<uint8_t>(p, e->filetype);
  c.mem.store<uint16_t>(p + 2, e->fdflags);
  c.mem.store<uint64_t>(p + 8, e->rights_base);
  c.mem.store<uint64_t>(p + 16, e->rights_inheriting);
  return err::success;
}

Errno fd_fdstat_set_flags(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_fdstat_set_flags, e)) return r;
  uint32_t flags = c.u32(1);
  if (flags & ~uint32_t{fdflags::append | fdflags::dsync | fdflags::nonblock | fdflags::rsync | fdflags::sync})
    return err::inval;
  // Linux cannot change O_SYNC/O_DSYNC on an open file (fcntl ignores them).
  if ((flags ^ e->fdflags) & (fdflags::dsync | fdflags::rsync | fdflags::sync)) return err::notsup;
  if (e->kind == FdKind::File) {
    int fl = ::fcntl(e->host.get(), F_GETFL);
    if (fl < 0) return last_host_errno();
    fl = (flags & fdflags::append) ? (fl | O_APPEND) : (fl & ~O_APPEND);
    if (::fcntl(e->host.get(), F_SETFL, fl) != 0) return last_host_errno();
  }
  // nonblock is the guest's view only: host fds are always non-blocking.
  e->fdflags = static_cast<uint16_t>(flags);
  return err::success;
}

Errno fd_fdstat_set_rights(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), 0, e)) return r;
  uint64_t base = c.u64(1), inheriting = c.u64(2);
  // Rights can only be dropped, never gained.
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return err::notcapable;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return err::success;
}

Errno fd_filestat_get(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_filestat_get, e)) return r;
  if (e->kind == FdKind::Output) {
    write_synthetic_filestat(c.mem, c.u32(1), e->filetype);
    return err::success;
  }
  struct stat st;
  if (::fstat(e->host.get(), &st) != 0) return last_host_errno();
  write_filestat(c.mem, c.u32(1), st, e->host.get());
  return err::success;
}

Errno fd_filestat_set_size(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.writable_entry(c.u32(0), right::fd_filestat_set_size, e)) return r;
  if (c.u64(1) > kMaxOffset) return err::fbig;
  if (!e->may_grow_to(c.u64(1))) return err::nospc;
  if (::ftruncate(e->host.get(), static_cast<off_t>(c.u64(1))) != 0) return last_host_errno();
  e->note_shrink();
  return err::success;
}

Errno fd_filestat_set_times(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.writable_entry(c.u32(0), right::fd_filestat_set_times, e)) return r;
  timespec ts[2];
  if (Errno r = timespecs_from(c.u64(1), c.u64(2), c.u32(3), ts)) return r;
  return ::futimens(e->host.get(), ts) == 0 ? err::success : last_host_errno();
}

Errno fd_read(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_read, e)) return r;
  return guest_read(c, *e, c.u32(1), c.u32(2), 0, c.u32(3));
}

Errno fd_write(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.writable_entry(c.u32(0), right::fd_write, e)) return r;
  return guest_write(c, *e, c.u32(1), c.u32(2), c.u32(3));
}

// fd_pread / fd_pwrite: at an offset, leaving the fd's own offset alone.
Errno positioned(Call& c, const FdEntry& e, bool write) {
  if (c.u64(3) > kMaxOffset) return err::inval;
  auto iov = guest_iovecs(c.mem, c.u32(1), c.u32(2));
  auto offset = static_cast<off_t>(c.u64(3));
  if (write) {
    // Past a size limit, what fits is written (a short write), as on a full disk.
    const size_t want = total_length(iov);
    const uint64_t room = e.room_for_write(c.u64(3), want);
    if (room == 0 && want > 0) return err::nospc;
    if (room < want) iov = first_bytes(iov, room);
  }
  int count = static_cast<int>(iov.size());
  ssize_t n;
  do n = write ? ::pwritev(e.host.get(), iov.data(), count, offset) : ::preadv(e.host.get(), iov.data(), count, offset);
  while (n < 0 && errno == EINTR);
  if (n < 0) return last_host_errno();
  c.mem.store<uint32_t>(c.u32(4), static_cast<uint32_t>(n));
  return err::success;
}

Errno fd_pread(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_read | right::fd_seek, e)) return r;
  return positioned(c, *e, false);
}

Errno fd_pwrite(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.writable_entry(c.u32(0), right::fd_write | right::fd_seek, e)) return r;
  return positioned(c, *e, true);
}

Errno fd_prestat_get(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), 0, e)) return r;
  // 64-bit, so p + 4 cannot wrap to the bottom of a 4 GiB memory; all 8
  // bytes are checked before either half is written.
  uint64_t p = c.u32(1);
  c.mem.bytes(p, layout::prestat_size);
  if (e->preopen) {
    c.mem.store<uint32_t>(p, preopentype_dir);  // tag and padding
    c.mem.store<uint32_t>(p + 4, static_cast<uint32_t>(e->preopen->size()));
    return err::success;
  }
  if (e->kind == FdKind::Listener) {
    // Listeners sit at fds 3, 4, ... before the directories. wasi-libc scans
    // fds from 3 and stops at the first `badf` (any other error aborts the
    // program), so a listener must answer: it reports a non-directory type,
    // which wasi-libc and Go skip (wasmtime #3936 is this bug).
    c.mem.store<uint32_t>(p, 1);
    c.mem.store<uint32_t>(p + 4, 0);
    return err::success;
  }
  return err::badf;
}

Errno fd_prestat_dir_name(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), 0, e)) return r;
  if (!e->preopen) return err::badf;
  const std::string& name = *e->preopen;
  if (c.u32(2) < name.size()) return err::nametoolong;
  c.mem.write(c.u32(1), {reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  return err::success;
}

// Cookies are entry indices, as in wasmtime: 0 is ".", 1 "..", then the
// directory's other entries in the kernel's order. Nothing of the listing is
// kept but the position where the last call stopped (FdEntry::readdir_cookie)
// and what is left of one getdents buffer (FdEntry::listing), so a directory
// of any size costs the host little: reading on from that cookie continues
// on the fd's open directory, any other cookie reads it from the start.
Errno fd_readdir(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_readdir, e)) return r;
  uint32_t buf = c.u32(1), buf_len = c.u32(2);
  uint64_t cookie = c.u64(3);
  auto out = c.mem.bytes(buf, buf_len);
  size_t used = 0;
  // Entries are copied as far as they fit; a truncated last entry fills the
  // buffer, which tells the guest to retry with a bigger one (wasmtime's
  // rule). Returns whether the entry fit whole.
  auto put = [&](uint64_t next, uint64_t ino, std::string_view name, uint8_t type) {
    uint8_t header[layout::dirent_size] = {};
    uint32_t namlen = static_cast<uint32_t>(name.size());
    std::memcpy(header, &next, 8);
    std::memcpy(header + 8, &ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = type;
    size_t n = std::min<size_t>(sizeof header, out.size() - used);
    std::memcpy(out.data() + used, header, n);
    used += n;
    size_t m = std::min(name.size(), out.size() - used);
    std::memcpy(out.data() + used, name.data(), m);
    used += m;
    return n == sizeof header && m == name.size();
  };
  for (uint64_t i = cookie; i < 2 && used < out.size(); ++i) {
    struct stat st {};
    int r = i == 0 ? ::fstat(e->host.get(), &st) : ::fstatat(e->host.get(), "..", &st, AT_SYMLINK_NOFOLLOW);
    if (r != 0) st.st_ino = 0;
    put(i + 1, st.st_ino, i == 0 ? "." : "..", filetype::directory);
  }
  if (used < out.size()) {
    uint64_t index = std::max<uint64_t>(cookie, 2);  // the cookie of the next entry read
    uint64_t skip = index - 2, position = 0;
    if (index > 2 && index == e->readdir_cookie) {
      skip = 0;
      position = e->readdir_position;
    }
    int r = e->listing.read(e->host.get(), position, [&](const wasi_sys::DirEntryAt& d) {
      if (d.name == "." || d.name == "..") return true;
      if (skip > 0) {
        --skip;
        return true;
      }
      if (!put(index + 1, d.ino, d.name, filetype_from_dirent(d.type))) return false;
      ++index;
      e->readdir_cookie = index;
      e->readdir_position = d.next;
      return used < out.size();
    });
    if (r != 0) return errno_from_host(r);
  }
  c.mem.store<uint32_t>(c.u32(4), static_cast<uint32_t>(used));
  return err::success;
}

Errno fd_renumber(Call& c) {
  auto replaced = c.ctx.fds.get(c.u32(1));
  if (!c.ctx.fds.renumber(c.u32(0), c.u32(1))) return err::badf;
  if (replaced && c.u32(0) != c.u32(1)) replaced->note_shrink();  // closed
  return err::success;
}

Errno fd_seek(Call& c) {
  int64_t offset = c.args[1].as_i64();
  uint32_t whence = c.u32(2);
  // fd_tell's right is enough to ask for the current position.
  uint64_t need = (offset == 0 && whence == 1) ? right::fd_tell : right::fd_seek;
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), need, e)) return r;
  static constexpr int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2) return err::inval;
  off_t pos = ::lseek(e->host.get(), offset, kWhence[whence]);
  if (pos < 0) return last_host_errno();
  c.mem.store<uint64_t>(c.u32(3), static_cast<uint64_t>(pos));
  return err::success;
}

Errno fd_tell(Call& c) {
  std::shared_ptr<FdEntry> e;
  if (Errno r = c.entry(c.u32(0), right::fd_tell, e)) return r;
  off_t pos = ::lseek(e->host.get(), 0, SEEK_CUR);
  if (pos < 0) return last_host_errno();
  c.mem.store<uint64_t>(c.u32(1), static_cast<uint64_t>(pos));
  return err::success;
}

}  // namespace

void register_fd(Linker& l) {
  define(l, "fd_advise", "iIIi", fd_advise);
  define(l, "fd_allocate", "iII", fd_allocate);
  define(l, "fd_close", "i", fd_close);
  define(l, "fd_datasync", "i", fd_datasync);
  define(l, "fd_fdstat_get", "ii", fd_fdstat_get);
  define(l, "fd_fdstat_set_flags", "ii", fd_fdstat_set_flags);
  define(l, "fd_fdstat_set_rights", "iII", fd_fdstat_set_rights);
  define(l, "fd_filestat_get", "ii", fd_filestat_get);
  define(l, "fd_filestat_set_size", "iI", fd_filestat_set_size);
  define(l, "fd_filestat_set_times", "iIIi", fd_filestat_set_times);
  define(l, "fd_pread", "iiiIi", fd_pread);
  define(l, "fd_prestat_get", "ii", fd_prestat_get);
  define(l, "fd_prestat_dir_name", "iii", fd_prestat_dir_name);
  define(l, "fd_pwrite", "iiiIi", fd_pwrite);
  define(l, "fd_read", "iiii", fd_read);
  define(l, "fd_readdir", "iiiIi", fd_readdir);
  define(l, "fd_renumber", "ii", fd_renumber);
  define(l, "fd_seek", "iIii", fd_seek);
  define(l, "fd_sync", "i", fd_sync);
  define(l, "fd_tell", "ii", fd_tell);
  define(l, "fd_write", "iiii", fd_write);
}

}  // namespace wasmlet::wasi
