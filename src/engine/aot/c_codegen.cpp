#include "engine/aot/c_codegen.h"

#include <wabt/apply-names.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/c-writer.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>

#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "engine/aot/aot_abi.h"
#include "engine/metering.h"
#include "engine/metering_rewrite.h"
#include "engine/wabt_types.h"
#include "wasmlet/error.h"

namespace wasmlet::detail::aot {

namespace {

// The glue's fixed parts (aot_abi.h, wasm_rt_runtime.c), embedded at build time.
#include "aot_embedded.inc"

using wabt::Expr;
using wabt::ExprList;
using wabt::ExprType;

// Without the name section: GenerateNames then gives every function a short
// name (w2c_f123). wabt 1.0.32's C writer copies the set of all global
// names once per function, so long names (C++'s mangled ones) made that
// quadratic step the largest part of a large module's compile (17 minutes
// for a 30 MB program; docs/aot.md, "Large modules"). Trap messages name
// functions by index (ModuleImpl::function_names), not by their C names.
std::unique_ptr<wabt::Module> read_ir(std::span<const uint8_t> wasm, const std::string& name) {
  auto ir = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(engine_features(), nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr(name.c_str(), wasm.data(), wasm.size(), options, &errors, ir.get())) ||
      wabt::Failed(wabt::ValidateModule(ir.get(), &errors, wabt::ValidateOptions(engine_features()))))
    throw CompileError(fmt::format("{}: invalid module: {}", name,
                                   wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary)));
  return ir;
}

