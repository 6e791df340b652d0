#include "engine/metering.h"

#include <algorithm>
#include <chrono>
#include <optional>

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

std::optional<MeterTrap> stop_reason(Store& store) {
  if (store.interrupt_requested()) return MeterTrap{TrapKind::Interrupted, "the guest was interrupted"};
  if (auto deadline = store.deadline(); deadline && std::chrono::steady_clock::now() >= *deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*store.limits().timeout).count();
    return MeterTrap{TrapKind::DeadlineExceeded, fmt::format("the call exceeded its timeout of {} ms", ms)};
  }
  return std::nullopt;
}

void check_stop(Store& store) {
  if (auto stop = stop_reason(store)) throw *stop;
}

int64_t refuel(Store& store, int64_t budget) {
  // Everything granted so far, minus what is left, was used: with a negative
  // budget, the overdraft of the check point that called is counted too...
  uint64_t& granted = Access::fuel_granted(store);
  const uint64_t used = budget < 0 ? granted + static_cast<uint64_t>(-budget)
                                   : granted - std::min(granted, static_cast<uint64_t>(budget));
  // ... but never past the fuel limit: a check point the rest of the budget
  // cannot pay for does not run, and the guest stops with the limit used up.
  const std::optional<uint64_t> fuel = store.limits().fuel;
  const bool exhausted = fuel && used > *fuel;
  const uint64_t consumed = exhausted ? *fuel : used;
  Access::set_fuel_consumed(store, consumed);
  // The guest holds nothing until the grant below; if it stops instead, the
  // tier sets its budget to 0 and settle_fuel() finds this same count.
  granted = consumed;

  check_stop(store);
  if (exhausted)
    throw MeterTrap{TrapKind::FuelExhausted, fmt::format("fuel exhausted: the budget of {} units is used up", *fuel)};
  const int64_t grant = fuel ? static_cast<int64_t>(std::min<uint64_t>(kSlice, *fuel - consumed)) : kSlice;
  granted += static_cast<uint64_t>(grant);
  return grant;
}

int64_t refuel_pooled(Store& store, int64_t combined) {
  // Going on with what is left needs no new count; stopping does (refuel()
  // counts what the guest leaves unspent as not consumed).
  if (combined > 0 && !stop_reason(store)) return combined;
  return refuel(store, combined);
}

void settle_fuel(Store& store, int64_t budget) {
  // A budget below zero is a check point whose refuel() stopped the guest:
  // that refuel already counted its overdraft (up to the limit) as granted.
  const uint64_t granted = Access::fuel_granted(store);
  const uint64_t left = budget > 0 ? static_cast<uint64_t>(budget) : 0;
  Access::set_fuel_consumed(store, granted - std::min(left, granted));
}

}  // namespace wasmlet::detail
