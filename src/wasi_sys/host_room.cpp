#include "wasi_sys/host_room.h"

#include <sys/resource.h>

namespace wasmlet::wasi_sys {

bool leaves_host_room(int fd) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return true;
  return static_cast<rlim_t>(fd) + kHostReservedFds < limit.rlim_cur;
}

}  // namespace wasmlet::wasi_sys
