// Compiling and running WASI 0.2 command components.
//
//   auto c = component::CompiledComponent::from_file(engine, "app.component.wasm");
//   component::WasiHost host(WasiConfig{...});
//   Outcome o = component::run_component(store, c, host);   // calls wasi:cli/run#run
//
// compile() parses and validates the component and compiles each of its
// core modules with Module::compile (so the engine's tiers and limits apply
// to them). run_component() instantiates the component graph in one Store:
// host imports are lowered with the canonical ABI into core functions,
// exports are lifted. The outcome is Exited(0) when run returns ok,
// Exited(1) when it returns err, Exited(n) on wasi:cli/exit, or the trap.
//
// Core instances import each other's functions, memories and tables as
// Externs of the one Store, so the Store's limits cover the whole component.
// The core modules run in the Engine's tier, all in the same one: if one of
// them cannot run as native code under Tier::Aot/Auto, they all run in the
// interpreter (with a note naming that module).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "wasmlet/component/binary.h"
#include "wasmlet/component/validate.h"
#include "wasmlet/component/wasi_host.h"
#include "wasmlet/outcome.h"

namespace wasmlet {
class Engine;
class Store;
class Module;
}  // namespace wasmlet

namespace wasmlet::component {

class CompiledComponent {
 public:
  // Throws ComponentError (binary, validation) or CompileError (a core module).
  static CompiledComponent compile(Engine& engine, std::span<const uint8_t> bytes, std::string name = "component");
  static CompiledComponent from_file(Engine& engine, const std::filesystem::path& path);

  const std::string& name() const;
  const Component& definition() const;
  const ValidatedComponent& validated() const;
  // The wasi:cli/run@0.2.x export name, if the component has one.
  std::optional<std::string> run_export() const;
  // What run_component calls: the wasi:cli/run@0.2.x instance's `run`, else
  // a function exported as "_start", else one exported as "main" (taking no
  // parameters; as seed 000 falls back). nullopt if there is none.
  struct EntryPoint {
    std::string name;  // the export's name
    bool wasi_cli_run = false;
  };
  std::optional<EntryPoint> entry_point() const;
  const Module& core_module(const CoreModuleDef& def) const;
  // Compiles the fuel-counting build of every native core module now (a
  // Store with a fuel limit runs those); the name of one that cannot be
  // compiled, or nullopt. run_component calls it under a fuel limit.
  std::optional<std::string> prepare_fuel_builds() const;

  struct Impl;

 private:
  explicit CompiledComponent(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Instantiates `component` in `store` against `host` and calls its entry
// point (wasi:cli/run, else "_start", else "main"). The exit code is that of
// wasi:cli/exit, else the entry's result: ok/err -> 0/1, an integer as is,
// none -> 0. Throws LinkError when an import cannot be satisfied (naming it)
// or the component has no entry point.
Outcome run_component(Store& store, const CompiledComponent& component, WasiHost& host);

}  // namespace wasmlet::component
