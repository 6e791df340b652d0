// What every preview1 function receives, and how it is registered: typed
// access to its arguments, the caller's memory and the guest's WasiContext.
// A function returns a WASI errno; a MemoryFault while it reads or writes
// guest memory becomes EFAULT.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "wasi/wasi_abi.h"
#include "wasi/wasi_context.h"
#include "wasmlet/linker.h"

namespace wasmlet::wasi {

struct Call {
  Caller& caller;
  WasiContext& ctx;
  GuestMemory mem;
  std::span<const Value> args;

  uint32_t u32(size_t i) const { return args[i].as_u32(); }
  uint64_t u64(size_t i) const { return args[i].as_u64(); }
  std::string_view string(size_t ptr_arg, size_t len_arg) const { return mem.string(u32(ptr_arg), u32(len_arg)); }
  template <typename T>
  void out(size_t ptr_arg, T value) const { mem.store<T>(u32(ptr_arg), value); }
};

using Handler = Errno (*)(Call&);

// Defines wasi_snapshot_preview1.NAME: (params...) -> i32 errno.
void define(Linker& linker, const char* name, std::initializer_list<ValType> params, Handler handler);

// The function groups, each in its own file.
void define_args_clock_random(Linker& linker);  // args, environ, clocks, random, sched_yield, proc_*
void define_fd(Linker& linker);                 // fd_*
void define_path(Linker& linker);               // path_*
void define_poll(Linker& linker);               // poll_oneoff
void define_sock(Linker& linker);               // sock_*

// Reads a guest iovec array into host iovecs over guest memory (bounds-checked).
Errno gather_iovecs(const Call& call, uint32_t iovs, uint32_t count, std::vector<std::span<uint8_t>>& out);

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT), or the guest must
// stop (interrupt or deadline: ends the guest), for blocking I/O on sockets.
void wait_ready(Caller& caller, int fd, short events);

}  // namespace wasmlet::wasi
