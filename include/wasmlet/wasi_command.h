// Running a core module as a WASI command (what `wasmlet run` and
// `wasmlet-oci` do): find its entry point, link WASI preview1, call it, and
// turn the outcome into a process exit status.
//
//   Store store(engine, limits);
//   Outcome outcome = run_wasi_command(store, module, std::move(wasi));
//   if (auto status = command_exit_status(outcome, module)) return *status;
#pragma once

#include <optional>
#include <string>

#include "wasmlet/outcome.h"
#include "wasmlet/wasi.h"

namespace wasmlet {

class Module;
class Store;

// The export a command starts at: "_start", else "main"; nullopt if the
// module exports neither as a function. An entry point is called without
// arguments, so one that takes parameters is refused: LinkError naming the
// export and its type.
std::optional<std::string> command_entry(const Module& module);

// Links every preview1 function, attaches `wasi` to the store, instantiates
// the module and calls its entry point. Throws UsageError if the module has
// no entry point (naming the module), LinkError if an import is missing or
// the entry point takes parameters.
Outcome run_wasi_command(Store& store, const Module& module, WasiConfig wasi);

// The exit status of a finished command: its proc_exit code, a `main`'s i32
// result, else 0. nullopt if it trapped (the caller reports the trap).
std::optional<int> command_exit_status(const Outcome& outcome, const Module& module);

}  // namespace wasmlet
