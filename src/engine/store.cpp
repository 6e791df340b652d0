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
