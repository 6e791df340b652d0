// What one pass of the decoder learns about a module: everything an
// instantiator or a lazy function translator needs, as indices and byte
// ranges into the module's bytes (which the caller keeps alive), never an IR.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/decode/types.h"

namespace wasmlet::decode {

enum class ExternalKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };

// A byte range [offset, offset + size) of the module.
struct ByteRange {
  size_t offset = 0;
  size_t size = 0;
  std::span<const uint8_t> of(std::span<const uint8_t> module) const { return module.subspan(offset, size); }
};

// A validated constant expression, its bytes up to and including `end`.
struct ConstExpr {
  ByteRange bytes;
};

struct Import {
  std::string module;
  std::string name;
  ExternalKind kind = ExternalKind::Func;
  uint32_t type_index = 0;  // functions
  TableType table;
  MemoryType memory;
  GlobalType global;
};

struct Export {
  std::string name;
  ExternalKind kind = ExternalKind::Func;
  uint32_t index = 0;  // in the index space of `kind` (imports first)
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElementSegment {
  SegmentMode mode = SegmentMode::Passive;
  ValType type = ValType::FuncRef;
  uint32_t table = 0;  // active only
  ConstExpr offset;    // active only
  // Either function indices (the compact encodings) or one expression per element.
  std::vector<uint32_t> functions;
  std::vector<ConstExpr> expressions;
  bool uses_expressions = false;
  size_t size() const { return uses_expressions ? expressions.size() : functions.size(); }
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t memory = 0;  // active only
  ConstExpr offset;     // active only
  ByteRange bytes;
};

// `count` locals of one type, as the code section declares them.
struct LocalRun {
  uint32_t count;
  ValType type;
};

// One defined function's code: its locals and instruction bytes.
struct FunctionBody {
  uint32_t type_index = 0;
  uint32_t num_locals = 0;         // declared locals, parameters not included
  uint32_t first_local_run = 0;    // into Module::local_runs
  uint32_t local_run_count = 0;
  ByteRange body;                  // the whole entry after its size: locals and code
  ByteRange code;                  // the instructions, up to and including the final `end`
};

struct CustomSection {
  std::string name;
  ByteRange contents;
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  // Index spaces: imports first, then definitions. Functions hold type indices.
  std::vector<uint32_t> functions;
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  uint32_t num_imported_functions = 0, num_imported_tables = 0, num_imported_memories = 0,
           num_imported_globals = 0;

  std::vector<Global> global_inits;  // the defined globals (index - num_imported_globals)
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElementSegment> elements;
  std::optional<uint32_t> data_count;
  std::vector<DataSegment> data;
  std::vector<FunctionBody> bodies;  // the defined functions (index - num_imported_functions)
  std::vector<LocalRun> local_runs;
  std::vector<CustomSection> custom_sections;
  // Functions that may be referenced by ref.func in code: those named in an
  // export, an element segment or a global's initializer.
  std::vector<bool> declared_function_refs;

  const FuncType& function_type(uint32_t function_index) const { return types[functions[function_index]]; }
};

}  // namespace wasmlet::decode
