// The component model binary format, decoded: a Component is the ordered
// list of its definitions (core modules, core instances, core types, nested
// components, instances, aliases, types, canonical functions, start, imports,
// exports, custom sections), exactly as the binary lists them, so that index
// spaces can be rebuilt in order. Indices are not resolved here; see
// validate.h for the checks and the resolved view.
//
//   auto c = component::parse_component(bytes, "app.wasm");   // throws ComponentError
//
// Errors name the byte offset (from the start of the outermost binary) and
// what was expected there. Malformed input never crashes the parser.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "wasmlet/error.h"
#include "wasmlet/value.h"

namespace wasmlet::component {

// A component binary that is malformed or invalid. what() reads
// "<name>: at offset 0x1a: expected ..., found ...".
class ComponentError : public CompileError {
 public:
  ComponentError(std::string message, uint64_t offset) : CompileError(std::move(message)), offset(offset) {}
  uint64_t offset;  // ~0 when the error concerns no particular byte
};

enum class CoreSort : uint8_t {
  Func = 0x00, Table = 0x01, Memory = 0x02, Global = 0x03, Tag = 0x04,
  Type = 0x10, Module = 0x11, Instance = 0x12,
};
enum class SortKind : uint8_t { Core = 0x00, Func = 0x01, Value = 0x02, Type = 0x03, Component = 0x04, Instance = 0x05 };

struct Sort {
  SortKind kind = SortKind::Func;
  CoreSort core = CoreSort::Func;  // when kind == Core
  bool operator==(const Sort&) const = default;
};
const char* to_string(CoreSort sort);
std::string to_string(Sort sort);

struct SortIndex {
  Sort sort;
  uint32_t index = 0;
};

// ---- core definitions ----
struct CoreModuleDef {
  std::vector<uint8_t> bytes;  // the complete core module binary (with its preamble)
  uint64_t offset = 0;         // where it starts in the outermost binary
};

struct CoreInstanceDef {
  struct Arg { std::string name; uint32_t instance; };                  // (with "name" (instance i))
  struct Export { std::string name; CoreSort sort; uint32_t index; };   // inline export
  bool instantiate = true;  // else: a bag of inline exports
  uint32_t module = 0;
  std::vector<Arg> args;
  std::vector<Export> exports;
  uint64_t offset = 0;
};

enum class CoreExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
struct CoreExternDecl {
  CoreExternKind kind = CoreExternKind::Func;
  uint32_t type_index = 0;  // func, tag
  // tables, memories and globals are described only by their raw encoding
};
struct CoreModuleDecl {
  enum class Kind : uint8_t { Import, Type, Alias, Export } kind;
  std::string module, name;  // import: module/name; export: name
  CoreExternDecl desc;
  uint32_t outer_count = 0, outer_index = 0;  // alias
};
struct CoreTypeDef {
  enum class Kind : uint8_t { Func, Module, Gc } kind = Kind::Func;
  FuncType func;                        // Func
  std::vector<CoreModuleDecl> decls;    // Module
  uint64_t offset = 0;
};

// ---- component-level types (unresolved: they refer to type indices) ----
enum class PrimType : uint8_t {
  Bool = 0x7f, S8 = 0x7e, U8 = 0x7d, S16 = 0x7c, U16 = 0x7b, S32 = 0x7a, U32 = 0x79,
  S64 = 0x78, U64 = 0x77, F32 = 0x76, F64 = 0x75, Char = 0x74, String = 0x73, ErrorContext = 0x64,
};
const char* to_string(PrimType type);

struct ValTypeRef {  // valtype ::= typeidx | primvaltype
  bool primitive = true;
  PrimType prim = PrimType::Bool;
  uint32_t index = 0;
};

struct DefValType {
  enum class Kind : uint8_t {
    Primitive, Record, Variant, List, FixedList, Tuple, Flags, Enum, Option, Result, Own, Borrow,
    Stream, Future, Map,
  } kind = Kind::Primitive;
  PrimType prim = PrimType::Bool;
  struct Field { std::string name; ValTypeRef type; };
  struct Case { std::string name; std::optional<ValTypeRef> type; };
  std::vector<Field> fields;               // record
  std::vector<Case> cases;                 // variant
  std::vector<ValTypeRef> items;           // tuple
  std::vector<std::string> labels;         // flags, enum
  std::optional<ValTypeRef> element;       // list, fixed list, option, stream, future, map key
  std::optional<ValTypeRef> element2;      // map value
  std::optional<ValTypeRef> ok, err;       // result
  uint32_t length = 0;                     // fixed list
  uint32_t type_index = 0;                 // own, borrow
};

struct FuncTypeDef {
  bool async = false;
  std::vector<DefValType::Field> params;
  std::optional<ValTypeRef> result;
};

struct ExternDesc {
  enum class Kind : uint8_t { CoreModule = 0x00, Func = 0x01, Value = 0x02, Type = 0x03, Component = 0x04, Instance = 0x05 } kind;
  uint32_t index = 0;          // type index (core type for CoreModule)
  bool sub_resource = false;   // Type: (sub resource); else (eq index)
  std::optional<ValTypeRef> value_type;  // Value with a type bound
};
const char* to_string(ExternDesc::Kind kind);

struct AliasDef;
struct TypeDef;
// A declaration inside a component type or instance type.
struct Decl {
  enum class Kind : uint8_t { CoreType, Type, Alias, Import, Export } kind;
  std::shared_ptr<CoreTypeDef> core_type;
  std::shared_ptr<TypeDef> type;
  std::shared_ptr<AliasDef> alias;
  std::string name;  // import/export
  ExternDesc desc;   // import/export
};

struct ResourceTypeDef {
  ValType rep = ValType::I32;
  std::optional<uint32_t> dtor;      // core func index
  std::optional<uint32_t> callback;  // async resources
  bool async = false;
};

struct TypeDef {
  enum class Kind : uint8_t { Value, Func, Component, Instance, Resource } kind = Kind::Value;
  DefValType value;
  FuncTypeDef func;
  std::vector<Decl> decls;  // component and instance types
  ResourceTypeDef resource;
  uint64_t offset = 0;
};

// ---- component-level definitions ----
struct Component;

struct InstanceDef {
  struct Arg { std::string name; SortIndex item; };
  bool instantiate = true;  // else: a bag of inline exports (args hold them)
  uint32_t component = 0;
  std::vector<Arg> args;  // instantiate args, or inline exports
  uint64_t offset = 0;
};

struct AliasDef {
  enum class Target : uint8_t { InstanceExport = 0x00, CoreInstanceExport = 0x01, Outer = 0x02 } target;
  Sort sort;
  uint32_t instance = 0;  // export targets
  std::string name;       // export targets
  uint32_t outer_count = 0, outer_index = 0;
  uint64_t offset = 0;
};

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };
const char* to_string(StringEncoding encoding);

