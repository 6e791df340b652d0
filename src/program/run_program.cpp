// run_program: the one place that knows a program is a module or a
// component and runs it accordingly (see wasmlet/program.h).
#include "wasmlet/program.h"
#include "wasmlet/store.h"

namespace wasmlet {

Outcome run_program(Store& store, const Program& program, WasiConfig wasi, const RunProgramOptions& options) {
  if (const auto* component = program.component()) {
    component::WasiHost host(std::move(wasi), options.sockets);
    if (options.on_entry) options.on_entry();
    return component::run_component(store, *component, host);
  }
  return run_wasi_command(store, *program.module(), std::move(wasi), CommandOptions{options.linker, options.on_entry});
}

}  // namespace wasmlet
