// Program: a module or a component, compiled (see wasmlet/program.h).
#include "wasmlet/program.h"

#include <fmt/format.h>

#include "wasmlet/binary_kind.h"
#include "wasmlet/error.h"

namespace wasmlet {

Program Program::compile(Engine& engine, std::span<const uint8_t> bytes, std::string name) {
  Program program;
  auto kind = detect_binary_kind(bytes);
  switch (kind.kind) {
    case BinaryKind::Unknown:
      throw CompileError(fmt::format("{}: not a WebAssembly module or component: {}", name, kind.reason));
    case BinaryKind::Component: program.component_ = component::CompiledComponent::compile(engine, bytes, name); break;
    case BinaryKind::CoreModule: program.module_ = Module::compile(engine, bytes, name); break;
  }
  program.name_ = std::move(name);
  return program;
}

std::optional<std::string> Program::entry() const {
  if (module_) return command_entry(*module_);
  if (auto entry = component_->entry_point()) return entry->name;
  return std::nullopt;
}

std::optional<std::string> find_entry(const Module& module, std::span<const std::string_view> names) {
  for (std::string_view name : names) {
    const ExportInfo* e = module.find_export(name);
    if (e && e->kind == ExternKind::Func) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace wasmlet
