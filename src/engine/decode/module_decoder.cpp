#include "engine/decode/module_decoder.h"

#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "engine/decode/byte_reader.h"
#include "engine/decode/const_expr.h"
#include "engine/decode/function_validator.h"

namespace wasmlet::decode {

namespace {

enum SectionId : uint8_t {
  kCustom = 0, kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6,
  kExport = 7, kStart = 8, kElement = 9, kCode = 10, kData = 11, kDataCount = 12,
};

// The position of each known section in the required order.
int section_rank(uint8_t id) {
  static constexpr int kRank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  return kRank[id];
}

const char* section_name(uint8_t id) {
  static constexpr const char* kNames[] = {"custom", "type",  "import", "function", "table", "memory",    "global",
                                           "export", "start", "element", "code",   "data",  "data count"};
  return kNames[id];
}

const char* kind_name(ExternalKind kind) {
  switch (kind) {
    case ExternalKind::Func: return "function";
    case ExternalKind::Table: return "table";
    case ExternalKind::Memory: return "memory";
    case ExternalKind::Global: return "global";
  }
  return "?";
}

class ModuleDecoder {
 public:
  ModuleDecoder(std::span<const uint8_t> wasm, const Features& features)
      : wasm_(wasm), features_(features), validator_(module_, wasm, features) {}

  Module run() {
    ByteReader in(wasm_);
    read_header(in);
    int last_rank = 0;
    while (!in.at_end()) {
      size_t at = in.offset();
      uint8_t id = in.u8();
      if (id > kDataCount) throw_malformed(at, fmt::format("malformed section id {}", id));
      size_t size_at = in.offset();
      uint32_t size = in.u32();
      if (size > in.remaining())
        throw_malformed(size_at, fmt::format("length out of bounds: the {} section claims {} bytes, {} remain",
                                             section_name(id), size, in.remaining()));
      size_t contents_at = in.offset();
      ByteReader section(in.bytes(size), contents_at);
      if (id != kCustom) {
        int rank = section_rank(id);
        if (rank <= last_rank)
          throw_malformed(at, fmt::format("unexpected content after last section: the {} section is repeated or out "
                                          "of order",
                                          section_name(id)));
        last_rank = rank;
      }
      read_section(id, section);
      if (!section.at_end())
        throw_malformed(section.offset(), fmt::format("section size mismatch: {} bytes left over in the {} section",
                                                      section.remaining(), section_name(id)));
    }
    size_t defined = module_.functions.size() - module_.num_imported_functions;
    if (module_.bodies.size() != defined)
      throw_malformed(wasm_.size(), fmt::format("function and code section have inconsistent lengths ({} functions "
                                                "declared, {} bodies)",
                                                defined, module_.bodies.size()));
    if (module_.data_count && *module_.data_count != module_.data.size())
      throw_malformed(wasm_.size(), fmt::format("data count and data section have inconsistent lengths ({} and {})",
                                                *module_.data_count, module_.data.size()));
    return std::move(module_);
  }

 private:
  void read_header(ByteReader& in) {
    static constexpr uint8_t kMagic[] = {0x00, 0x61, 0x73, 0x6d};
    if (in.remaining() < 4 || !std::equal(kMagic, kMagic + 4, in.position()))
      throw_malformed(0, "magic header not detected: not a WebAssembly binary");
    in.skip(4);
    if (in.remaining() < 4) throw_malformed(4, "unexpected end: no version after the magic header");
    auto v = in.bytes(4);
    if (v[0] != 1 || v[1] != 0 || v[2] != 0 || v[3] != 0)
      throw_malformed(4, fmt::format("unknown binary version {:02x} {:02x} {:02x} {:02x}, expected 01 00 00 00", v[0],
                                     v[1], v[2], v[3]));
  }

