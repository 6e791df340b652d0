// The guest's descriptor table: WASI fd numbers -> host resources with their
// rights. Numbers are handed out densely from the lowest free one (like
// wasmtime), so programs that assume POSIX numbering keep working.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "abi.h"
#include "wasi_sys/dir_quota.h"
#include "wasi_sys/dir_reader.h"
#include "wasi_sys/host_room.h"
#include "wasi_sys/unique_fd.h"
#include "wasmlet/wasi.h"

namespace wasmlet::wasi {

// The host fd owner shared with the component host (src/wasi_sys).
using wasi_sys::UniqueFd;

enum class FdKind {
  File,       // regular file, device, fifo: read/write through the host fd
  Directory,  // path_* base; may be a preopen
  Output,     // guest stdout/stderr: bytes go to the OutputSink
  Listener,   // listening socket (sock_accept)
  Socket,     // connected stream socket
};

struct FdEntry {
  FdKind kind = FdKind::File;
  UniqueFd host;  // -1 for Output
  uint8_t filetype = filetype::unknown;
  uint16_t fdflags = 0;  // as the guest set them (nonblock is emulated: host fds stay non-blocking)
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  bool read_only = false;               // opened beneath a read-only preopen
  std::shared_ptr<wasi_sys::DirQuota> quota;  // opened beneath a preopen with max_bytes
  std::optional<std::string> preopen;   // the guest path, for preopened directories
  OutputStream stream = OutputStream::Stdout;
  // Where fd_readdir stopped: the cookie after the last whole entry it gave
  // and the directory's position there, so a guest reading on from that
  // cookie (as wasi-libc does) continues where the kernel left off, on this
  // fd's own open directory (`listing`, reading `host`: a position is only
  // good for the open directory that gave it). Any other cookie reads from
  // the start of that open directory.
  uint64_t readdir_cookie = 0;
  uint64_t readdir_position = 0;
  wasi_sys::DirStream listing;

  bool has(uint64_t rights) const { return (rights_base & rights) == rights; }
  // Whether the file may grow to `end` bytes within its preopen's quota
  // (counting the growth); if not, the write is `nospc`.
  bool may_grow_to(uint64_t end) const { return !quota || quota->grow_to(host.get(), end); }
  // How many of `len` bytes written at `start` fit within the quota (counted):
  // fewer is a short write, none is `nospc` (DirQuota::room_for_write).
  uint64_t room_for_write(uint64_t start, uint64_t len) const {
    return quota ? quota->room_for_write(host.get(), start, len) : len;
  }
  // Something beneath the quota'd preopen may have been freed (DirQuota::note_shrink).
  void note_shrink() const {
    if (quota) quota->note_shrink();
  }
};

class FdTable {
 public:
  // Places the entry at the lowest free number; returns that number.
  uint32_t insert(std::shared_ptr<FdEntry> entry);
  // nullptr if fd is not open.
  std::shared_ptr<FdEntry> get(uint32_t fd) const;
  bool remove(uint32_t fd);
  // Moves `from` onto `to` (closing what was at `to`). Both must be open.
  bool renumber(uint32_t from, uint32_t to);
  size_t open_count() const { return open_; }
  // The fd the guest is about to open, counted now (false when it holds as
  // many as one context may, wasi_sys::kMaxGuestFds, or its share of the
  // process's, wasi_sys::GuestFdShare: the open is `mfile`); given back
  // unless insert() below places it.
  wasi_sys::FdSlot reserve() { return wasi_sys::FdSlot(share_); }
  // Places the entry whose fd `slot` counted; returns its number.
  uint32_t insert(std::shared_ptr<FdEntry> entry, wasi_sys::FdSlot& slot);

 private:
  uint32_t place(std::shared_ptr<FdEntry> entry);  // at the lowest free number, counted already
  wasi_sys::GuestFdShare share_;  // counts every open entry
  std::vector<std::shared_ptr<FdEntry>> slots_;
  uint32_t lowest_free_ = 0;
  size_t open_ = 0;
};

}  // namespace wasmlet::wasi
