// filestat records and timestamp updates, shared by fd_* and path_*.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include "abi.h"
#include "wasmlet/guest_memory.h"

namespace wasmlet::wasi {

// Writes a 64-byte filestat at ptr. `fd` (if any) tells stream from dgram sockets.
void write_filestat(const GuestMemory& mem, uint64_t ptr, const struct stat& st, int fd = -1);
// A filestat for a descriptor with no host file behind it (stdout/stderr).
void write_synthetic_filestat(const GuestMemory& mem, uint64_t ptr, uint8_t type);

// fst_flags -> utimensat's times[2]; inval for contradictory or unknown flags.
Errno timespecs_from(uint64_t atim, uint64_t mtim, uint32_t fst_flags, timespec out[2]);

}  // namespace wasmlet::wasi
