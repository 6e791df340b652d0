#include "wasmlet/store.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/aot/interrupt_watch.h"
#include "engine/tier.h"
#include "wasmlet/error.h"

namespace wasmlet {

namespace {

// Makes an eventfd readable; it stays so, and every later blocking wait wakes at once.
void signal_fd(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(fd, &one, sizeof one);
}

}  // namespace

Store::Store(Engine& engine, StoreLimits limits) : engine_(engine), limits_(std::move(limits)) {}

Store::~Store() {
  if (int fd = interrupt_fd_.load(); fd >= 0) close(fd);
}

// Creating an eventfd and closing it again was a third of what a fresh Store
// per plugin call cost, so it is made only for a guest that blocks. An
// interrupt racing with the creation is not lost: interrupt() sets the flag
// before it looks for the fd, and the creator publishes the fd before it
// looks at the flag (both sequentially consistent), so one of them signals it.
int Store::interrupt_fd() const {
  int fd = interrupt_fd_.load();
  if (fd >= 0) return fd;
  int made = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (made < 0) throw Error(fmt::format("cannot wait for the guest's interrupt: eventfd failed: {}", std::strerror(errno)));
  if (!interrupt_fd_.compare_exchange_strong(fd, made)) {
    close(made);  // another thread made one first
    return fd;
  }
  if (interrupted_.load()) signal_fd(made);
  return made;
}

void Store::interrupt() {
  if (interrupted_.exchange(true)) return;
  if (int fd = interrupt_fd_.load(); fd >= 0) signal_fd(fd);
  // AOT code without checks is stopped by the interrupt watcher's signal.
  detail::aot::notify_interrupt();
}

namespace {

const detail::ExternImpl& own_extern(const Store& store, const Extern& item, ExternKind kind, const char* what) {
  if (&item.store() != &store)
    throw UsageError(fmt::format("{}: {} belongs to another Store", what, item.description()));
  if (item.kind() != kind)
    throw UsageError(fmt::format("{}: {} is a {}, not a {}", what, item.description(), to_string(item.kind()),
                                 to_string(kind)));
  return detail::Access::impl(item);
}

}  // namespace

Outcome Store::call(const Extern& function, std::span<const Value> args) {
  const auto& impl = own_extern(*this, function, ExternKind::Func, "Store::call");
  const auto& params = impl.func().params;
  bool types_match = args.size() == params.size();
  for (size_t i = 0; types_match && i < args.size(); ++i) types_match = args[i].type() == params[i];
  if (!types_match) {
    FuncType given;
    for (const auto& a : args) given.params.push_back(a.type());
    throw UsageError(fmt::format("Store::call: {} takes {}, but was called with {}", impl.description(),
                                 impl.func().to_string(), given.to_string()));
  }
  return impl.call(args);
}

GuestMemory Store::memory(const Extern& memory) {
  return own_extern(*this, memory, ExternKind::Memory, "Store::memory").memory();
}

// After a call, the fuel granted to the guest minus what it consumed is
// exactly the budget still unspent in its instances (detail::settle_fuel);
// granting only that much from now on makes the next refuel count from zero.
void Store::restart_fuel_count() {
  fuel_granted_ -= std::min(fuel_granted_, fuel_consumed());
  set_fuel_consumed(0);
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

DeadlineScope::DeadlineScope(Store& store) : store_(store) { detail::Access::arm_deadline(store_); }
DeadlineScope::~DeadlineScope() { detail::Access::clear_deadline(store_); }

}  // namespace wasmlet::detail
