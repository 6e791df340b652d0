// A WASI program, compiled, and the one way to run it: what `wasmlet run`,
// the daemon's workloads and `wasmlet-oci` all do with an image or a file.
// A program is a core module (WASI preview1, entry "_start" or "main") or a
// command component (WASI 0.2, wasi:cli/run); which one is read from the
// bytes, so no caller has to ask.
//
//   Program program = Program::compile(engine, bytes, "app.wasm");
//   Store store(engine, limits);
//   Outcome outcome = run_program(store, program, std::move(wasi));
//   CommandStatus status = command_status(outcome, store, {.fuel = "--fuel 100"});
//   return status.status;   // after reporting status.message, if any
//
// command_status (wasmlet/wasi_command.h) turns either kind's outcome into
// the process exit status, so every runner reports a run the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wasmlet/component/component.h"
#include "wasmlet/module.h"
#include "wasmlet/outcome.h"
#include "wasmlet/wasi.h"
#include "wasmlet/wasi_command.h"

namespace wasmlet {

class Engine;
class Linker;
class Store;

class Program {
 public:
  // Compiles `bytes` as what they are. Throws CompileError naming `name` when
  // they are neither a module nor a component ("not a WebAssembly module or
  // component: bad magic") or do not validate, ComponentError for a
  // malformed component.
  static Program compile(Engine& engine, std::span<const uint8_t> bytes, std::string name);

  const std::string& name() const { return name_; }
  bool is_component() const { return component_.has_value(); }
  // The core module, or null for a component.
  const Module* module() const { return module_ ? &*module_ : nullptr; }
  // The component, or null for a core module.
  const component::CompiledComponent* component() const { return component_ ? &*component_ : nullptr; }

  // The export a run starts at: a module's "_start" or "main"
  // (command_entry), a component's wasi:cli/run export or its "_start" or
  // "main"; nullopt when the program is not a command. Throws LinkError for a
  // module entry point that takes parameters.
  std::optional<std::string> entry() const;

 private:
  std::string name_;
  std::optional<Module> module_;
  std::optional<component::CompiledComponent> component_;
};

struct RunProgramOptions {
  // For a module: a linker that already holds WASI preview1 (the daemon
  // shares one between runs); nullptr: a fresh one.
  const Linker* linker = nullptr;
  // Called once, just before the entry point is called.
  std::function<void()> on_entry;
  // For a component: what it may do through wasi:sockets (nothing unless
  // allow_sockets). A module reaches the network only through the listeners
  // in its WasiConfig.
  component::WasiHostOptions sockets;
};

// Runs `program` in `store` with `wasi` as its WASI world: a module through
// run_wasi_command, a component through run_component. The outcome is what
// command_status maps to an exit status. Throws UsageError when a module
// has no entry point (naming it); LinkError when a component has none, when
// an import cannot be satisfied or when the entry point takes parameters.
Outcome run_program(Store& store, const Program& program, WasiConfig wasi, const RunProgramOptions& options = {});

// The first of `names` that `module` exports as a function, or nullopt: the
// entry point search of commands ("_start", "main") and plugins ("execute",
// "run", "_start", "main"). Types are the caller's to check.
std::optional<std::string> find_entry(const Module& module, std::span<const std::string_view> names);

}  // namespace wasmlet
