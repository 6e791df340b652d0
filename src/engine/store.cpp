#include "wasmlet/store.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet {

Store::Store(Engine& engine, StoreLimits limits) : engine_(engine), limits_(std::move(limits)) {
  interrupt_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (interrupt_fd_ < 0) throw Error(fmt::format("cannot create a store: eventfd failed: {}", std::strerror(errno)));
}

Store::~Store() {
  if (interrupt_fd_ >= 0) close(interrupt_fd_);
}

void Store::interrupt() {
  if (interrupted_.exchange(true)) return;
  uint64_t one = 1;
  // The eventfd stays readable: every later blocking wait wakes at once.
  [[maybe_unused]] ssize_t n = write(interrupt_fd_, &one, sizeof one);
}

void Store::arm_deadline() {
  if (limits_.timeout)
    deadline_ = std::chrono::steady_clock::now() + *limits_.timeout;
  else
    deadline_.reset();
}

}  // namespace wasmlet
