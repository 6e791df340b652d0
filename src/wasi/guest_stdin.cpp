#include "wasi/guest_stdin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wasmlet::wasi {

GuestStdin open_guest_stdin(const WasiConfig& config, bool non_blocking) {
  const int flags = O_RDONLY | O_CLOEXEC | (non_blocking ? O_NONBLOCK : 0);
  GuestStdin in;
  if (config.stdin_fd) {
    const int inherited = *config.stdin_fd;
    if (::fcntl(inherited, F_GETFD) < 0) {
      in.error = fmt::format("stdin fd {} is not open: {}", inherited, std::strerror(errno));
      return in;
    }
    in.fd = ::open(fmt::format("/proc/self/fd/{}", inherited).c_str(), flags);
    if (in.fd < 0 && errno == ENXIO) {  // a socket (Node's spawn, systemd socket units)
      in.fd = ::fcntl(inherited, F_DUPFD_CLOEXEC, 0);
      if (in.fd >= 0 && non_blocking) ::fcntl(in.fd, F_SETFL, ::fcntl(in.fd, F_GETFL) | O_NONBLOCK);
    }
    if (in.fd < 0) in.error = fmt::format("cannot read stdin fd {}: {}", inherited, std::strerror(errno));
  } else if (config.stdin_file) {
    in.fd = ::open(config.stdin_file->c_str(), flags);
    if (in.fd < 0) in.error = fmt::format("cannot open stdin file '{}': {}", config.stdin_file->string(), std::strerror(errno));
  }
  return in;
}

}  // namespace wasmlet::wasi
