// A core module run as a WASI command (see wasmlet/wasi_command.h).
#include "wasmlet/wasi_command.h"

#include <fmt/format.h>

#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet {

std::optional<std::string> command_entry(const Module& module) {
  for (const char* candidate : {"_start", "main"}) {
    const ExportInfo* e = module.find_export(candidate);
    if (!e || e->kind != ExternKind::Func) continue;
    if (!e->type.params.empty())
      throw LinkError(fmt::format("{}: export '{}' has type {}, but an entry point must take no parameters",
                                  module.name(), candidate, e->type.to_string()));
    return candidate;
  }
  return std::nullopt;
}

Outcome run_wasi_command(Store& store, const Module& module, WasiConfig wasi) {
  std::optional<std::string> entry = command_entry(module);
  if (!entry)
    throw UsageError(fmt::format("{}: no entry point: the module exports neither '_start' nor 'main'", module.name()));
  Linker linker;
  add_wasi_preview1(linker);
  attach_wasi(store, std::move(wasi));
  Instance instance = Instance::create(store, module, linker);
  if (instance.start_outcome().trapped()) return instance.start_outcome();
  return instance.call(*entry);
}

std::optional<int> command_exit_status(const Outcome& outcome, const Module& module) {
  switch (outcome.kind) {
    case Outcome::Kind::Exited: return outcome.exit_code;
    case Outcome::Kind::Returned:
      // A `main` that returns an i32 reports its exit status that way.
      if (command_entry(module) == "main" && outcome.results.size() == 1 && outcome.results[0].type() == ValType::I32)
        return outcome.results[0].as_i32() & 0xff;
      return 0;
    case Outcome::Kind::Trapped: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace wasmlet
