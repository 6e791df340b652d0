// The shape every preview1 function shares: typed arguments in, a WASI errno
// out, guest memory reached only through bounds-checked views. A guest
// pointer out of bounds becomes `fault`, never a host crash.
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "wasi_context.h"
#include "wasmlet/linker.h"

namespace wasmlet::wasi {

struct Call {
  Caller& caller;
  WasiContext& ctx;
  GuestMemory mem;
  std::span<const Value> args;

  uint32_t u32(size_t i) const { return args[i].as_u32(); }
  uint64_t u64(size_t i) const { return args[i].as_u64(); }
  // The open fd `fd` if it holds all of `rights`: badf if not open,
  // notcapable if a right is missing.
  Errno entry(uint32_t fd, uint64_t rights, std::shared_ptr<FdEntry>& out) const;
  // Like entry(), for calls that change the file system: `rofs` first if the
  // fd lives beneath a read-only preopen, whatever its rights.
  Errno writable_entry(uint32_t fd, uint64_t rights, std::shared_ptr<FdEntry>& out) const;
  // A guest path (ptr, len): nametoolong past wasi_sys::kMaxPathBytes
  // (nothing is copied then), inval if it holds a NUL byte.
  Errno path(uint32_t ptr, uint32_t len, std::string& out) const;
};

using Handler = Errno (*)(Call&);

// Defines wasi_snapshot_preview1.NAME with `params` (one letter each: 'i' for
// i32, 'I' for i64) returning the errno as i32.
void define(Linker& linker, const char* name, std::string_view params, Handler handler);

// The guest's iovec array as host iovecs (each checked against memory).
// At most IOV_MAX entries: a shorter transfer is a legal result.
std::vector<iovec> guest_iovecs(const GuestMemory& mem, uint32_t iovs, uint32_t count);
size_t total_length(const std::vector<iovec>& v);
// The first `n` bytes of an iovec list (what a short write writes).
std::vector<iovec> first_bytes(const std::vector<iovec>& v, size_t n);

// Registration of each group of functions (one file each).
void register_args_clock_random(Linker& linker);
void register_fd(Linker& linker);
void register_path(Linker& linker);
void register_poll(Linker& linker);
void register_sock(Linker& linker);
void register_proc(Linker& linker);

}  // namespace wasmlet::wasi
