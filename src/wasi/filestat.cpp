#include "filestat.h"

#include <cstring>

#include "wasi_context.h"

namespace wasmlet::wasi {

namespace {
uint64_t ns(const timespec& t) { return uint64_t(t.tv_sec) * 1'000'000'000u + uint64_t(t.tv_nsec); }
timespec from_ns(uint64_t v) { return {static_cast<time_t>(v / 1'000'000'000u), static_cast<long>(v % 1'000'000'000u)}; }
}  // namespace

void write_filestat(const GuestMemory& mem, uint64_t ptr, const struct stat& st, int fd) {
  auto out = mem.bytes(ptr, layout::filestat_size);
  std::memset(out.data(), 0, out.size());
  mem.store<uint64_t>(ptr + 0, st.st_dev);
  mem.store<uint64_t>(ptr + 8, st.st_ino);
  mem.store<uint8_t>(ptr + 16, filetype_from_mode(st.st_mode, fd));
  mem.store<uint64_t>(ptr + 24, st.st_nlink);
  mem.store<uint64_t>(ptr + 32, static_cast<uint64_t>(st.st_size));
  mem.store<uint64_t>(ptr + 40, ns(st.st_atim));
  mem.store<uint64_t>(ptr + 48, ns(st.st_mtim));
  mem.store<uint64_t>(ptr + 56, ns(st.st_ctim));
}

void write_synthetic_filestat(const GuestMemory& mem, uint64_t ptr, uint8_t type) {
  auto out = mem.bytes(ptr, layout::filestat_size);
  std::memset(out.data(), 0, out.size());
  mem.store<uint8_t>(ptr + 16, type);
}

Errno timespecs_from(uint64_t atim, uint64_t mtim, uint32_t f, timespec out[2]) {
  if (f & ~uint32_t{fstflags::atim | fstflags::atim_now | fstflags::mtim | fstflags::mtim_now}) return err::inval;
  if ((f & fstflags::atim) && (f & fstflags::atim_now)) return err::inval;
  if ((f & fstflags::mtim) && (f & fstflags::mtim_now)) return err::inval;
  out[0] = (f & fstflags::atim_now) ? timespec{0, UTIME_NOW} : (f & fstflags::atim) ? from_ns(atim) : timespec{0, UTIME_OMIT};
  out[1] = (f & fstflags::mtim_now) ? timespec{0, UTIME_NOW} : (f & fstflags::mtim) ? from_ns(mtim) : timespec{0, UTIME_OMIT};
  return err::success;
}

}  // namespace wasmlet::wasi
