#include "wasmlet/store.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "engine/tier.h"
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
  if (calls_in_progress_++ > 0) return;
  if (limits_.timeout) deadline_ = std::chrono::steady_clock::now() + *limits_.timeout;
}

void Store::clear_deadline() {
  if (calls_in_progress_ > 0 && --calls_in_progress_ == 0) deadline_.reset();
}

}  // namespace wasmlet

namespace wasmlet::detail {

DeadlineScope::DeadlineScope(Store& store) : store_(store) { store_.arm_deadline(); }
DeadlineScope::~DeadlineScope() { store_.clear_deadline(); }

}  // namespace wasmlet::detail
