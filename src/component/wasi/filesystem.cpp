// wasi:filesystem: preopens and descriptor types. Every path resolves
// beneath its directory descriptor with the resolver preview1 uses too
// (src/wasi_sys/path_resolver.h): absolute paths, ".." and symlinks that leave
// the preopen fail with not-permitted, with or without openat2.
// Descriptors from a read-only preopen refuse every write with read-only.
#include <dirent.h>
#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "component/wasi/host_state.h"
#include "wasi_sys/dir_reader.h"
#include "wasi_sys/path_changes.h"
#include "wasi_sys/host_room.h"
#include "wasi_sys/path_resolver.h"

namespace wasmlet::component::wasi {
namespace {

// error-code cases, in the order of wasi:filesystem/types.
enum ErrorCode : uint32_t {
  Access, WouldBlock, Already, BadDescriptor, Busy, Deadlock, Quota, Exist, FileTooLarge, IllegalByteSequence,
  InProgress, Interrupted, Invalid, Io, IsDirectory, Loop, TooManyLinks, MessageSize, NameTooLong, NoDevice,
  NoEntry, NoLock, InsufficientMemory, InsufficientSpace, NotDirectory, NotEmpty, NotRecoverable, Unsupported,
  NoTty, NoSuchDevice, Overflow, NotPermitted, Pipe, ReadOnly, InvalidSeek, TextFileBusy, CrossDevice,
};

uint32_t error_code(int e) {
  switch (e) {
    case EACCES: return Access;
    case EAGAIN: return WouldBlock;
    case EALREADY: return Already;
    case EBADF: return BadDescriptor;
    case EBUSY: return Busy;
    case EDEADLK: return Deadlock;
    case EDQUOT: return Quota;
    case EEXIST: return Exist;
    case EFBIG: return FileTooLarge;
    case EILSEQ: return IllegalByteSequence;
    case EINPROGRESS: return InProgress;
    case EINTR: return Interrupted;
    case EINVAL: return Invalid;
    case EISDIR: return IsDirectory;
    case ELOOP: return Loop;
    case EMLINK: return TooManyLinks;
    case EMSGSIZE: return MessageSize;
    case ENAMETOOLONG: return NameTooLong;
    case ENODEV: return NoDevice;
    case ENOENT: return NoEntry;
    case ENOLCK: return NoLock;
    case ENOMEM: return InsufficientMemory;
    case ENOSPC: return InsufficientSpace;
    case ENOTDIR: return NotDirectory;
    case ENOTEMPTY: return NotEmpty;
    case ENOTRECOVERABLE: return NotRecoverable;
    case ENOTSUP: return Unsupported;
    case ENOTTY: return NoTty;
    case ENXIO: return NoSuchDevice;
    case EOVERFLOW: return Overflow;
    case EPERM: return NotPermitted;
    case EXDEV: return NotPermitted;  // a link or rename across file systems
    case EPIPE: return Pipe;
    case EROFS: return ReadOnly;
    case ESPIPE: return InvalidSeek;
    case ETXTBSY: return TextFileBusy;
    default: return Io;
  }
}

Val fail(uint32_t code) { return Val::err(Val::enumeration(code)); }
Val fail_errno() { return fail(error_code(errno)); }

// descriptor-type cases
uint32_t descriptor_type(mode_t m) {
  if (S_ISBLK(m)) return 1;
  if (S_ISCHR(m)) return 2;
  if (S_ISDIR(m)) return 3;
  if (S_ISFIFO(m)) return 4;
  if (S_ISLNK(m)) return 5;
  if (S_ISREG(m)) return 6;
  if (S_ISSOCK(m)) return 7;
  return 0;
}

Val datetime(const timespec& ts) {
  return Val::some(Val::record({Val::u64(uint64_t(ts.tv_sec)), Val::integer(ts.tv_nsec)}));
}

Val stat_record(const struct stat& st) {
  return Val::record({Val::enumeration(descriptor_type(st.st_mode)), Val::u64(st.st_nlink), Val::u64(uint64_t(st.st_size)),
                      datetime(st.st_atim), datetime(st.st_mtim), datetime(st.st_ctim)});
}

// A new-timestamp (no-change, now, timestamp(datetime)) as one of
// utimensat's times.
timespec new_timestamp(const Val& v) {
  switch (v.index) {
    case 0: return {0, UTIME_OMIT};
    case 1: return {0, UTIME_NOW};
    default: {
      const Val& when = *v.payload();
      return {time_t(when.items[0].i), long(when.items[1].i)};
    }
  }
}

// Paths resolve with the sandbox both front ends share
// (src/wasi_sys/path_resolver.h: openat2 RESOLVE_BENEATH, or its portable
// walker where openat2 is missing), so the boundary exists once. Both
// return -1 / nullopt with errno set on failure (EPERM, which error_code
// reports as not-permitted, when the path leaves its directory).
bool resolved(wasi_sys::ResolveStatus status) {
  if (status == 0) return true;
  errno = status == wasi_sys::kEscapes ? EPERM : status;
  return false;
}

// A path argument too long for the kernel: name-too-long before any work.
// The resolver refuses one first thing too; this is for calls that would
// otherwise do something first (open one path's parent, then check the other).
bool too_long(std::string_view path) {
  if (path.size() <= wasi_sys::kMaxPathBytes) return false;
  errno = ENAMETOOLONG;
  return true;
}

int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode) {
  if (path.empty()) { errno = ENOENT; return -1; }
  bool follow_final = !(flags & O_NOFOLLOW);
  UniqueFd out;
  if (!resolved(wasi_sys::open_beneath(dirfd, path, int(flags & ~uint64_t(O_NOFOLLOW)), mode_t(mode), follow_final, out)))
    return -1;
  return out.release();
}

// Opens the directory holding the last component of `path` (beneath dirfd)
// and returns it with that component. The component is never "." or "..".
std::optional<wasi_sys::ParentDir> parent_beneath(int dirfd, std::string_view path) {
  if (too_long(path)) return std::nullopt;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  std::string_view leaf = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == "..") { errno = leaf == ".." ? EPERM : EINVAL; return std::nullopt; }
  wasi_sys::ParentDir parent;
  if (!resolved(wasi_sys::open_parent(dirfd, path, parent))) return std::nullopt;
  return parent;
}

}  // namespace