std::optional<std::string> unsupported_expr(const ExprList& list) {
  for (const Expr& e : list) {
    switch (e.type()) {
      case ExprType::SimdLaneOp: case ExprType::SimdLoadLane: case ExprType::SimdStoreLane:
      case ExprType::SimdShuffleOp: case ExprType::LoadSplat: case ExprType::LoadZero: case ExprType::Ternary:
        return "SIMD";
      case ExprType::AtomicLoad: case ExprType::AtomicRmw: case ExprType::AtomicRmwCmpxchg: case ExprType::AtomicStore:
      case ExprType::AtomicNotify: case ExprType::AtomicFence: case ExprType::AtomicWait:
        return "threads (atomics)";
      case ExprType::Try: case ExprType::Throw: case ExprType::Rethrow: return "exception handling";
      case ExprType::ReturnCall: case ExprType::ReturnCallIndirect: return "tail calls";
      case ExprType::CallRef: return "typed function references";
      case ExprType::Const:
        if (wabt::cast<wabt::ConstExpr>(&e)->const_.type() == wabt::Type::V128) return "SIMD";
        break;
      case ExprType::Binary: if (wabt::cast<wabt::BinaryExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Unary: if (wabt::cast<wabt::UnaryExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Compare: if (wabt::cast<wabt::CompareExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Convert: if (wabt::cast<wabt::ConvertExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Load: if (wabt::cast<wabt::LoadExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Store: if (wabt::cast<wabt::StoreExpr>(&e)->opcode.GetPrefix() == 0xfd) return "SIMD"; break;
      case ExprType::Block:
        if (auto r = unsupported_expr(wabt::cast<wabt::BlockExpr>(&e)->block.exprs)) return r;
        break;
      case ExprType::Loop:
        if (auto r = unsupported_expr(wabt::cast<wabt::LoopExpr>(&e)->block.exprs)) return r;
        break;
      case ExprType::If: {
        auto* if_ = wabt::cast<wabt::IfExpr>(&e);
        if (auto r = unsupported_expr(if_->true_.exprs)) return r;
        if (auto r = unsupported_expr(if_->false_)) return r;
        break;
      }
      default: break;
    }
  }
  return std::nullopt;
}

bool is_numeric(wabt::Type t) {
  return t == wabt::Type::I32 || t == wabt::Type::I64 || t == wabt::Type::F32 || t == wabt::Type::F64;
}

std::optional<std::string> unsupported_module(const wabt::Module& ir) {
  for (const wabt::TypeEntry* type : ir.types)
    if (auto* f = wabt::dyn_cast<wabt::FuncType>(type)) {
      for (auto t : f->sig.param_types) if (t == wabt::Type::V128) return std::string("SIMD");
      for (auto t : f->sig.result_types) if (t == wabt::Type::V128) return std::string("SIMD");
    }
  for (const wabt::Global* g : ir.globals) if (g->type == wabt::Type::V128) return std::string("SIMD");
  if (!ir.tags.empty()) return std::string("exception handling");
  for (const wabt::Memory* m : ir.memories) {
    if (m->page_limits.is_shared) return std::string("threads (shared memory)");
    if (m->page_limits.is_64) return std::string("memory64");
  }
  if (ir.memories.size() > 1) return std::string("multiple memories");
  for (const wabt::Import* import : ir.imports) {
    if (import->kind() == wabt::ExternalKind::Tag) return std::string("exception handling");
    // A funcref or externref global of another instance: its value could
    // outlive the instance it refers to (tables are pinned instead, aot_store.h).
    if (auto* g = wabt::dyn_cast<wabt::GlobalImport>(import); g && !is_numeric(g->global.type))
      return std::string("reference-typed global imports");
    if (import->kind() != wabt::ExternalKind::Func) continue;
    const auto& sig = wabt::cast<wabt::FuncImport>(import)->func.decl.sig;
    for (auto t : sig.param_types) if (!is_numeric(t)) return std::string("reference or vector values at the host boundary");
    for (auto t : sig.result_types) if (!is_numeric(t)) return std::string("reference or vector values at the host boundary");
  }
  for (const wabt::Export* e : ir.exports) {
    if (e->kind != wabt::ExternalKind::Func) continue;
    const auto& sig = ir.GetFunc(e->var)->decl.sig;
    for (auto t : sig.param_types) if (!is_numeric(t)) return std::string("reference or vector values at the host boundary");
    for (auto t : sig.result_types) if (!is_numeric(t)) return std::string("reference or vector values at the host boundary");
  }
  for (wabt::Index i = ir.num_func_imports; i < ir.funcs.size(); ++i) {
    const wabt::Func* f = ir.funcs[i];
    for (auto t : f->local_types) if (t == wabt::Type::V128) return std::string("SIMD");
    if (auto r = unsupported_expr(f->exprs)) return r;
  }
  return std::nullopt;
}

std::string c_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-' || c == ' ') out += static_cast<char>(c);
    else out += fmt::format("\\{:03o}", c);
  }
  return out + "\"";
}

// A declaration from wasm2c's header: "RET NAME(P0, P1);".
struct CDecl {
  std::string ret, name;
  std::vector<std::string> params;
};

CDecl parse_decl(const std::string& line) {
  CDecl d;
  auto open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return d;
  std::string head = line.substr(0, open);
  auto space = head.find_last_of(" *");
  d.name = head.substr(space + 1);
  d.ret = head.substr(0, space + 1);
  while (!d.ret.empty() && d.ret.back() == ' ') d.ret.pop_back();
  std::string params = line.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start < params.size()) {
    auto comma = params.find(',', start);
    if (comma == std::string::npos) comma = params.size();
    std::string p = params.substr(start, comma - start);
    while (!p.empty() && p.front() == ' ') p.erase(0, 1);
    if (!p.empty()) d.params.push_back(p);
    start = comma + 1;
  }
  return d;
}

// "/* import: 'a' 'b' */" -> {"a", "b"}; "/* export: 'a' */" -> {"a"}.
std::vector<std::string> quoted(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = line.find('\'', pos)) != std::string::npos) {
    auto end = line.find('\'', pos + 1);
    if (end == std::string::npos) break;
    out.push_back(line.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

const char* slot_field(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return "i32";
    case wabt::Type::I64: return "i64";
    case wabt::Type::F32: return "f32";
    default: return "f64";
  }
}

// wasm2c's multi-value struct field names: i0, j1, f2, d3.
std::string multi_field(wabt::Type t, size_t i) {
  char c = t == wabt::Type::I32 ? 'i' : t == wabt::Type::I64 ? 'j' : t == wabt::Type::F32 ? 'f' : 'd';
  return fmt::format("{}{}", c, i);
}

uint64_t initial_pages(const wabt::Module& ir);

// The aot_abi.h constant for a memory, table or global import or export.
const char* item_kind_constant(wabt::ExternalKind kind) {
  switch (kind) {
    case wabt::ExternalKind::Memory: return "WASMLET_EXPORT_MEMORY";
    case wabt::ExternalKind::Table: return "WASMLET_EXPORT_TABLE";
    default: return "WASMLET_EXPORT_GLOBAL";
  }
}

// The module's own import and export names, by index.
struct RealNames {
  std::vector<std::pair<std::string, std::string>> imports;
  std::vector<std::string> exports;
};

// wasm2c names C functions after the imports and exports and quotes those
// names in comments, which the shim reads back. Names with quotes, NUL bytes
// or "*/" would break either, and a module that imports one item twice (as
// AssemblyScript's output does) would get its C function defined twice. So
// the C is generated for plain names (import i is wasmlet.iN, export i is
// eN; the metering import keeps its own), and the real ones go into the
// shim's tables, with their lengths.
RealNames use_plain_names(wabt::Module& ir) {
  RealNames real;
  for (size_t i = 0; i < ir.imports.size(); ++i) {
    wabt::Import* import = ir.imports[i];
    real.imports.emplace_back(import->module_name, import->field_name);
    if (import->module_name == kMeterModule && import->field_name == kRefuelName) continue;  // plain already
    import->module_name = "wasmlet";
    import->field_name = fmt::format("i{}", i);
  }
  for (size_t i = 0; i < ir.exports.size(); ++i) {
    real.exports.push_back(ir.exports[i]->name);
    ir.exports[i]->name = fmt::format("e{}", i);
  }
  return real;
}

// A row of the shim's import table.
std::string import_row(const std::pair<std::string, std::string>& name, const char* kind) {
  return fmt::format("  {{{}, {}, {}, {}u, {}u}},\n", c_string(name.first), c_string(name.second), kind,
                     name.first.size(), name.second.size());
}

std::string generate_shim(const wabt::Module& ir, const RealNames& names, const std::string& header,
                          const std::string& key, size_t functions) {
  std::map<std::pair<std::string, std::string>, CDecl> import_decls;
  std::map<std::pair<std::string, std::string>, std::string> import_fields;  // memory/table/global: the C name
  std::map<std::string, CDecl> extern_decls;  // "extern T* NAME(struct Z_x_instance_t*);" by NAME
  std::map<std::string, CDecl> export_decls;
  CDecl instantiate;
  std::istringstream lines(header);
  std::string line, pending_kind;
  std::vector<std::string> pending_names;
  while (std::getline(lines, line)) {
    // Memory, table and global imports are commented inside the instance struct, indented.
    if (line.rfind("  /* import: ", 0) == 0) line.erase(0, 2);
    if (line.rfind("/* import: ", 0) == 0 || line.rfind("/* export: ", 0) == 0) {
      pending_kind = line.substr(3, 6);
      pending_names = quoted(line);
      continue;
    }
    if (!pending_kind.empty() && !line.empty()) {
      if (pending_kind == "import" && pending_names.size() == 2 && line.find('(') == std::string::npos) {
        // A memory, table or global import: a pointer field of the instance ("  u32 *Z_envZ_g;").
        auto star = line.rfind('*'), semi = line.rfind(';');
        if (star != std::string::npos && semi != std::string::npos && semi > star)
          import_fields[{pending_names[0], pending_names[1]}] = line.substr(star + 1, semi - star - 1);
      } else if (pending_kind == "import" && pending_names.size() == 2)
        import_decls[{pending_names[0], pending_names[1]}] = parse_decl(line);
      else if (pending_kind == "export" && pending_names.size() == 1)
        export_decls[pending_names[0]] = parse_decl(line);
      pending_kind.clear();
      continue;
    }
    if (line.rfind("void Z_m_instantiate(", 0) == 0) instantiate = parse_decl(line);
    if (line.rfind("extern ", 0) == 0 && line.find('(') != std::string::npos) {
      CDecl d = parse_decl(line.substr(7));
      extern_decls[d.name] = d;
    }
  }
  if (instantiate.params.empty()) throw CompileError("AOT: wasm2c's header has no instantiate function");

  std::string out = "\n/* ---- per-module shim (generated by wasmlet) ---- */\n";
  out += "static pthread_once_t wasmlet_once = PTHREAD_ONCE_INIT;\n";
  out += "static void wasmlet_init_once(void) { Z_m_init_module(); }\n";
  out += "static void wasmlet_init_module(void) { pthread_once(&wasmlet_once, wasmlet_init_once); }\n";
  out += "static void wasmlet_instantiate(void* instance, void* ctx) {\n  Z_m_instantiate((Z_m_instance_t*)instance";
  for (size_t i = 1; i < instantiate.params.size(); ++i) out += fmt::format(", ({})ctx", instantiate.params[i]);
  out += ");\n}\n";
  out += "static void wasmlet_free(void* instance) { Z_m_free((Z_m_instance_t*)instance); }\n";

  // Imports: each forwards to the engine with its index.
  std::string import_table;
  for (wabt::Index index = 0; index < ir.imports.size(); ++index) {
    if (ir.imports[index]->kind() != wabt::ExternalKind::Func) {
      // A memory, table or global: wasm2c asks for it once, at instantiation.
      const wabt::Import* import = ir.imports[index];
      auto field = import_fields.find({import->module_name, import->field_name});
      auto decl = field == import_fields.end() ? extern_decls.end() : extern_decls.find(field->second);
      if (decl == extern_decls.end() || decl->second.params.size() != 1)
        throw CompileError(fmt::format("AOT: cannot find import {}.{} in wasm2c's header", import->module_name,
                                       import->field_name));
      const CDecl& d = decl->second;
      out += fmt::format("{} {}({} ctx) {{\n  return ({})wasmlet_host->import_item(ctx, {});\n}}\n", d.ret, d.name,
                         d.params[0], d.ret, index);
      import_table += import_row(names.imports[index], item_kind_constant(import->kind()));
      continue;
    }
    const auto* import = wabt::cast<wabt::FuncImport>(ir.imports[index]);
    auto it = import_decls.find({import->module_name, import->field_name});
    if (it == import_decls.end())
      throw CompileError(fmt::format("AOT: cannot find import {}.{} in wasm2c's header", import->module_name,
                                     import->field_name));
    const CDecl& d = it->second;
    const auto& sig = import->func.decl.sig;
    if (d.params.size() != sig.param_types.size() + 1) throw CompileError("AOT: import signature mismatch");
    import_table += import_row(names.imports[index], "WASMLET_EXPORT_FUNC");
    size_t slots = std::max<size_t>(1, std::max(sig.param_types.size(), sig.result_types.size()));
    out += fmt::format("{} {}({} ctx", d.ret, d.name, d.params[0]);
    for (size_t i = 0; i < sig.param_types.size(); ++i) out += fmt::format(", {} a{}", d.params[i + 1], i);
    out += fmt::format(") {{\n  wasmlet_slot s[{}];\n", slots);
    for (size_t i = 0; i < sig.param_types.size(); ++i)
      out += fmt::format("  s[{}].{} = a{};\n", i, slot_field(sig.param_types[i]), i);
    out += fmt::format("  wasmlet_host->call_import(ctx, {}, s, __builtin_return_address(0));\n", index);
    if (sig.result_types.size() == 1) {
      out += fmt::format("  return s[0].{};\n", slot_field(sig.result_types[0]));
    } else if (sig.result_types.size() > 1) {
      out += fmt::format("  {} r;\n", d.ret);
      for (size_t i = 0; i < sig.result_types.size(); ++i)
        out += fmt::format("  r.{} = s[{}].{};\n", multi_field(sig.result_types[i], i), i, slot_field(sig.result_types[i]));
      out += "  return r;\n";
    }
    out += "}\n";
  }

  // Exports: uniform thunks over slots.
  std::string export_table;
  size_t n_exports = 0;
  for (size_t index = 0; index < ir.exports.size(); ++index) {
    const wabt::Export* e = ir.exports[index];
    auto it = export_decls.find(e->name);
    if (it == export_decls.end())
      throw CompileError(fmt::format("AOT: cannot find export {} in wasm2c's header", names.exports[index]));
    const CDecl& d = it->second;
    const std::string& real_name = names.exports[index];
    const size_t n = n_exports++;
    if (e->kind == wabt::ExternalKind::Func) {
      const auto& sig = ir.GetFunc(e->var)->decl.sig;
      std::string call = fmt::format("{}((Z_m_instance_t*)instance", d.name);
      for (size_t i = 0; i < sig.param_types.size(); ++i) call += fmt::format(", s[{}].{}", i, slot_field(sig.param_types[i]));
      call += ")";
      out += fmt::format("static void wasmlet_x{}(void* instance, wasmlet_slot* s) {{\n", n);
      if (sig.result_types.empty()) {
        out += fmt::format("  {};\n", call);
      } else if (sig.result_types.size() == 1) {
        out += fmt::format("  s[0].{} = {};\n", slot_field(sig.result_types[0]), call);
      } else {
        out += fmt::format("  {} r = {};\n", d.ret, call);
        for (size_t i = 0; i < sig.result_types.size(); ++i)
          out += fmt::format("  s[{}].{} = r.{};\n", i, slot_field(sig.result_types[i]), multi_field(sig.result_types[i], i));
      }
      out += "}\n";
      export_table += fmt::format("  {{{}, WASMLET_EXPORT_FUNC, wasmlet_x{}, 0, {}u}},\n", c_string(real_name), n,
                                  real_name.size());
    } else if (e->kind == wabt::ExternalKind::Memory || e->kind == wabt::ExternalKind::Global ||
               e->kind == wabt::ExternalKind::Table) {
      out += fmt::format("static void* wasmlet_g{}(void* instance) {{ return (void*){}((Z_m_instance_t*)instance); }}\n",
                         n, d.name);
      export_table += fmt::format("  {{{}, {}, 0, wasmlet_g{}, {}u}},\n", c_string(real_name),
                                  item_kind_constant(e->kind), n, real_name.size());
    } else {
      --n_exports;
    }
  }
  out += fmt::format("static const wasmlet_aot_import wasmlet_imports[] = {{\n{}  {{0, 0, 0, 0, 0}}\n}};\n", import_table);
  out += fmt::format("static const wasmlet_aot_export wasmlet_exports[] = {{\n{}  {{0, 0, 0, 0, 0}}\n}};\n", export_table);
  out += "extern const wasmlet_guest_function wasmlet_guest_functions[] __attribute__((visibility(\"hidden\")));\n"
         "extern const char __start_wasmlet_guest[] __attribute__((visibility(\"hidden\")));\n"
         "extern const char __stop_wasmlet_guest[] __attribute__((visibility(\"hidden\")));\n";
  out += fmt::format(
      "static const wasmlet_aot_module wasmlet_module = {{\n"
      "  WASMLET_AOT_ABI, {}, sizeof(Z_m_instance_t), {}u, wasmlet_init_module, wasmlet_instantiate, wasmlet_free,\n"
      "  {}, wasmlet_imports, {}, wasmlet_exports,\n"
      "  {}u, {}u, wasmlet_guest_functions, __start_wasmlet_guest, __stop_wasmlet_guest}};\n",
      c_string(key), initial_pages(ir), ir.imports.size(), n_exports, ir.num_func_imports, functions);
  out += "__attribute__((visibility(\"default\"))) const wasmlet_aot_module* wasmlet_aot_entry(const wasmlet_aot_host* host) {\n"
         "  wasmlet_host = host;\n  return &wasmlet_module;\n}\n";
  return out;
}

// wasm2c reports every failed call_indirect as one trap; route it through
// wasmlet_indirect_trap, which tells out-of-range, null and mismatch apart.
// Traps name the guest function they happen in: TRAP is a macro expanded
// inside that function's body, so __func__ is its C name even when gcc
// inlines it into another.
void patch_traps(std::string& c) {
  const std::string include = "#include \"module.h\"\n";
  auto at = c.find(include);
  if (at == std::string::npos) throw CompileError("AOT: unexpected output from wabt's C writer (no module.h include)");
  auto replace = [&c](const std::string& from, const std::string& to) {
    auto pos = c.find(from);
    if (pos == std::string::npos) throw CompileError("AOT: unexpected output from wabt's C writer (no " + from + ")");
    c.replace(pos, from.size(), to);
  };
  replace("#define TRAP(x) (wasm_rt_trap(WASM_RT_TRAP_##x), 0)", "#define TRAP(x) (wasmlet_trap_in(WASM_RT_TRAP_##x, __func__), 0)");
  replace("TRAP(CALL_INDIRECT)", "(wasmlet_indirect_trap(table.size, (x), table.data, __func__), 0)");
  // Memory bounds checks name the byte past the end the way the interpreter
  // does: an explicit check (no guard pages) the access's first byte past
  // the end; memory.fill, copy and init the end of the range, checked in the
  // interpreter's order (a copy's source, an init's segment, first).
  replace("  if (UNLIKELY(offset + (uint64_t)len > mem->size)) \\\n    TRAP(OOB);\n",
          "  if (UNLIKELY(offset + (uint64_t)len > mem->size)) \\\n"
          "    wasmlet_memory_trap_in((offset) < mem->size ? mem->size : (offset), mem->size, __func__);\n"
          "#define WASMLET_RANGE_END_CHECK(mem, offset, len) \\\n"
          "  if (UNLIKELY(offset + (uint64_t)len > mem->size)) \\\n"
          "    wasmlet_memory_trap_in(offset + (uint64_t)len, mem->size, __func__);\n");
  // The bulk operations' helpers are there only for a module that uses them.
  auto replace_if_there = [&c](const std::string& from, const std::string& to) {
    if (auto pos = c.find(from); pos != std::string::npos) c.replace(pos, from.size(), to);
  };
  replace_if_there("u32 n) {\n  RANGE_CHECK(mem, d, n);\n  memset(", "u32 n) {\n  WASMLET_RANGE_END_CHECK(mem, d, n);\n  memset(");
  replace_if_there("  RANGE_CHECK(dest, dest_addr, n);\n  RANGE_CHECK(src, src_addr, n);\n  memmove(",
                   "  WASMLET_RANGE_END_CHECK(src, src_addr, n);\n  WASMLET_RANGE_END_CHECK(dest, dest_addr, n);\n  memmove(");
  replace_if_there("  if (UNLIKELY(src_addr + (uint64_t)n > src_size))\n    TRAP(OOB);\n  LOAD_DATA((*dest), dest_addr,",
                   "  if (UNLIKELY(src_addr + (uint64_t)n > src_size))\n"
                   "    wasmlet_memory_trap_in(src_addr + (uint64_t)n, src_size, __func__);\n"
                   "  WASMLET_RANGE_END_CHECK(dest, dest_addr, n);\n  LOAD_DATA((*dest), dest_addr,");
  // wabt 1.0.32 puts an imported function into a table from an element
  // segment with the address of the importer's field that holds the
  // import's instance, instead of the field's value. Offsets of such fields
  // are written +1 (0 stays "the module's own function").
  const std::string own_offset = "(char*)module_instance + src_expr->module_offset}";
  if (auto pos = c.find(own_offset); pos != std::string::npos)
    c.replace(pos, own_offset.size(),
              "src_expr->module_offset ? *(void**)((char*)module_instance + src_expr->module_offset - 1) : module_instance}");
  for (size_t pos = 0; (pos = c.find(", offsetof(Z_m_instance_t, ", pos)) != std::string::npos; pos += 4)
    c.replace(pos, 2, ", 1 + ");
  // The prelude's table helpers (table.init/copy/get/set/fill and active
  // element segments) trap with wasm2c's one OOB code, which reads as a
  // memory fault; give them the table-bounds code the interpreter reports.
  const auto tables_begin = c.find("static inline void funcref_table_init(");
  const auto tables_end = c.find("DEFINE_TABLE_FILL(externref)", tables_begin);
  if (tables_begin != std::string::npos && tables_end != std::string::npos) {
    const std::string oob = "TRAP(OOB)", table_oob = "TRAP(TABLE_OOB)";
    for (auto pos = c.find(oob, tables_begin); pos != std::string::npos && pos < tables_end; pos = c.find(oob, pos))
      c.replace(pos, oob.size(), table_oob);
  }
  c.insert(at + include.size(),
           "__attribute__((noreturn, visibility(\"hidden\"))) void wasmlet_trap_in(uint32_t, const char*);\n"
           "__attribute__((noreturn, visibility(\"hidden\"))) void wasmlet_indirect_trap(uint32_t, uint32_t, "
           "const wasm_rt_funcref_t*, const char*);\n"
           "__attribute__((noreturn, visibility(\"hidden\"))) void wasmlet_memory_trap_in(uint64_t, uint64_t, const char*);\n"
           "#define WASMLET_GUEST __attribute__((section(\"wasmlet_guest\")))\n"
           "#define WASM_RT_TRAP_TABLE_OOB " + std::to_string(WASMLET_TRAP_TABLE_BOUNDS) + "u\n");
}

// Puts every function wasm2c generated for the module into the section
// "wasmlet_guest": a signal that lands there may unwind the guest
// (interrupt_watch.h). That is each definition "T NAME(Z_m_instance_t*
// instance, ...) {": the guest functions (static w2c_NAME, one per defined
// function, in index order), the exported wrappers they get inlined into,
// and the instance set-up code; none of them holds a lock or host state.
// Appends the table of guest functions that turns a trap's address or C
// name into a function index. Returns how many guest functions there are.
size_t mark_guest_functions(std::string& c) {
  std::string out, table, others;
  out.reserve(c.size() + c.size() / 16);
  size_t count = 0, pos = 0;
  const std::string params = "(Z_m_instance_t* instance";
  while (pos < c.size()) {
    size_t end = c.find('\n', pos);
    if (end == std::string::npos) end = c.size();
    std::string_view line(c.data() + pos, end - pos);
    const auto open = line.find(params);
    // wasm2c wraps a long parameter list onto more lines: the signature ends
    // at the first line that ends with ") {" (a definition) or ";".
    size_t sig_end = end;
    std::string signature(line);
    if (!line.empty() && line[0] != ' ' && line[0] != '#' && open != std::string_view::npos)
      while (!signature.ends_with(") {") && !signature.ends_with(";") && sig_end < c.size()) {
        const size_t next = std::min(c.find('\n', sig_end + 1), c.size());
        signature.append(c, sig_end + 1, next - sig_end - 1);
        sig_end = next;
      }
    if (!line.empty() && line[0] != ' ' && line[0] != '#' && signature.ends_with(") {") &&
        open != std::string_view::npos) {
      out += "WASMLET_GUEST ";
      const auto name_start = line.rfind(' ', open) + 1;
      const std::string_view name = line.substr(name_start, open - name_start);
      if (line.starts_with("static ") && name.starts_with("w2c_")) {
        table += fmt::format("  {{(const void*)&{0}, \"{0}\"}},\n", name);
        ++count;
      } else {
        // Listed after the guest functions, so a fault in them is not blamed
        // on a neighbour. Named after the last guest function its body
        // calls: for an exported wrapper the function it wraps, for
        // Z_m_instantiate the start function; gcc usually inlines that one.
        const size_t body_end = std::min(c.find("\n}\n", sig_end), c.size());
        const std::string_view body(c.data() + sig_end, body_end - sig_end);
        const auto call_end = body.rfind("(instance");
        const auto callee = call_end == std::string_view::npos ? call_end : body.rfind("w2c_", call_end);
        if (callee != std::string_view::npos && body.substr(callee, call_end - callee).find_first_of(" ;=(") ==
                                                      std::string_view::npos)
          others += fmt::format("  {{(const void*)&{}, \"{}\"}},\n", name, body.substr(callee, call_end - callee));
        else
          others += fmt::format("  {{(const void*)&{}, 0}},\n", name);
      }
    }
    out.append(line);
    out += '\n';
    pos = end + 1;
  }
  out += "\n/* ---- guest function table (generated by wasmlet) ---- */\n";
  out += fmt::format("__attribute__((visibility(\"hidden\"))) const wasmlet_guest_function wasmlet_guest_functions[] = {{\n{}{}  {{0, 0}}\n}};\n", table, others);
  c = std::move(out);
  return count;
}

// A wabt output stream into a std::string (MemoryStream's buffer would be
// copied into one: hundreds of MiB for a large module).
class StringStream : public wabt::Stream {
 public:
  explicit StringStream(std::string& out) : out_(out) {}

 protected:
  wabt::Result WriteDataImpl(size_t offset, const void* data, size_t size) override {
    if (offset + size > out_.size()) out_.resize(offset + size);
    std::memcpy(out_.data() + offset, data, size);
    return wabt::Result::Ok;
  }
  wabt::Result MoveDataImpl(size_t dst_offset, size_t src_offset, size_t size) override {
    if (dst_offset + size > out_.size()) out_.resize(dst_offset + size);
    std::memmove(out_.data() + dst_offset, out_.data() + src_offset, size);
    return wabt::Result::Ok;
  }
  wabt::Result TruncateImpl(size_t size) override {
    if (size < out_.size()) out_.resize(size);
    return wabt::Result::Ok;
  }

 private:
  std::string& out_;
};

uint64_t initial_pages(const wabt::Module& ir) {
  uint64_t pages = 0;
  for (size_t i = ir.num_memory_imports; i < ir.memories.size(); ++i) pages += ir.memories[i]->page_limits.initial;
  return pages;
}

}  // namespace

std::optional<std::string> unsupported_feature(std::span<const uint8_t> wasm) {
  auto ir = read_ir(wasm, "module");
  return unsupported_module(*ir);
}

// The fuel build keeps the budget in a global the host reads after a trap.
// gcc removes a store to it that another store follows with no read between
// (a memory store may come between, which it may alias, but never reads),
// and keeps the value in a register instead: a memory fault in that stretch
// left the global at its value before the last refuel, and the run was
// charged a whole refuel's worth too much. An empty asm that reads the
// global after each store keeps every store, in order, and costs nothing.
void keep_budget_stores(std::string& c, const std::string& budget_field) {
  const std::string store = "instance->" + budget_field + " = ";
  for (size_t pos = 0; (pos = c.find(store, pos)) != std::string::npos;) {
    const size_t end = c.find(';', pos);
    if (end == std::string::npos) break;
    const std::string barrier = " __asm__ volatile(\"\" : : \"m\"(instance->" + budget_field + "));";
    c.insert(end + 1, barrier);
    pos = end + 1 + barrier.size();
  }
}

CSources generate_c(std::span<const uint8_t> wasm, const std::string& name, const std::string& key, Checks checks) {
  CSources sources;
  size_t defined_functions = 0;
  std::string budget_field;  // the budget global's field in the instance (the fuel build)
  {
    // wabt's IR takes some 100 bytes per instruction: it is gone before the
    // C, ten times the size of the module, is worked on.
    auto ir = read_ir(wasm, name);
    if (checks == Checks::None) strip_fuel_checks(*ir);
    if (auto reason = unsupported_module(*ir)) throw UnsupportedFeature(name, *reason);
    const RealNames names = use_plain_names(*ir);
    if (checks == Checks::Fuel)
      for (size_t i = 0; i < names.exports.size(); ++i)
        if (names.exports[i] == kBudgetExport) budget_field = fmt::format("w2c_e{}", i);
    if (wabt::Failed(wabt::GenerateNames(ir.get())) || wabt::Failed(wabt::ApplyNames(ir.get())))
      throw CompileError(fmt::format("{}: AOT: could not name the module's functions", name));
    StringStream c_stream(sources.module_c), h_stream(sources.module_h);
    wabt::WriteCOptions options;
    options.module_name = "m";
    if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, "module.h", ir.get(), options)))
      throw CompileError(fmt::format("{}: AOT: wabt's C writer failed", name));
    defined_functions = ir->funcs.size() - ir->num_func_imports;
    sources.glue_c = "#include \"module.h\"\n";
    sources.glue_c += kAotAbiHeader;
    sources.glue_c += "\n#line 1 \"wasm_rt_runtime.c\"\n";
    sources.glue_c += kWasmRtRuntimeC;
    sources.glue_c += generate_shim(*ir, names, sources.module_h, key, defined_functions);
  }
  patch_traps(sources.module_c);
  if (!budget_field.empty()) keep_budget_stores(sources.module_c, budget_field);
  const size_t functions = mark_guest_functions(sources.module_c);
  if (functions != defined_functions)
    throw CompileError(fmt::format("{}: AOT: found {} of the module's {} functions in wabt's C output", name, functions,
                                   defined_functions));
  sources.module_c.insert(0, std::string(kAotAbiHeader) + "\n#line 1 \"module.c\"\n");
  return sources;
}

}  // namespace wasmlet::detail::aot