  void read_section(uint8_t id, ByteReader& in) {
    switch (id) {
      case kCustom: return read_custom(in);
      case kType: return read_types(in);
      case kImport: return read_imports(in);
      case kFunction: return read_functions(in);
      case kTable: return read_tables(in);
      case kMemory: return read_memories(in);
      case kGlobal: return read_globals(in);
      case kExport: return read_exports(in);
      case kStart: return read_start(in);
      case kElement: return read_elements(in);
      case kCode: return read_code(in);
      case kData: return read_data(in);
      case kDataCount: module_.data_count = in.u32(); return;
    }
  }

  static void check_limit(size_t at, uint64_t count, uint64_t limit, const char* what) {
    if (count > limit) throw_limit(at, fmt::format("too many {}: {} (wasmlet's limit is {})", what, count, limit));
  }

  void read_custom(ByteReader& in) {
    std::string_view name = in.name();
    module_.custom_sections.push_back(CustomSection{std::string(name), {in.offset(), in.remaining()}});
    in.skip(in.remaining());
  }

  void read_types(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(3);
    check_limit(at, n, limits::kTypes, "types");
    module_.types.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t form_at = in.offset();
      uint8_t form = in.u8();
      if (form != 0x60)
        throw_malformed(form_at, fmt::format("integer representation too long: malformed function type form {:#04x}, "
                                             "expected 0x60",
                                             form));
      FuncType type;
      read_types_into(in, type.params, limits::kParams, "parameters");
      read_types_into(in, type.results, limits::kResults, "results");
      module_.types.push_back(std::move(type));
    }
  }

  void read_types_into(ByteReader& in, std::vector<ValType>& out, uint32_t limit, const char* what) {
    size_t at = in.offset();
    uint32_t n = in.count(1);
    check_limit(at, n, limit, what);
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) out.push_back(read_value_type(in));
  }

  uint32_t type_index(ByteReader& in) {
    size_t at = in.offset();
    uint32_t index = in.u32();
    if (index >= module_.types.size())
      throw_invalid(at, fmt::format("unknown type {} ({} types)", index, module_.types.size()));
    return index;
  }

  void add_memory(size_t at, const MemoryType& type) {
    if (!features_.multi_memory && !module_.memories.empty()) throw_invalid(at, "multiple memories");
    check_limit(at, module_.memories.size() + 1, limits::kMemories, "memories");
    module_.memories.push_back(type);
  }

