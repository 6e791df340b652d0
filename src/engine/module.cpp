#include "wasmlet/module.h"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>

#include <atomic>
#include <fstream>
#include <future>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "engine/public_types.h"
#include "engine/decode/decode_error.h"
#include "engine/decode/module_decoder.h"
#include "engine/decode/name_section.h"
#include "engine/metering_rewrite.h"
#include "engine/own_stack.h"
#include "engine/tier.h"
#include "engine/tier_select.h"
#include "engine/wabt_types.h"
#include "wasmlet/binary_kind.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/sha256.h"
#include "util/file_bytes.h"

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
using detail::public_type;

std::string format_errors(const wabt::Errors& errors) {
  std::string text = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

ExternKind extern_kind_of(decode::ExternalKind kind) {
  switch (kind) {
    case decode::ExternalKind::Func: return ExternKind::Func;
    case decode::ExternalKind::Table: return ExternKind::Table;
    case decode::ExternalKind::Memory: return ExternKind::Memory;
    case decode::ExternalKind::Global: return ExternKind::Global;
  }
  return ExternKind::Func;
}

Limits limits_of(const decode::Limits& l) { return Limits{l.min, l.max}; }

ExternType table_type(const decode::TableType& t) {
  return ExternType{ExternKind::Table, {}, limits_of(t.limits), public_type(t.element), false};
}
ExternType memory_type(const decode::MemoryType& m) {
  return ExternType{ExternKind::Memory, {}, limits_of(m.limits), ValType::I32, false};
}
ExternType global_type(const decode::GlobalType& g) {
  return ExternType{ExternKind::Global, {}, {}, public_type(g.type), g.is_mutable};
}

void describe_interface(const decode::Module& decoded, std::span<const uint8_t> wasm, ModuleImpl& impl) {
  for (const decode::Import& import : decoded.imports) {
    ImportInfo info{import.module, import.name, extern_kind_of(import.kind), {}};
    ExternType type{info.kind, {}, {}, ValType::I32, false};
    switch (import.kind) {
      case decode::ExternalKind::Func: info.type = type.func = public_type(decoded.types[import.type_index]); break;
      case decode::ExternalKind::Table: type = table_type(import.table); break;
      case decode::ExternalKind::Memory: type = memory_type(import.memory); break;
      case decode::ExternalKind::Global: type = global_type(import.global); break;
    }
    impl.imports.push_back(std::move(info));
    impl.import_types.push_back(std::move(type));
  }
  for (const decode::Export& export_ : decoded.exports) {
    ExportInfo info{export_.name, extern_kind_of(export_.kind), {}};
    ExternType type{info.kind, {}, {}, ValType::I32, false};
    switch (export_.kind) {
      case decode::ExternalKind::Func: info.type = type.func = public_type(decoded.function_type(export_.index)); break;
      case decode::ExternalKind::Table: type = table_type(decoded.tables[export_.index]); break;
      case decode::ExternalKind::Memory: type = memory_type(decoded.memories[export_.index]); break;
      case decode::ExternalKind::Global: type = global_type(decoded.globals[export_.index]); break;
    }
    impl.exports.push_back(std::move(info));
    impl.export_types.push_back(std::move(type));
  }
  for (const decode::CustomSection& custom : decoded.custom_sections) {
    auto bytes = custom.contents.of(wasm);
    impl.custom_sections.emplace_back(custom.name, std::vector<uint8_t>(bytes.begin(), bytes.end()));
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

// The functions' names by index of the metered binary, where the refuel
// import sits after the module's own function imports.
std::vector<std::string> metered_function_names(const decode::Module& decoded, std::span<const uint8_t> wasm) {
  std::vector<std::string> names = decode::function_names(decoded, wasm);
  names.insert(names.begin() + decoded.num_imported_functions, "wasmlet_refuel");
  return names;
}

// Everything but the tier is read from wasmlet's decoder: no wabt IR and no
// rewrite on the load path.
void compile_impl(Engine& engine, std::span<const uint8_t> wasm, ModuleImpl& impl) {
  const decode::Module& decoded = *impl.decoded;
  for (size_t i = decoded.num_imported_tables; i < decoded.tables.size(); ++i)
    impl.table_initial_entries.push_back(decoded.tables[i].limits.min);
  for (size_t i = decoded.num_imported_memories; i < decoded.memories.size(); ++i)
    impl.memory_initial_pages.push_back(decoded.memories[i].limits.min);
  impl.function_names = metered_function_names(decoded, wasm);
  impl.tier = detail::compile_for_tier(engine, impl);
}

std::atomic<uint64_t> rewrites_done{0};

// The module's SHA-256 (ModuleImpl::digest). Hashing 30 MB takes about 50
// ms, validating it 200: on a second thread the hash is ready when the
// decoder is done. Only where a tier looks code up by it, and only for
// modules large enough to be worth a thread.
std::shared_future<std::string> start_digest(const Engine& engine, std::shared_ptr<const std::vector<uint8_t>> bytes) {
  constexpr size_t kHashAlongsideFrom = size_t{1} << 20;
  auto hash = [bytes] {
    Sha256 sha;
    sha.update(bytes->data(), bytes->size());
    return sha.hex();
  };
  const bool looked_up = engine.config().tier != Tier::Interpreter;
  if (looked_up && bytes->size() >= kHashAlongsideFrom) {
    try {
      return std::async(std::launch::async, hash).share();
    } catch (const std::system_error&) {
      // No thread to be had: hash on first use instead.
    }
  }
  return std::async(std::launch::deferred, hash).share();
}

}  // namespace

Module Module::compile(Engine& engine, std::span<const uint8_t> wasm, std::string name) {
  auto kind = detect_binary_kind(wasm);
  if (kind.kind == BinaryKind::Component)
    throw CompileError(fmt::format("{}: is a WebAssembly component (preview2); components are not yet supported, only core modules", name));
  if (kind.kind == BinaryKind::Unknown)
    throw CompileError(fmt::format("{}: not a runnable WebAssembly binary: {}", name, kind.reason));

  // wasmlet's own decoder validates every byte (and bounds nesting) before
  // any other code (the AOT tier's wabt reader asserts on some malformed
  // input) sees them.
  auto impl = std::make_shared<ModuleImpl>();
  impl->name = name;
  impl->bytes = std::make_shared<const std::vector<uint8_t>>(wasm.begin(), wasm.end());
  impl->digest = start_digest(engine, impl->bytes);
  try {
    decode::Features features;
    features.multi_memory = engine.config().multi_memory;
    impl->decoded = std::make_shared<const decode::Module>(decode::decode_module(wasm, features));
  } catch (const decode::DecodeError& e) {
    const char* what = e.kind() == decode::ErrorKind::Malformed ? "malformed module"
                       : e.kind() == decode::ErrorKind::Invalid ? "invalid module"
                                                                 : "module exceeds an implementation limit";
    throw CompileError(fmt::format("{}: {}: {}", name, what, e.what()));
  }
  describe_interface(*impl->decoded, wasm, *impl);
  compile_impl(engine, wasm, *impl);
  return Module(std::move(impl));
}

Module Module::from_file(Engine& engine, const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(path, bytes))
    throw UsageError(fmt::format("cannot open module '{}': {}", path.string(), std::strerror(errno)));
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

namespace wasmlet::detail {

// Runs on a thread with a large stack: wabt's passes recurse per nesting
// level (bounded by the decoder's limit, which checked every byte before
// wabt's reader, which asserts on some malformed input, sees them).
std::vector<uint8_t> metered_binary(const ModuleImpl& impl) {
  std::vector<uint8_t> metered;
  run_on_own_stack(kCompileStackBytes, [&] {
    const std::string& name = impl.name;
    const std::vector<uint8_t>& wasm = *impl.bytes;
    wabt::Errors errors;
    wabt::Module ir;
    wabt::ReadBinaryOptions read_options(engine_features(), nullptr, /*read_debug_names=*/true,
                                         /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
    if (wabt::Failed(wabt::ReadBinaryIr(name.c_str(), wasm.data(), wasm.size(), read_options, &errors, &ir)))
      throw CompileError(fmt::format("{}: invalid module: {}", name, format_errors(errors)));
    wabt::ValidateOptions validate_options(engine_features());
    if (wabt::Failed(wabt::ValidateModule(&ir, &errors, validate_options)))
      throw CompileError(fmt::format("{}: invalid module: {}", name, format_errors(errors)));
    add_metering(ir);
    // Only function indices matter to wasmlet (trap messages use
    // ModuleImpl::function_names); local names from a malformed name
    // section would trip wabt's writer, so drop them.
    for (wabt::Func* func : ir.funcs) func->bindings.clear();
    metered = write_binary(ir, name);
  });
  rewrites_done.fetch_add(1, std::memory_order_relaxed);
  return metered;
}

uint64_t metering_rewrites_done() { return rewrites_done.load(std::memory_order_relaxed); }

}  // namespace wasmlet::detail
