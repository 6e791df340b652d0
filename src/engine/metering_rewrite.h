// The compile-time half of metering (see metering.h): rewrites a module's
// IR so that it charges its budget at every function entry and loop header.
#pragma once

namespace wabt {
struct Module;
}

namespace wasmlet::detail {

// Adds the refuel import (as the last function import; defined functions
// shift up by one and every reference to them is renumbered), the budget
// global and its export, and the check sequence. The module must be valid.
void add_metering(wabt::Module& module);

}  // namespace wasmlet::detail
