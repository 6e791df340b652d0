#include "wasmlet/module.h"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "engine/metering_rewrite.h"
#include "engine/tier.h"
#include "engine/tier_select.h"
#include "engine/wabt_types.h"
#include "wasmlet/binary_kind.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"

namespace wasmlet {

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func: return "function";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    case ExternKind::Tag: return "tag";
  }
  return "?";
}

namespace {

using detail::ModuleImpl;

std::string format_errors(const wabt::Errors& errors) {
  std::string text = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

FuncType func_type_of(const wabt::FuncSignature& sig) {
  FuncType type;
  for (auto t : sig.param_types) type.params.push_back(detail::from_wabt(t));
  for (auto t : sig.result_types) type.results.push_back(detail::from_wabt(t));
  return type;
}

ExternKind extern_kind_of(wabt::ExternalKind kind) {
  switch (kind) {
    case wabt::ExternalKind::Func: return ExternKind::Func;
    case wabt::ExternalKind::Table: return ExternKind::Table;
    case wabt::ExternalKind::Memory: return ExternKind::Memory;
    case wabt::ExternalKind::Global: return ExternKind::Global;
    case wabt::ExternalKind::Tag: return ExternKind::Tag;
  }
  return ExternKind::Func;
}

Limits limits_of(const wabt::Limits& l) {
  return Limits{l.initial, l.has_max ? std::optional<uint64_t>(l.max) : std::nullopt};
}

ExternType table_type(const wabt::Table& t) {
  return ExternType{ExternKind::Table, {}, limits_of(t.elem_limits), detail::from_wabt(t.elem_type), false};
}
ExternType memory_type(const wabt::Memory& m) {
  return ExternType{ExternKind::Memory, {}, limits_of(m.page_limits), ValType::I32, false};
}
ExternType global_type(const wabt::Global& g) {
  return ExternType{ExternKind::Global, {}, {}, detail::from_wabt(g.type), g.mutable_};
}

void describe_interface(const wabt::Module& ir, ModuleImpl& impl) {
  for (const wabt::Import* import : ir.imports) {
    ImportInfo info{import->module_name, import->field_name, extern_kind_of(import->kind()), {}};
    ExternType type{info.kind, {}, {}, ValType::I32, false};
    if (auto* func = wabt::dyn_cast<wabt::FuncImport>(import)) info.type = type.func = func_type_of(func->func.decl.sig);
    if (auto* t = wabt::dyn_cast<wabt::TableImport>(import)) type = table_type(t->table);
    if (auto* m = wabt::dyn_cast<wabt::MemoryImport>(import)) type = memory_type(m->memory);
    if (auto* g = wabt::dyn_cast<wabt::GlobalImport>(import)) type = global_type(g->global);
    impl.imports.push_back(std::move(info));
    impl.import_types.push_back(std::move(type));
  }
  for (const wabt::Export* export_ : ir.exports) {
    ExportInfo info{export_->name, extern_kind_of(export_->kind), {}};
    ExternType type{info.kind, {}, {}, ValType::I32, false};
    switch (export_->kind) {
      case wabt::ExternalKind::Func: info.type = type.func = func_type_of(ir.GetFunc(export_->var)->decl.sig); break;
      case wabt::ExternalKind::Table: type = table_type(*ir.GetTable(export_->var)); break;
      case wabt::ExternalKind::Memory: type = memory_type(*ir.GetMemory(export_->var)); break;
      case wabt::ExternalKind::Global: type = global_type(*ir.GetGlobal(export_->var)); break;
      case wabt::ExternalKind::Tag: break;
    }
    impl.exports.push_back(std::move(info));
    impl.export_types.push_back(std::move(type));
  }
}

// Custom sections are not kept by wabt's IR; read them from the original bytes.
void read_custom_sections(std::span<const uint8_t> wasm, ModuleImpl& impl) {
  size_t pos = 8;
  auto leb = [&](size_t& p) -> uint64_t {
    uint64_t value = 0;
    for (unsigned shift = 0; p < wasm.size() && shift < 35; shift += 7) {
      uint8_t byte = wasm[p++];
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    return UINT64_MAX;
  };
  while (pos < wasm.size()) {
    uint8_t id = wasm[pos++];
    uint64_t size = leb(pos);
    if (size == UINT64_MAX || size > wasm.size() - pos) return;  // validated already; be defensive
    size_t end = pos + size;
    if (id == 0) {
      size_t p = pos;
      uint64_t name_len = leb(p);
      if (name_len != UINT64_MAX && name_len <= end - p) {
        std::string name(reinterpret_cast<const char*>(wasm.data() + p), name_len);
        p += name_len;
        impl.custom_sections.emplace_back(std::move(name), std::vector<uint8_t>(wasm.begin() + p, wasm.begin() + end));
      }
    }
    pos = end;
  }
}

std::vector<uint8_t> write_binary(const wabt::Module& ir, const std::string& name) {
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options(detail::engine_features(), /*canonicalize_lebs=*/true,
                                   /*relocatable=*/false, /*write_debug_names=*/true);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &ir, options)))
    throw CompileError(fmt::format("{}: internal error: could not re-encode the metered module", name));
  return std::move(stream.output_buffer().data);
}

}  // namespace