  void read_imports(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(4);
    check_limit(at, n, limits::kImports, "imports");
    module_.imports.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Import import;
      import.module = in.name();
      import.name = in.name();
      size_t kind_at = in.offset();
      uint8_t kind = in.u8();
      switch (kind) {
        case 0:
          import.type_index = type_index(in);
          module_.functions.push_back(import.type_index);
          ++module_.num_imported_functions;
          break;
        case 1:
          import.table = read_table_type(in);
          module_.tables.push_back(import.table);
          ++module_.num_imported_tables;
          break;
        case 2:
          import.memory = read_memory_type(in);
          add_memory(kind_at, import.memory);
          ++module_.num_imported_memories;
          break;
        case 3:
          import.global = read_global_type(in);
          module_.globals.push_back(import.global);
          ++module_.num_imported_globals;
          break;
        default: throw_malformed(kind_at, fmt::format("malformed import kind {}", kind));
      }
      import.kind = ExternalKind(kind);
      module_.imports.push_back(std::move(import));
    }
  }

  void read_functions(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(1);
    check_limit(at, uint64_t(n) + module_.functions.size(), limits::kFunctions, "functions");
    module_.functions.reserve(module_.functions.size() + n);
    for (uint32_t i = 0; i < n; ++i) module_.functions.push_back(type_index(in));
  }

  void read_tables(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(3);
    check_limit(at, uint64_t(n) + module_.tables.size(), limits::kTables, "tables");
    for (uint32_t i = 0; i < n; ++i) module_.tables.push_back(read_table_type(in));
  }

  void read_memories(ByteReader& in) {
    uint32_t n = in.count(2);
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = in.offset();
      add_memory(at, read_memory_type(in));
    }
  }

  void read_globals(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(3);  // type, mutability, end at least
    check_limit(at, uint64_t(n) + module_.globals.size(), limits::kGlobals, "globals");
    ensure_ref_table();
    for (uint32_t i = 0; i < n; ++i) {
      Global g;
      g.type = read_global_type(in);
      g.init = read_const_expr(in, module_, g.type.type, features_, "a global initializer");
      module_.globals.push_back(g.type);
      module_.global_inits.push_back(g);
    }
  }

  void ensure_ref_table() { module_.declared_function_refs.resize(module_.functions.size(), false); }

  void read_exports(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(3);
    check_limit(at, n, limits::kExports, "exports");
    ensure_ref_table();
    std::unordered_set<std::string_view> names;
    names.reserve(n);
    module_.exports.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t name_at = in.offset();
      std::string_view name = in.name();
      if (!names.insert(name).second)
        throw_invalid(name_at, fmt::format("duplicate export name \"{}\"", name));
      size_t kind_at = in.offset();
      uint8_t kind = in.u8();
      if (kind > 3) throw_malformed(kind_at, fmt::format("malformed export kind {}", kind));
      size_t index_at = in.offset();
      uint32_t index = in.u32();
      size_t space = kind == 0   ? module_.functions.size()
                     : kind == 1 ? module_.tables.size()
                     : kind == 2 ? module_.memories.size()
                                 : module_.globals.size();
      if (index >= space)
        throw_invalid(index_at, fmt::format("unknown {} {} in export \"{}\" ({} defined)", kind_name(ExternalKind(kind)),
                                            index, name, space));
      if (kind == 0) module_.declared_function_refs[index] = true;
      module_.exports.push_back(Export{std::string(name), ExternalKind(kind), index});
    }
  }

  void read_start(ByteReader& in) {
    size_t at = in.offset();
    uint32_t f = in.u32();
    if (f >= module_.functions.size())
      throw_invalid(at, fmt::format("unknown function {} as the start function", f));
    const FuncType& t = module_.function_type(f);
    if (!t.params.empty() || !t.results.empty())
      throw_invalid(at, fmt::format("start function {} must take and return nothing", f));
    module_.start = f;
  }

  void read_elements(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(2);
    check_limit(at, n, limits::kElementSegments, "element segments");
    ensure_ref_table();
    module_.elements.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t seg_at = in.offset();
      uint32_t flags = in.u32();
      if (flags > 7) throw_malformed(seg_at, fmt::format("malformed elements segment kind {}", flags));
      ElementSegment seg;
      bool passive_or_declarative = flags & 1, explicit_table = flags & 2, expressions = flags & 4;
      seg.mode = !passive_or_declarative ? SegmentMode::Active : explicit_table ? SegmentMode::Declarative
                                                                                : SegmentMode::Passive;
      if (seg.mode == SegmentMode::Active) {
        if (explicit_table) seg.table = in.u32();
        if (seg.table >= module_.tables.size())
          throw_invalid(seg_at, fmt::format("unknown table {} in element segment {}", seg.table, i));
        seg.offset = read_const_expr(in, module_, ValType::I32, features_, "an element segment offset");
      }
      if (flags & 3) {  // an element kind or reference type follows
        size_t kind_at = in.offset();
        if (expressions) {
          seg.type = read_reference_type(in);
        } else if (uint8_t kind = in.u8(); kind != 0) {
          throw_malformed(kind_at, fmt::format("malformed element kind {}, expected 0 (funcref)", kind));
        }
      }
      size_t count_at = in.offset();
      uint32_t items = in.count(1);
      seg.uses_expressions = expressions;
      if (expressions) {
        seg.expressions.reserve(items);
        for (uint32_t k = 0; k < items; ++k)
          seg.expressions.push_back(read_const_expr(in, module_, seg.type, features_, "an element expression"));
      } else {
        seg.functions.reserve(items);
        for (uint32_t k = 0; k < items; ++k) {
          size_t f_at = in.offset();
          uint32_t f = in.u32();
          if (f >= module_.functions.size())
            throw_invalid(f_at, fmt::format("unknown function {} in element segment {}", f, i));
          module_.declared_function_refs[f] = true;
          seg.functions.push_back(f);
        }
      }
      (void)count_at;
      if (seg.mode == SegmentMode::Active && module_.tables[seg.table].element != seg.type)
        throw_invalid(seg_at, fmt::format("type mismatch: element segment {} holds {}, table {} holds {}", i,
                                          name_of(seg.type), seg.table, name_of(module_.tables[seg.table].element)));
      module_.elements.push_back(std::move(seg));
    }
  }

  void read_code(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(2);
    size_t defined = module_.functions.size() - module_.num_imported_functions;
    if (n != defined)
      throw_malformed(at, fmt::format("function and code section have inconsistent lengths ({} functions declared, "
                                      "{} bodies)",
                                      defined, n));
    ensure_ref_table();
    module_.bodies.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t size_at = in.offset();
      uint32_t size = in.u32();
      if (size > in.remaining())
        throw_malformed(size_at, fmt::format("length out of bounds: function body {} claims {} bytes, {} remain", i,
                                             size, in.remaining()));
      check_limit(size_at, size, limits::kFunctionBodyBytes, "bytes in a function body");
      FunctionBody body;
      body.type_index = module_.functions[module_.num_imported_functions + i];
      body.body = {in.offset(), size};
      ByteReader code(in.bytes(size), body.body.offset);
      read_locals(code, body);
      body.code = {code.offset(), code.remaining()};
      module_.bodies.push_back(body);
      validator_.validate(uint32_t(module_.bodies.size() - 1));
    }
  }

  void read_locals(ByteReader& in, FunctionBody& body) {
    size_t at = in.offset();
    uint32_t runs = in.count(2);
    body.first_local_run = uint32_t(module_.local_runs.size());
    body.local_run_count = runs;
    uint64_t total = module_.types[body.type_index].params.size();
    for (uint32_t r = 0; r < runs; ++r) {
      uint32_t count = in.u32();
      total += count;
      module_.local_runs.push_back(LocalRun{count, read_value_type(in)});
      body.num_locals += count;
    }
    // The spec's bound first (a malformed module), then wasmlet's lower limit.
    if (total > UINT32_MAX) throw_malformed(at, "too many locals: their count does not fit in 32 bits");
    if (total > limits::kLocals)
      throw_limit(at, fmt::format("too many locals: {} with the parameters (wasmlet's limit is {})", total,
                                  limits::kLocals));
  }

  void read_data(ByteReader& in) {
    size_t at = in.offset();
    uint32_t n = in.count(1);
    check_limit(at, n, limits::kDataSegments, "data segments");
    module_.data.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t seg_at = in.offset();
      uint32_t flags = in.u32();
      if (flags > 2) throw_malformed(seg_at, fmt::format("malformed data segment kind {}", flags));
      DataSegment seg;
      seg.mode = flags == 1 ? SegmentMode::Passive : SegmentMode::Active;
      if (seg.mode == SegmentMode::Active) {
        if (flags == 2) seg.memory = in.u32();
        if (seg.memory >= module_.memories.size())
          throw_invalid(seg_at, fmt::format("unknown memory {} in data segment {}", seg.memory, i));
        seg.offset = read_const_expr(in, module_, ValType::I32, features_, "a data segment offset");
      }
      size_t len_at = in.offset();
      uint32_t len = in.u32();
      if (len > in.remaining())
        throw_malformed(len_at, fmt::format("unexpected end of section or function: data segment {} claims {} bytes, "
                                            "{} remain",
                                            i, len, in.remaining()));
      seg.bytes = {in.offset(), len};
      in.skip(len);
      module_.data.push_back(seg);
    }
  }

  std::span<const uint8_t> wasm_;
  Features features_;
  Module module_;
  FunctionValidator validator_;
};

}  // namespace

Module decode_module(std::span<const uint8_t> wasm, const Features& features) {
  return ModuleDecoder(wasm, features).run();
}

}  // namespace wasmlet::decode
