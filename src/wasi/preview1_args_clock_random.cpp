// args_*, environ_*, clock_*, random_get.
#include <sys/random.h>
#include <time.h>

#include <cerrno>

#include "errno_map.h"
#include "host_call.h"

namespace wasmlet::wasi {

namespace {

// Writes a string vector the way argv/environ are laid out: an array of
// pointers at `ptrs`, NUL-terminated strings packed at `buf`.
Errno write_strings(const Call& c, const std::vector<std::string>& strings, uint32_t ptrs, uint32_t buf) {
  uint64_t at = buf;
  for (size_t i = 0; i < strings.size(); ++i) {
    c.mem.store<uint32_t>(ptrs + 4 * uint64_t{i}, static_cast<uint32_t>(at));
    const auto& s = strings[i];
    c.mem.write(at, {reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1});
    at += s.size() + 1;
  }
  return err::success;
}

Errno write_sizes(const Call& c, const std::vector<std::string>& strings, uint32_t count_ptr, uint32_t size_ptr) {
  uint64_t size = 0;
  for (const auto& s : strings) size += s.size() + 1;
  c.mem.store<uint32_t>(count_ptr, static_cast<uint32_t>(strings.size()));
  c.mem.store<uint32_t>(size_ptr, static_cast<uint32_t>(size));
  return err::success;
}

// A guest is one instance on one thread: both CPU-time clocks measure that
// thread, so a guest never sees the work of other instances in the process.
bool host_clock(uint32_t id, clockid_t& out) {
  switch (id) {
    case clockid::realtime: out = CLOCK_REALTIME; return true;
    case clockid::monotonic: out = CLOCK_MONOTONIC; return true;
    case clockid::process_cputime:
    case clockid::thread_cputime: out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

uint64_t to_ns(const timespec& ts) { return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec); }

Errno args_get(Call& c) { return write_strings(c, c.ctx.args, c.u32(0), c.u32(1)); }
Errno args_sizes_get(Call& c) { return write_sizes(c, c.ctx.args, c.u32(0), c.u32(1)); }
Errno environ_get(Call& c) { return write_strings(c, c.ctx.env, c.u32(0), c.u32(1)); }
Errno environ_sizes_get(Call& c) { return write_sizes(c, c.ctx.env, c.u32(0), c.u32(1)); }

// clock_res_get and clock_time_get: one host query, its result in ns at `out`.
Errno clock_query(Call& c, int (*query)(clockid_t, timespec*), uint32_t out) {
  clockid_t id;
  if (!host_clock(c.u32(0), id)) return err::inval;
  timespec ts;
  if (query(id, &ts) != 0) return last_host_errno();
  c.mem.store<uint64_t>(out, to_ns(ts));
  return err::success;
}

Errno clock_res_get(Call& c) { return clock_query(c, ::clock_getres, c.u32(1)); }
Errno clock_time_get(Call& c) { return clock_query(c, ::clock_gettime, c.u32(2)); }

Errno random_get(Call& c) {
  auto buf = c.mem.bytes(c.u32(0), c.u32(1));
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::getrandom(buf.data() + done, buf.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_host_errno();
    }
    done += static_cast<size_t>(n);
  }
  return err::success;
}

}  // namespace

void register_args_clock_random(Linker& l) {
  define(l, "args_get", "ii", args_get);
  define(l, "args_sizes_get", "ii", args_sizes_get);
  define(l, "environ_get", "ii", environ_get);
  define(l, "environ_sizes_get", "ii", environ_sizes_get);
  define(l, "clock_res_get", "ii", clock_res_get);
  define(l, "clock_time_get", "iIi", clock_time_get);
  define(l, "random_get", "ii", random_get);
}

}  // namespace wasmlet::wasi