struct CanonOptions {
  StringEncoding string_encoding = StringEncoding::Utf8;
  std::optional<uint32_t> memory;       // core memory index
  std::optional<uint32_t> realloc;      // core func index
  std::optional<uint32_t> post_return;  // core func index
  bool async = false;
  std::optional<uint32_t> callback;
};

struct CanonDef {
  enum class Kind : uint8_t { Lift, Lower, ResourceNew, ResourceDrop, ResourceRep, Other } kind;
  uint8_t opcode = 0;       // the raw opcode (for Other: the async/thread builtins)
  uint32_t func_index = 0;  // lift: core func; lower: component func
  uint32_t type_index = 0;  // lift: function type; resource.*: resource type
  CanonOptions options;
  bool defines_core_func = true;  // every form except lift defines a core function
  uint64_t offset = 0;
};

struct StartDef {
  uint32_t func = 0;
  std::vector<uint32_t> args;
  uint32_t results = 0;
};

struct ImportDef {
  std::string name;
  ExternDesc desc;
  uint64_t offset = 0;
};

struct ExportDef {
  std::string name;
  SortIndex item;
  std::optional<ExternDesc> desc;
  uint64_t offset = 0;
};

struct CustomSection {
  std::string name;
  std::vector<uint8_t> bytes;
};

using Definition = std::variant<CoreModuleDef, CoreInstanceDef, CoreTypeDef, std::shared_ptr<Component>,
                                InstanceDef, AliasDef, TypeDef, CanonDef, StartDef, ImportDef, ExportDef,
                                CustomSection>;

struct Component {
  uint16_t version = 0x0d;
  uint64_t offset = 0;  // where its preamble starts in the outermost binary
  std::vector<Definition> definitions;  // in binary order

  std::vector<const ImportDef*> imports() const;
  std::vector<const ExportDef*> exports() const;
  std::vector<const CoreModuleDef*> core_modules() const;
};

struct ParseOptions {
  uint32_t max_nesting = 100;  // nested components and types
};

// Decodes a component binary. Throws ComponentError (offset + expectation).
Component parse_component(std::span<const uint8_t> bytes, const std::string& name = "component",
                          ParseOptions options = {});

}  // namespace wasmlet::component
