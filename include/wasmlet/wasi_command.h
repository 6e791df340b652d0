// Running a WebAssembly program as a command (what `wasmlet run`, the
// daemon's instances and `wasmlet-oci` do): find a core module's entry
// point, link WASI preview1, call it, and turn the outcome (of a module or
// of a component's wasi:cli/run) into a process exit status. Every runner
// goes through here, so they agree on the entry point, the exit status and
// how a trap or a limit is reported.
//
//   Store store(engine, limits);
//   Outcome outcome = run_wasi_command(store, module, std::move(wasi));
//   CommandStatus status = command_status(outcome, store, {.fuel = "--fuel 100"});
//   if (!status.message.empty()) report(status.message);
//   return status.status;
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "wasmlet/outcome.h"
#include "wasmlet/wasi.h"

namespace wasmlet {

class Linker;
class Module;
class Store;

// A guest that trapped exits with 128 + SIGABRT, as wasmtime's does.
inline constexpr int kTrapExitStatus = 134;
// A guest that trapped after its memory limit refused to grow its memory:
// 128 + SIGKILL, what docker reports for a container killed for memory.
inline constexpr int kOutOfMemoryExitStatus = 137;

// The export a command starts at: "_start", else "main"; nullopt if the
// module exports neither as a function. An entry point is called without
// arguments, so one that takes parameters is refused: LinkError naming the
// export and its type (entry_point_takes_parameters).
std::optional<std::string> command_entry(const Module& module);

// The message refusing an entry point with parameters, for modules and
// components alike: "NAME: export 'main' has type (i32) -> (i32), but an
// entry point must take no parameters".
std::string entry_point_takes_parameters(std::string_view program, std::string_view export_name, std::string_view type);

struct CommandOptions {
  // A linker that already holds WASI preview1 (a daemon shares one between
  // runs); nullptr: a fresh one.
  const Linker* linker = nullptr;
  // Called once the module is instantiated, just before its entry point.
  std::function<void()> on_entry;
};

// Links every preview1 function, attaches `wasi` to the store, instantiates
// the module and calls its entry point. A `main` that returns an i32
// reports its exit status that way: the outcome is Exited with that code.
// Throws UsageError if the module has no entry point (naming the module),
// LinkError if an import is missing or the entry point takes parameters.
Outcome run_wasi_command(Store& store, const Module& module, WasiConfig wasi, const CommandOptions& options = {});

// The exit status of a guest's exit code: the code itself from 0 to 255;
// any other code is 1, since the OS keeps only the low byte and 256 would
// read as success. `note` gets the sentence saying so.
int process_exit_status(int64_t code, std::string* note = nullptr);

// How the user set the limits of a run, as the caller names them
// ("--fuel 100" for `wasmlet run`, "wasm.max_fuel 100" for a spec), so that
// a limit trap names the setting to change.
struct LimitSettings {
  std::string fuel, timeout, memory;
};

// A finished run as a process would report it.
struct CommandStatus {
  int status = 0;  // 0-255
  bool trapped = false;
  bool out_of_memory = false;  // trapped after the memory limit refused a grow
  // Empty when the guest chose `status`; otherwise what to tell the user:
  // "exit code 256 does not fit ... exiting with status 1", or the trap
  // ("trap: fuel exhausted (...) — limit exceeded: fuel (--fuel 100)").
  std::string message;
};

// One rule for every runner: exited or returned -> process_exit_status of
// the code (0 for a plain return); trapped -> kTrapExitStatus, or
// kOutOfMemoryExitStatus after the store's memory limit refused a grow.
// Interruptions by a signal (stop, kill) are the caller's to report first.
CommandStatus command_status(const Outcome& outcome, const Store& store, const LimitSettings& limits = {});

}  // namespace wasmlet
