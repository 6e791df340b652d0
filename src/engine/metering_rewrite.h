// The compile-time half of metering (see metering.h): rewrites a module's
// IR so that it charges its budget at every function entry and loop header.
#pragma once

#include <cstddef>

namespace wabt {
struct Module;
}

namespace wasmlet::detail {

// Adds the refuel import (as the last function import; defined functions
// shift up by one and every reference to them is renumbered), the budget
// global and its export, and the check sequence. The module must be valid.
void add_metering(wabt::Module& module);

// Removes every fuel check add_metering inserted, keeping the import, the
// globals and the memory.grow notes (so the module's interface is
// unchanged). For the AOT tier's unmetered build, which is stopped by
// signals instead (src/engine/aot/interrupt_watch.h). Returns how many checks
// were removed.
size_t strip_fuel_checks(wabt::Module& module);

}  // namespace wasmlet::detail