Module Module::compile(Engine& engine, std::span<const uint8_t> wasm, std::string name) {
  auto kind = detect_binary_kind(wasm);
  if (kind.kind == BinaryKind::Component)
    throw CompileError(fmt::format("{}: is a WebAssembly component (preview2); components are not yet supported, only core modules", name));
  if (kind.kind == BinaryKind::Unknown)
    throw CompileError(fmt::format("{}: not a runnable WebAssembly binary: {}", name, kind.reason));

  wabt::Errors errors;
  wabt::Module ir;
  wabt::ReadBinaryOptions read_options(detail::engine_features(), nullptr, /*read_debug_names=*/true,
                                       /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr(name.c_str(), wasm.data(), wasm.size(), read_options, &errors, &ir)))
    throw CompileError(fmt::format("{}: invalid module: {}", name, format_errors(errors)));
  wabt::ValidateOptions validate_options(detail::engine_features());
  if (wabt::Failed(wabt::ValidateModule(&ir, &errors, validate_options)))
    throw CompileError(fmt::format("{}: invalid module: {}", name, format_errors(errors)));

  auto impl = std::make_shared<ModuleImpl>();
  impl->name = name;
  describe_interface(ir, *impl);
  read_custom_sections(wasm, *impl);

  // Names by index of the metered module; unnamed functions are called by
  // their index in the module as the user built it.
  const wabt::Index refuel_index = ir.num_func_imports;
  detail::add_metering(ir);
  for (wabt::Index i = 0; i < ir.funcs.size(); ++i) {
    std::string fname = ir.funcs[i]->name;
    if (!fname.empty() && fname[0] == '$') fname.erase(0, 1);
    if (fname.empty()) fname = fmt::format("func[{}]", i > refuel_index ? i - 1 : i);
    impl->function_names.push_back(std::move(fname));
  }
  // Only function names matter to wasmlet (for trap messages); local names
  // from a malformed name section would trip wabt's writer, so drop them.
  for (wabt::Func* func : ir.funcs) func->bindings.clear();
  impl->metered = write_binary(ir, name);
  impl->tier = detail::compile_for_tier(engine, *impl);
  return Module(std::move(impl));
}

Module Module::from_file(Engine& engine, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot open module '{}': {}", path.string(), std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw UsageError(fmt::format("cannot read module '{}'", path.string()));
  return compile(engine, bytes, path.string());
}

const std::string& Module::name() const { return impl_->name; }
const std::vector<ImportInfo>& Module::imports() const { return impl_->imports; }
const std::vector<ExportInfo>& Module::exports() const { return impl_->exports; }

const ExportInfo* Module::find_export(std::string_view name) const {
  for (const auto& e : impl_->exports)
    if (e.name == name) return &e;
  return nullptr;
}

std::optional<std::vector<uint8_t>> Module::custom_section(std::string_view name) const {
  for (const auto& [section, bytes] : impl_->custom_sections)
    if (section == name) return bytes;
  return std::nullopt;
}

}  // namespace wasmlet
