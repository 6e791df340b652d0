// A program run as a command (see wasmlet/wasi_command.h).
#include "wasmlet/wasi_command.h"

#include <fmt/format.h>

#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet {

std::string entry_point_takes_parameters(std::string_view program, std::string_view export_name, std::string_view type) {
  return fmt::format("{}: export '{}' has type {}, but an entry point must take no parameters", program, export_name, type);
}

std::optional<std::string> command_entry(const Module& module) {
  for (const char* candidate : {"_start", "main"}) {
    const ExportInfo* e = module.find_export(candidate);
    if (!e || e->kind != ExternKind::Func) continue;
    if (!e->type.params.empty())
      throw LinkError(entry_point_takes_parameters(module.name(), candidate, e->type.to_string()));
    return candidate;
  }
  return std::nullopt;
}

Outcome run_wasi_command(Store& store, const Module& module, WasiConfig wasi, const CommandOptions& options) {
  std::optional<std::string> entry = command_entry(module);
  if (!entry)
    throw UsageError(fmt::format("{}: no entry point: the module exports neither '_start' nor 'main'", module.name()));
  std::optional<Linker> own_linker;
  if (!options.linker) add_wasi_preview1(own_linker.emplace());
  attach_wasi(store, std::move(wasi));
  Instance instance = Instance::create(store, module, options.linker ? *options.linker : *own_linker);
  if (options.on_entry) options.on_entry();
  if (instance.start_outcome().trapped()) return instance.start_outcome();
  Outcome outcome = instance.call(*entry);
  // A C `main` returns its exit status.
  if (outcome.returned() && *entry == "main" && outcome.results.size() == 1 && outcome.results[0].type() == ValType::I32) {
    outcome.kind = Outcome::Kind::Exited;
    outcome.exit_code = outcome.results[0].as_i32();
    outcome.results.clear();
  }
  return outcome;
}

int process_exit_status(int64_t code, std::string* note) {
  if (code >= 0 && code <= 255) return static_cast<int>(code);
  if (note)
    *note = fmt::format("exit code {} does not fit in a process exit status (0-255); exiting with status 1", code);
  return 1;
}

namespace {

// What the user can change after a limit ended the run; empty for other traps.
std::string limit_hint(const TrapInfo& trap, const LimitSettings& limits) {
  auto named = [](const char* limit, const std::string& setting) {
    return setting.empty() ? fmt::format(" — limit exceeded: {}", limit)
                           : fmt::format(" — limit exceeded: {} ({})", limit, setting);
  };
  switch (trap.kind) {
    case TrapKind::FuelExhausted: return named("fuel", limits.fuel);
    case TrapKind::DeadlineExceeded: return named("timeout", limits.timeout);
    default: return {};
  }
}

}  // namespace

CommandStatus command_status(const Outcome& outcome, const Store& store, const LimitSettings& limits) {
  CommandStatus s;
  switch (outcome.kind) {
    case Outcome::Kind::Returned: return s;
    case Outcome::Kind::Exited: s.status = process_exit_status(outcome.exit_code, &s.message); return s;
    case Outcome::Kind::Trapped: break;
  }
  s.trapped = true;
  s.message = outcome.trap.to_string() + limit_hint(outcome.trap, limits);
  if (store.memory_limit_hit()) {
    s.out_of_memory = true;
    s.status = kOutOfMemoryExitStatus;
    s.message += limits.memory.empty() ? " — out of memory: the memory limit refused to grow the guest's memory"
                                       : fmt::format(" — out of memory: {} refused to grow the guest's memory", limits.memory);
  } else {
    s.status = kTrapExitStatus;
  }
  return s;
}

}  // namespace wasmlet
