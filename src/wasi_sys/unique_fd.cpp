#include "wasi_sys/unique_fd.h"

#include <unistd.h>

namespace wasmlet::wasi_sys {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace wasmlet::wasi_sys
