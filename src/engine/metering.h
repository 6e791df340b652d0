// Metering: how fuel, timeouts and interrupts work the same in every tier.
//
// The interpreter places the check points below itself (same costs); for
// the AOT tier the module is rewritten (wabt IR): a mutable i64 global
// "budget" is added and exported as kBudgetExport, and at every function
// entry and loop header the guest subtracts the static cost of the code up to
// the next check point. When the budget drops below zero the guest calls the
// imported kMeterModule.kRefuelName(budget) -> new budget. refuel() runs on
// the host: it checks the interrupt flag, the deadline and the fuel limit,
// and either traps or grants the next slice. The cost model is documented in
// docs/architecture.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasmlet/outcome.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::detail {

inline constexpr const char* kMeterModule = "wasmlet";
inline constexpr const char* kRefuelName = "refuel";
inline constexpr const char* kBudgetExport = "wasmlet:budget";
// What the cost model charges for a memory.grow beyond the instruction
// itself: the metering rewrite follows each one with this many instructions
// (it notes a refused grow), and the interpreter and hot code charge the same.
inline constexpr uint64_t kMemoryGrowExtraCost = 8;
// i32 global, nonzero once a memory.grow returned -1 (the host reads it after
// a call to tell "ran out of memory under the limit" from other failures).
inline constexpr const char* kGrowRefusedExport = "wasmlet:grow_refused";

// Thrown by refuel() when the guest must stop; tiers turn it into a trap.
struct MeterTrap {
  TrapKind kind;
  std::string message;
};

// Host side of the metering import. `budget` is the (negative) value of the
// budget global (or, from refuel_pooled(), what is left when the guest must
// stop); returns the value to store in it. When it throws instead,
// it has counted everything granted so far as consumed (never more than the
// fuel limit), and the tier must set the budget to 0: a budget left negative
// would be charged again to the next call after Store::restart_fuel_count().
int64_t refuel(Store& store, int64_t budget);

// refuel() for a Store whose instances each have a budget global: `combined`
// is the caller's budget plus what the others had left (now taken from
// them). While that is positive the caller goes on with it (after a stop
// check); otherwise the Store grants a new slice. Throws as refuel() does.
int64_t refuel_pooled(Store& store, int64_t combined);

// Why the guest must stop now (interrupted, or past its deadline), if it must.
std::optional<MeterTrap> stop_reason(Store& store);

// Throws the MeterTrap that ends the guest if it was interrupted or its
// deadline has passed. Blocking host calls use it when they wake up.
void check_stop(Store& store);

// Called by a tier when a call ends, with the budget global's value, so that
// the Store's fuel_consumed() is exact.
void settle_fuel(Store& store, int64_t budget);

struct MeteredModule {
  std::vector<uint8_t> binary;
  uint32_t refuel_function_index;  // index of the added import in the rewritten module
};

}  // namespace wasmlet::detail