void add_filesystem(HostState& s, Interfaces& into) {
  // The preopens are opened while the host is set up: a missing directory is
  // the embedder's error before the guest runs, never an exception out of
  // the guest's get-directories call.
  std::vector<std::shared_ptr<UniqueFd>> preopen_fds;
  std::vector<std::shared_ptr<wasi_sys::DirQuota>> quotas;
  for (auto& p : s.config.preopens) {
    quotas.push_back(p.max_bytes ? wasi_sys::DirQuota::of(p.host_path, *p.max_bytes) : nullptr);
    int fd = ::open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      throw Error(fmt::format("cannot open preopened directory {} (as {}): {}", p.host_path.string(), p.guest_path,
                              std::strerror(errno)),
                  ::wasmlet::ErrorCode::Io);
    preopen_fds.push_back(s.own_fd(fd));
  }
  // WASI's wasi:filesystem/types, whose functions are registered below.
  Interface t(into, "wasi:filesystem/types", R"(
    use wasi:io/streams.{input-stream, output-stream, error};
    use wasi:clocks/wall-clock.{datetime};
    type filesize = u64;
    type link-count = u64;
    enum descriptor-type {
      unknown, block-device, character-device, directory, fifo, symbolic-link, regular-file, socket,
    }
    flags descriptor-flags {
      read, write, file-integrity-sync, data-integrity-sync, requested-write-sync, mutate-directory,
    }
    record descriptor-stat {
      %type: descriptor-type,
      link-count: link-count,
      size: filesize,
      data-access-timestamp: option<datetime>,
      data-modification-timestamp: option<datetime>,
      status-change-timestamp: option<datetime>,
    }
    flags path-flags { symlink-follow }
    flags open-flags { create, directory, exclusive, truncate }
    variant new-timestamp { no-change, now, timestamp(datetime) }
    record directory-entry { %type: descriptor-type, name: string }
    enum error-code {
      access, would-block, already, bad-descriptor, busy, deadlock, quota, exist, file-too-large,
      illegal-byte-sequence, in-progress, interrupted, invalid, io, is-directory, loop, too-many-links,
      message-size, name-too-long, no-device, no-entry, no-lock, insufficient-memory, insufficient-space,
      not-directory, not-empty, not-recoverable, unsupported, no-tty, no-such-device, overflow,
      not-permitted, pipe, read-only, invalid-seek, text-file-busy, cross-device,
    }
    enum advice { normal, sequential, random, will-need, dont-need, no-reuse }
    record metadata-hash-value { lower: u64, upper: u64 }
    resource descriptor;
    resource directory-entry-stream;
  )");
  Interface(into, "wasi:filesystem/preopens", "use wasi:filesystem/types.{descriptor};")
      .def("get-directories", "func() -> list<tuple<descriptor, string>>") =
          [&s, preopen_fds, quotas](std::span<const Val>) -> std::optional<Val> {
    std::vector<Val> dirs;
    for (size_t i = 0; i < s.config.preopens.size(); ++i) {
      const auto& p = s.config.preopens[i];
      Descriptor d{preopen_fds[i], true, p.read_only, true, !p.read_only, p.guest_path, quotas[i]};
      dirs.push_back(Val::tuple({Val::resource(s.add(std::move(d))), Val::string(p.guest_path)}));
    }
    return Val::list(std::move(dirs));
  };

  auto desc = [&s](const Val& v) -> Descriptor& { return s.get<Descriptor>(v, "descriptor"); };

  t.def("[method]descriptor.read-via-stream", "func(offset: filesize) -> result<input-stream, error-code>") =
      [&s, desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.directory) return fail(IsDirectory);
    if (!d.readable) return fail(BadDescriptor);
    return Val::ok(Val::resource(s.add(InputStream{InputStream::Kind::File, d.fd, uint64_t(a[1].i), false})));
  };
  auto write_stream = [&s, desc](std::span<const Val> a, bool append) -> Val {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    if (d.directory) return fail(IsDirectory);
    if (!d.writable) return fail(BadDescriptor);
    uint64_t offset = append ? 0 : uint64_t(a[1].i);
    return Val::ok(Val::resource(s.add(OutputStream{OutputStream::Kind::File, d.fd, offset, append, d.quota, d.guest_path})));
  };
  t.def("[method]descriptor.write-via-stream", "func(offset: filesize) -> result<output-stream, error-code>") =
      [write_stream](std::span<const Val> a) -> std::optional<Val> {
    return write_stream(a, false);
  };
  t.def("[method]descriptor.append-via-stream", "func() -> result<output-stream, error-code>") =
      [write_stream](std::span<const Val> a) -> std::optional<Val> {
    return write_stream(a, true);
  };
  t.def("[method]descriptor.advise",
        "func(offset: filesize, length: filesize, advice: advice) -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> { desc(a[0]); return Val::ok(); };
  t.def("[method]descriptor.sync-data", "func() -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    return ::fdatasync(d.fd->get()) == 0 || d.directory ? Val::ok() : fail_errno();
  };
  t.def("[method]descriptor.sync", "func() -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    return ::fsync(d.fd->get()) == 0 || d.directory ? Val::ok() : fail_errno();
  };
  t.def("[method]descriptor.get-flags", "func() -> result<descriptor-flags, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    uint32_t bits = (d.readable ? 1u : 0u) | (d.writable && !d.read_only ? 2u : 0u);
    if (d.directory && !d.read_only) bits |= 32u;  // mutate-directory
    return Val::ok(Val::flags(bits));
  };
  t.def("[method]descriptor.get-type", "func() -> result<descriptor-type, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    struct stat st {};
    if (::fstat(desc(a[0]).fd->get(), &st) != 0) return fail_errno();
    return Val::ok(Val::enumeration(descriptor_type(st.st_mode)));
  };
  t.def("[method]descriptor.set-size", "func(size: filesize) -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    if (d.quota && !d.quota->grow_to(d.fd->get(), uint64_t(a[1].i))) return fail(InsufficientSpace);
    if (::ftruncate(d.fd->get(), off_t(a[1].i)) != 0) return fail_errno();
    if (d.quota) d.quota->note_shrink();
    return Val::ok();
  };
  t.def("[method]descriptor.set-times",
        "func(data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp) "
        "-> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    const timespec times[2] = {new_timestamp(a[1]), new_timestamp(a[2])};
    return ::futimens(d.fd->get(), times) == 0 ? Val::ok() : fail_errno();
  };
  t.def("[method]descriptor.set-times-at",
        "func(path-flags: path-flags, path: string, data-access-timestamp: new-timestamp, "
        "data-modification-timestamp: new-timestamp) -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    const timespec times[2] = {new_timestamp(a[3]), new_timestamp(a[4])};
    return resolved(wasi_sys::set_times_beneath(d.fd->get(), a[2].s, a[1].bits & 1, times)) ? Val::ok() : fail_errno();
  };
  t.def("[method]descriptor.read",
        "func(length: filesize, offset: filesize) -> result<tuple<list<u8>, bool>, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.directory) return fail(IsDirectory);
    uint64_t len = std::min<uint64_t>(uint64_t(a[1].i), kMaxBytesPerCall);  // a short read, as read(2) may give
    std::string buf(size_t(len), '\0');
    ssize_t n = ::pread(d.fd->get(), buf.data(), len, off_t(a[2].i));
    if (n < 0) return fail_errno();
    buf.resize(size_t(n));
    return Val::ok(Val::tuple({Val::bytes(buf), Val::boolean(n == 0 && len > 0)}));
  };
  t.def("[method]descriptor.write",
        "func(buffer: list<u8>, offset: filesize) -> result<filesize, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    if (d.directory) return fail(IsDirectory);
    std::string data = a[1].as_bytes();
    if (d.quota) {
      // Past a size limit, what fits is written (the count says how much),
      // as on a full disk; nothing fits: insufficient-space.
      const uint64_t room = d.quota->room_for_write(d.fd->get(), uint64_t(a[2].i), data.size());
      if (room == 0 && !data.empty()) return fail(InsufficientSpace);
      data.resize(size_t(room));
    }
    ssize_t n = ::pwrite(d.fd->get(), data.data(), data.size(), off_t(a[2].i));
    if (n < 0) return fail_errno();
    return Val::ok(Val::u64(uint64_t(n)));
  };
  // A listing is read in batches of at most kBatchBytes of host memory, so a
  // directory of any size can be listed; what undropped streams hold at once
  // stays within wasi_sys::kMaxListingBytes (past it, insufficient-memory).
  // Entries come in the kernel's order, "." and ".." left out.
  static constexpr uint64_t kBatchBytes = 16 << 10;
  auto refill = [&s](DirectoryEntryStream& st) -> std::optional<Val> {
    s.listing_bytes -= st.bytes;
    st.batch.clear();
    st.next = 0;
    st.bytes = 0;
    uint64_t room = wasi_sys::kMaxListingBytes - std::min(s.listing_bytes, wasi_sys::kMaxListingBytes);
    uint64_t limit = std::min(kBatchBytes, room);
    bool more = false;  // an entry was left for the next batch
    int r = st.reader->read(st.dir->get(), st.position, [&](const wasi_sys::DirEntryAt& d) {
      if (d.name == "." || d.name == "..") {
        st.position = d.next;
        return true;
      }
      uint64_t cost = wasi_sys::listing_entry_bytes(d.name.size());
      if (st.bytes + cost > limit) {
        more = true;
        return false;
      }
      uint32_t type = 0;
      if (d.type != DT_UNKNOWN) type = descriptor_type(DTTOIF(d.type));
      st.batch.push_back({std::string(d.name), type});
      st.bytes += cost;
      st.position = d.next;
      return true;
    });
    s.listing_bytes += st.bytes;
    if (r != 0) return fail(error_code(r));
    if (more && st.batch.empty()) return fail(InsufficientMemory);  // other streams hold all the room
    st.at_end = !more;
    return std::nullopt;
  };
  t.def("[method]descriptor.read-directory", "func() -> result<directory-entry-stream, error-code>") =
      [&s, desc, refill](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (!d.directory) return fail(NotDirectory);
    // Its own open directory: a host fd, within the guest's (HostState::kMaxFds).
    wasi_sys::FdSlot slot = s.fd_slot();
    if (!slot) return fail(InsufficientMemory);
    const int fd = ::openat(d.fd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno();
    if (!wasi_sys::leaves_host_room(fd)) {  // the host's fds are nearly all taken
      ::close(fd);
      return fail(InsufficientMemory);
    }
    DirectoryEntryStream stream;
    stream.dir = s.own_fd(fd, slot);
    if (auto error = refill(stream)) {  // a first batch now: an unreadable directory fails here
      s.listing_bytes -= stream.bytes;
      return error;
    }
    return Val::ok(Val::resource(s.add(std::move(stream))));
  };
  t.def("[method]directory-entry-stream.read-directory-entry",
        "func() -> result<option<directory-entry>, error-code>") =
      [&s, refill](std::span<const Val> a) -> std::optional<Val> {
    auto& st = s.get<DirectoryEntryStream>(a[0], "directory-entry-stream");
    if (st.next >= st.batch.size() && !st.at_end)
      if (auto error = refill(st)) return error;
    if (st.next >= st.batch.size()) return Val::ok(Val::none());
    auto& [name, type] = st.batch[st.next++];
    return Val::ok(Val::some(Val::record({Val::enumeration(type), Val::string(name)})));
  };
  t.def("[method]descriptor.stat", "func() -> result<descriptor-stat, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    struct stat st {};
    if (::fstat(desc(a[0]).fd->get(), &st) != 0) return fail_errno();
    return Val::ok(stat_record(st));
  };
  t.def("[method]descriptor.stat-at",
        "func(path-flags: path-flags, path: string) -> result<descriptor-stat, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    bool follow = a[1].bits & 1;
    int fd = open_beneath(d.fd->get(), a[2].s, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
    if (fd < 0) return fail_errno();
    UniqueFd owned(fd);
    struct stat st {};
    if (::fstatat(fd, "", &st, AT_EMPTY_PATH) != 0) return fail_errno();
    return Val::ok(stat_record(st));
  };
  t.def("[method]descriptor.open-at",
        "func(path-flags: path-flags, path: string, open-flags: open-flags, %flags: descriptor-flags) "
        "-> result<descriptor, error-code>") =
      [&s, desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (!d.directory) return fail(NotDirectory);
    // The guest holds as many fds as one instance may (HostState::kMaxFds).
    wasi_sys::FdSlot slot = s.fd_slot();
    if (!slot) return fail(InsufficientMemory);
    bool follow = a[1].bits & 1;
    const std::string& path = a[2].s;
    uint32_t open_flags = a[3].bits, flags = a[4].bits;
    bool create = open_flags & 1, directory = open_flags & 2, exclusive = open_flags & 4, truncate = open_flags & 8;
    bool want_write = flags & 2;
    if (d.read_only && (create || truncate || want_write || (flags & 32))) return fail(ReadOnly);
    // Non-blocking, as preview1 opens: a FIFO without its other end would
    // otherwise hold this thread in open(2), out of reach of a stop or the
    // run's timeout (a writer gets no-such-device instead).
    uint64_t o = O_NOCTTY | O_NONBLOCK;
    if (directory) o |= O_DIRECTORY | O_RDONLY;
    else if (want_write) o |= (flags & 1) ? O_RDWR : O_WRONLY;
    else o |= O_RDONLY;
    if (create) o |= O_CREAT;
    if (exclusive) o |= O_EXCL;
    if (truncate) o |= O_TRUNC;
    if (!follow) o |= O_NOFOLLOW;
    // Creating a file makes a name, counted against a size limit; opening
    // one that is there already does not (as in preview1's path_open).
    wasi_sys::NewEntry entry;
    if (create && d.quota) {
      const int there = open_beneath(d.fd->get(), path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
      if (there >= 0) ::close(there);
      else entry.take(d.quota.get());
      if (entry.refused()) return fail(InsufficientSpace);
    }
    int fd = open_beneath(d.fd->get(), path, o, 0644);
    if (fd < 0 && errno == EISDIR && !want_write) fd = open_beneath(d.fd->get(), path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return fail_errno();
    entry.keep();
    if (!wasi_sys::leaves_host_room(fd)) {  // the host's fds are nearly all taken
      ::close(fd);
      return fail(InsufficientMemory);
    }
    struct stat st {};
    ::fstat(fd, &st);
    Descriptor child{s.own_fd(fd, slot), S_ISDIR(st.st_mode), d.read_only, true, want_write && !d.read_only,
                     d.guest_path + "/" + path, d.quota};
    return Val::ok(Val::resource(s.add(std::move(child))));
  };
  // A call on a path's final component beneath a descriptor. One that
  // `Frees` (unlink, rmdir) lets a size limit count again; one that `Makes`
  // a name (mkdir) is counted against it first.
  enum class Effect { None, Frees, Makes };
  auto at_parent = [desc](std::span<const Val> a, size_t path_arg, bool writes,
                          const std::function<int(int, const char*)>& op, Effect effect = Effect::None) -> Val {
    auto& d = desc(a[0]);
    if (writes && d.read_only) return fail(ReadOnly);
    auto parent = parent_beneath(d.fd->get(), a[path_arg].s);
    if (!parent) return fail_errno();
    wasi_sys::NewEntry entry(effect == Effect::Makes ? d.quota.get() : nullptr);
    if (entry.refused()) return fail(InsufficientSpace);
    if (op(parent->dir.get(), parent->name.c_str()) != 0) return fail_errno();
    entry.keep();
    if (effect == Effect::Frees && d.quota) d.quota->note_shrink();
    return Val::ok();
  };
  t.def("[method]descriptor.create-directory-at", "func(path: string) -> result<_, error-code>") =
      [at_parent](std::span<const Val> a) -> std::optional<Val> {
    return at_parent(a, 1, true, [](int dir, const char* leaf) { return ::mkdirat(dir, leaf, 0755); }, Effect::Makes);
  };
  t.def("[method]descriptor.remove-directory-at", "func(path: string) -> result<_, error-code>") =
      [at_parent](std::span<const Val> a) -> std::optional<Val> {
    return at_parent(a, 1, true, [](int dir, const char* leaf) { return ::unlinkat(dir, leaf, AT_REMOVEDIR); }, Effect::Frees);
  };
  t.def("[method]descriptor.unlink-file-at", "func(path: string) -> result<_, error-code>") =
      [at_parent](std::span<const Val> a) -> std::optional<Val> {
    return at_parent(a, 1, true, [](int dir, const char* leaf) { return ::unlinkat(dir, leaf, 0); }, Effect::Frees);
  };
  t.def("[method]descriptor.readlink-at", "func(path: string) -> result<string, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    auto parent = parent_beneath(d.fd->get(), a[1].s);
    if (!parent) return fail_errno();
    char buf[4096];
    ssize_t n = ::readlinkat(parent->dir.get(), parent->name.c_str(), buf, sizeof buf);
    if (n < 0) return fail_errno();
    return Val::ok(Val::string(std::string(buf, size_t(n))));
  };
  // A call on the final components of two paths, each beneath its own
  // descriptor (rename-at, link-at). Between preopens with different size
  // limits it is cross-device, as between two mounts: a file moved in would
  // not be counted where it lands. A link `makes` a name, counted first.
  auto between_parents = [desc](const Val& from, const std::string& from_path, const Val& to, const std::string& to_path,
                                int (*op)(int, const char*, int, const char*), bool makes) -> Val {
    auto& d1 = desc(from);
    auto& d2 = desc(to);
    if (d1.read_only || d2.read_only) return fail(ReadOnly);
    if (d1.quota != d2.quota) return fail(CrossDevice);
    if (too_long(from_path) || too_long(to_path)) return fail_errno();
    auto p1 = parent_beneath(d1.fd->get(), from_path);
    if (!p1) return fail_errno();
    auto p2 = parent_beneath(d2.fd->get(), to_path);
    if (!p2) return fail_errno();
    wasi_sys::NewEntry entry(makes ? d2.quota.get() : nullptr);
    if (entry.refused()) return fail(InsufficientSpace);
    if (op(p1->dir.get(), p1->name.c_str(), p2->dir.get(), p2->name.c_str()) != 0) return fail_errno();
    entry.keep();
    if (d2.quota) d2.quota->note_shrink();  // a file renamed over is freed
    return Val::ok();
  };
  t.def("[method]descriptor.rename-at",
        "func(old-path: string, new-descriptor: borrow<descriptor>, new-path: string) -> result<_, error-code>") =
      [between_parents](std::span<const Val> a) -> std::optional<Val> {
    return between_parents(a[0], a[1].s, a[2], a[3].s, ::renameat, false);
  };
  t.def("[method]descriptor.link-at",
        "func(old-path-flags: path-flags, old-path: string, new-descriptor: borrow<descriptor>, new-path: string) "
        "-> result<_, error-code>") =
      [between_parents](std::span<const Val> a) -> std::optional<Val> {
    // Following a source symlink could link a file from outside the
    // sandbox in: refused, as in preview1 (and wasmtime).
    if (a[1].bits & 1) return fail(Invalid);
    return between_parents(a[0], a[2].s, a[3], a[4].s,
                           [](int from_dir, const char* from, int to_dir, const char* to) {
                             return ::linkat(from_dir, from, to_dir, to, 0);
                           }, true);
  };
  t.def("[method]descriptor.symlink-at", "func(old-path: string, new-path: string) -> result<_, error-code>") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    if (d.read_only) return fail(ReadOnly);
    if (too_long(a[1].s)) return fail_errno();  // the target, before the parent is opened
    auto parent = parent_beneath(d.fd->get(), a[2].s);
    if (!parent) return fail_errno();
    wasi_sys::NewEntry entry(d.quota.get());
    if (entry.refused()) return fail(InsufficientSpace);
    if (!resolved(wasi_sys::create_symlink(a[1].s, *parent))) return fail_errno();
    entry.keep();
    return Val::ok();
  };
  t.def("[method]descriptor.is-same-object", "func(other: borrow<descriptor>) -> bool") =
      [desc](std::span<const Val> a) -> std::optional<Val> {
    struct stat x {}, y {};
    ::fstat(desc(a[0]).fd->get(), &x);
    ::fstat(desc(a[1]).fd->get(), &y);
    return Val::boolean(x.st_dev == y.st_dev && x.st_ino == y.st_ino);
  };
  auto hash = [](const struct stat& st) {
    return Val::ok(Val::record({Val::u64(uint64_t(st.st_ino) ^ (uint64_t(st.st_mtim.tv_nsec) << 32)), Val::u64(st.st_dev)}));
  };
  t.def("[method]descriptor.metadata-hash", "func() -> result<metadata-hash-value, error-code>") =
      [desc, hash](std::span<const Val> a) -> std::optional<Val> {
    struct stat st {};
    if (::fstat(desc(a[0]).fd->get(), &st) != 0) return fail_errno();
    return hash(st);
  };
  t.def("[method]descriptor.metadata-hash-at",
        "func(path-flags: path-flags, path: string) -> result<metadata-hash-value, error-code>") =
      [desc, hash](std::span<const Val> a) -> std::optional<Val> {
    auto& d = desc(a[0]);
    int fd = open_beneath(d.fd->get(), a[2].s, O_PATH | ((a[1].bits & 1) ? 0 : O_NOFOLLOW), 0);
    if (fd < 0) return fail_errno();
    UniqueFd owned(fd);
    struct stat st {};
    if (::fstatat(fd, "", &st, AT_EMPTY_PATH) != 0) return fail_errno();
    return hash(st);
  };
  // The code of a failed file stream write (a quota's insufficient-space).
  t.def("filesystem-error-code", "func(err: borrow<error>) -> option<error-code>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    const auto& e = s.get<ErrorResource>(a[0], "error");
    return e.host_errno ? Val::some(Val::enumeration(error_code(e.host_errno))) : Val::none();
  };
}

}  // namespace wasmlet::component::wasi
