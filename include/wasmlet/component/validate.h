// Structural validation of a decoded component, and its resolved view.
//
// validate_component walks the definitions in order and rebuilds every index
// space (core funcs, tables, memories, globals, types, modules, instances;
// component funcs, types, components, instances), checking that each
// reference is in bounds and of the right sort, that core instantiations
// supply every import a core module asks for with an export of the right
// kind, that aliased exports exist, that names are unique, and that canon
// definitions have the options their types need. Types are resolved into the
// WIT-level model (types.h), so the result gives each import, export and
// function its full type.
//
// Not checked (yet): core module bodies (Module::compile validates those when
// the component is instantiated), core function signatures across
// instantiations, subtyping of instantiation arguments against a nested
// component's imports, and value definitions (🪙).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "wasmlet/component/binary.h"
#include "wasmlet/component/types.h"

namespace wasmlet::component {

struct InstanceTypeInfo;
struct ComponentTypeInfo;

// An entry of a component-level type index space.
struct TypeEntry {
  enum class Kind : uint8_t { Value, Func, Instance, Component, Resource } kind = Kind::Value;
  TypePtr value;
  FunctionTypePtr func;
  std::shared_ptr<const InstanceTypeInfo> instance;
  std::shared_ptr<const ComponentTypeInfo> component;
  ResourcePtr resource;
};

// The type of something imported or exported.
struct ExternType {
  ExternDesc::Kind kind = ExternDesc::Kind::Func;
  FunctionTypePtr func;                                  // Func
  std::shared_ptr<const InstanceTypeInfo> instance;      // Instance
  std::shared_ptr<const ComponentTypeInfo> component;    // Component
  TypeEntry type;                                        // Type
};

struct NamedExtern {
  std::string name;
  ExternType type;
};

struct InstanceTypeInfo {
  std::vector<NamedExtern> exports;
  const ExternType* find(std::string_view name) const;
};

struct ComponentTypeInfo {
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
};

// What a core module imports and exports, read from its import and export
// sections without compiling it.
struct CoreModuleInfo {
  struct Import { std::string module, name; CoreExternKind kind; };
  struct Export { std::string name; CoreExternKind kind; };
  std::vector<Import> imports;
  std::vector<Export> exports;
};
CoreModuleInfo scan_core_module(std::span<const uint8_t> bytes, uint64_t base_offset, const std::string& name);
const char* to_string(CoreExternKind kind);

struct ValidatedComponent {
  ComponentTypeInfo type;  // the component's imports and exports, resolved
  // Top-level index spaces, in definition order.
  std::vector<TypeEntry> types;
  std::vector<FunctionTypePtr> funcs;
  std::vector<std::shared_ptr<const InstanceTypeInfo>> instances;
  std::vector<CoreModuleInfo> core_modules;
  size_t core_funcs = 0, core_tables = 0, core_memories = 0, core_globals = 0, core_instances = 0;
  // Resolved types of canon definitions at every nesting level (keys point
  // into the Component that was validated, which must outlive this).
  std::unordered_map<const CanonDef*, FunctionTypePtr> lift_types;    // canon lift -> its function type
  std::unordered_map<const CanonDef*, ResourcePtr> canon_resources;   // resource.new/drop/rep -> the resource
};

// Throws ComponentError naming the definition's offset and the problem.
ValidatedComponent validate_component(const Component& component, const std::string& name = "component");

// Parses and validates.
ValidatedComponent load_component(std::span<const uint8_t> bytes, const std::string& name = "component");

}  // namespace wasmlet::component
