#include "engine/metering.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/access.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

namespace {
// Units granted per refuel. Small enough that an interrupt or deadline is
// noticed within about a millisecond even in the interpreter, large enough
// that the host call is negligible.
constexpr int64_t kSlice = 100'000;
}  // namespace

void check_stop(Store& store) {
  if (store.interrupt_requested()) throw MeterTrap{TrapKind::Interrupted, "the guest was interrupted"};
  if (auto deadline = store.deadline(); deadline && std::chrono::steady_clock::now() >= *deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*store.limits().timeout).count();
    throw MeterTrap{TrapKind::DeadlineExceeded, fmt::format("the call exceeded its timeout of {} ms", ms)};
  }
}

int64_t refuel(Store& store, int64_t budget) {
  // Everything granted so far, minus what is left (budget <= 0 here), was used.
  uint64_t& granted = Access::fuel_granted(store);
  const uint64_t consumed = granted + static_cast<uint64_t>(-std::min<int64_t>(budget, 0));
  Access::set_fuel_consumed(store, consumed);

  check_stop(store);
  int64_t grant = kSlice;
  if (auto fuel = store.limits().fuel) {
    if (consumed > *fuel)
      throw MeterTrap{TrapKind::FuelExhausted, fmt::format("fuel exhausted: the budget of {} units is used up", *fuel)};
    grant = static_cast<int64_t>(std::min<uint64_t>(kSlice, *fuel - consumed));
  }
  // The overdraft is already counted in `consumed`; start the slice from zero.
  granted = consumed + static_cast<uint64_t>(grant);
  return grant;
}

int64_t refuel_pooled(Store& store, int64_t combined) {
  if (combined > 0) {
    check_stop(store);
    return combined;
  }
  return refuel(store, combined);
}

void settle_fuel(Store& store, int64_t budget) {
  const uint64_t granted = Access::fuel_granted(store);
  const uint64_t left = budget > 0 ? static_cast<uint64_t>(budget) : 0;
  Access::set_fuel_consumed(store, granted - std::min(left, granted) + (budget < 0 ? static_cast<uint64_t>(-budget) : 0));
}

}  // namespace wasmlet::detail
