#include "wasi/fd_helpers.h"

namespace wasmlet::wasi {

FdEntry* lookup(Call& call, uint32_t fd, uint64_t needed, Errno& error) {
  FdEntry* entry = call.ctx.get(fd);
  if (!entry) {
    error = err::badf;
    return nullptr;
  }
  if (entry->read_only && (needed & rights::writes)) {
    error = err::rofs;
    return nullptr;
  }
  if ((entry->rights_base & needed) != needed) {
    error = err::notcapable;
    return nullptr;
  }
  error = err::success;
  return entry;
}

Filetype filetype_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return Filetype::RegularFile;
    case S_IFDIR: return Filetype::Directory;
    case S_IFLNK: return Filetype::SymbolicLink;
    case S_IFCHR: return Filetype::CharacterDevice;
    case S_IFBLK: return Filetype::BlockDevice;
    case S_IFSOCK: return Filetype::SocketStream;
    default: return Filetype::Unknown;
  }
}

void write_filestat(const Call& call, uint32_t ptr, const struct stat& st) {
  auto ns = [](const timespec& ts) { return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec); };
  uint8_t buf[layout::filestat_size] = {};
  auto put64 = [&](size_t at, uint64_t v) { std::memcpy(buf + at, &v, 8); };
  put64(0, st.st_dev);
  put64(8, st.st_ino);
  buf[16] = static_cast<uint8_t>(filetype_of(st.st_mode));
  put64(24, st.st_nlink);
  put64(32, static_cast<uint64_t>(st.st_size));
  put64(40, ns(st.st_atim));
  put64(48, ns(st.st_mtim));
  put64(56, ns(st.st_ctim));
  call.mem.write(ptr, buf);
}

}  // namespace wasmlet::wasi
