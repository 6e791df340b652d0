// Index-space validation and type resolution of a decoded component.
#include "wasmlet/component/validate.h"

#include <fmt/format.h>

#include <set>

namespace wasmlet::component {
namespace {

using CoreInstanceExports = std::map<std::string, CoreExternKind, std::less<>>;

struct Scope {
  bool component = true;  // false: a component type or instance type
  std::vector<TypeEntry> types;
  std::vector<FunctionTypePtr> funcs;
  std::vector<std::shared_ptr<const InstanceTypeInfo>> instances;
  std::vector<std::shared_ptr<const ComponentTypeInfo>> components;
  std::vector<CoreTypeDef::Kind> core_types;
  std::vector<CoreModuleInfo> core_modules;
  std::vector<CoreInstanceExports> core_instances;
  size_t core_funcs = 0, core_tables = 0, core_memories = 0, core_globals = 0, core_tags = 0, values = 0;
  std::vector<NamedExtern> imports, exports;
  std::set<std::string, std::less<>> import_names, export_names;
};

// "wasi:io/streams@0.2.3" and "wasi:io/streams@0.2.3" are the same name;
// strong uniqueness also folds case. We compare case-folded names.
std::string fold(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

class Validator {
 public:
  Validator(const std::string& name, ValidatedComponent& out) : name_(name), out_(out) {}

  [[noreturn]] void fail(uint64_t offset, const std::string& what) const {
    throw ComponentError(fmt::format("{}: at offset 0x{:x}: {}", name_, offset, what), offset);
  }

  ComponentTypeInfo component(const Component& c, ValidatedComponent* top) {
    Scope scope;
    scopes_.push_back(&scope);
    struct Pop { std::vector<Scope*>& s; ~Pop() { s.pop_back(); } } pop{scopes_};
    for (auto& def : c.definitions) std::visit([&](auto& d) { definition(scope, d); }, def);
    ComponentTypeInfo info{scope.imports, scope.exports};
    if (top) {
      top->type = info;
      top->types = scope.types;
      top->funcs = scope.funcs;
      top->instances = scope.instances;
      top->core_modules = scope.core_modules;
      top->core_funcs = scope.core_funcs;
      top->core_tables = scope.core_tables;
      top->core_memories = scope.core_memories;
      top->core_globals = scope.core_globals;
      top->core_instances = scope.core_instances.size();
    }
    return info;
  }

 private:
  // ---- helpers ----
  template <typename V>
  void check_index(uint64_t offset, size_t index, const V& space_size, const char* what) {
    if (index >= space_size)
      fail(offset, fmt::format("{} index {} is out of bounds ({} defined so far)", what, index, space_size));
  }

  size_t core_count(Scope& s, CoreSort sort) {
    switch (sort) {
      case CoreSort::Func: return s.core_funcs;
      case CoreSort::Table: return s.core_tables;
      case CoreSort::Memory: return s.core_memories;
      case CoreSort::Global: return s.core_globals;
      case CoreSort::Tag: return s.core_tags;
      case CoreSort::Type: return s.core_types.size();
      case CoreSort::Module: return s.core_modules.size();
      case CoreSort::Instance: return s.core_instances.size();
    }
    return 0;
  }

  static std::optional<CoreExternKind> extern_kind(CoreSort s) {
    switch (s) {
      case CoreSort::Func: return CoreExternKind::Func;
      case CoreSort::Table: return CoreExternKind::Table;
      case CoreSort::Memory: return CoreExternKind::Memory;
      case CoreSort::Global: return CoreExternKind::Global;
      case CoreSort::Tag: return CoreExternKind::Tag;
      default: return std::nullopt;
    }
  }

  void add_core(Scope& s, CoreExternKind k) {
    switch (k) {
      case CoreExternKind::Func: ++s.core_funcs; break;
      case CoreExternKind::Table: ++s.core_tables; break;
      case CoreExternKind::Memory: ++s.core_memories; break;
      case CoreExternKind::Global: ++s.core_globals; break;
      case CoreExternKind::Tag: ++s.core_tags; break;
    }
  }

  size_t count(Scope& s, Sort sort) {
    switch (sort.kind) {
      case SortKind::Core: return core_count(s, sort.core);
      case SortKind::Func: return s.funcs.size();
      case SortKind::Value: return s.values;
      case SortKind::Type: return s.types.size();
      case SortKind::Component: return s.components.size();
      case SortKind::Instance: return s.instances.size();
    }
    return 0;
  }

  // ---- types ----
  TypePtr valtype(Scope& s, const ValTypeRef& ref, uint64_t offset) {
    if (ref.primitive) {
      static const std::map<PrimType, TypeKind> kinds = {
          {PrimType::Bool, TypeKind::Bool}, {PrimType::S8, TypeKind::S8},   {PrimType::U8, TypeKind::U8},
          {PrimType::S16, TypeKind::S16},   {PrimType::U16, TypeKind::U16}, {PrimType::S32, TypeKind::S32},
          {PrimType::U32, TypeKind::U32},   {PrimType::S64, TypeKind::S64}, {PrimType::U64, TypeKind::U64},
          {PrimType::F32, TypeKind::F32},   {PrimType::F64, TypeKind::F64}, {PrimType::Char, TypeKind::Char},
          {PrimType::String, TypeKind::String}, {PrimType::ErrorContext, TypeKind::ErrorContext}};
      return types::primitive(kinds.at(ref.prim));
    }
    check_index(offset, ref.index, s.types.size(), "type");
    auto& e = s.types[ref.index];
    if (e.kind != TypeEntry::Kind::Value)
      fail(offset, fmt::format("type {} is used as a value type but is not one", ref.index));
    return e.value;
  }

  ResourcePtr resource(Scope& s, uint32_t index, uint64_t offset) {
    check_index(offset, index, s.types.size(), "type");
    auto& e = s.types[index];
    if (e.kind != TypeEntry::Kind::Resource)
      fail(offset, fmt::format("own/borrow of type {}, which is not a resource type", index));
    return e.resource;
  }

  TypePtr defvaltype(Scope& s, const DefValType& d, uint64_t offset) {
    using K = DefValType::Kind;
    auto t = std::make_shared<Type>();
    auto unique = [&](const std::vector<std::string>& names, const char* what) {
      std::set<std::string> seen;
      for (auto& n : names)
        if (!seen.insert(fold(n)).second) fail(offset, fmt::format("duplicate {} name \"{}\"", what, n));
    };
    switch (d.kind) {
      case K::Primitive: {
        ValTypeRef r;
        r.prim = d.prim;
        return valtype(s, r, offset);
      }
      case K::Record: {
        t->kind = TypeKind::Record;
        std::vector<std::string> names;
        for (auto& f : d.fields) {
          t->fields.push_back({f.name, valtype(s, f.type, offset)});
          names.push_back(f.name);
        }
        unique(names, "record field");
        break;
      }
      case K::Variant: {
        t->kind = TypeKind::Variant;
        std::vector<std::string> names;
        for (auto& c : d.cases) {
          t->cases.push_back({c.name, c.type ? valtype(s, *c.type, offset) : nullptr});
          names.push_back(c.name);
        }
        unique(names, "variant case");
        break;
      }
      case K::List: t->kind = TypeKind::List; t->element = valtype(s, *d.element, offset); break;
      case K::FixedList:
        t->kind = TypeKind::FixedList;
        t->element = valtype(s, *d.element, offset);
        t->length = d.length;
        break;
      case K::Tuple:
        t->kind = TypeKind::Tuple;
        for (auto& i : d.items) t->items.push_back(valtype(s, i, offset));
        break;
      case K::Flags:
      case K::Enum:
        t->kind = d.kind == K::Flags ? TypeKind::Flags : TypeKind::Enum;
        t->labels = d.labels;
        unique(d.labels, d.kind == K::Flags ? "flag" : "enum case");
        break;
      case K::Option: t->kind = TypeKind::Option; t->element = valtype(s, *d.element, offset); break;
      case K::Result:
        t->kind = TypeKind::Result;
        if (d.ok) t->ok = valtype(s, *d.ok, offset);
        if (d.err) t->err = valtype(s, *d.err, offset);
        break;
      case K::Own: t->kind = TypeKind::Own; t->resource = resource(s, d.type_index, offset); break;
      case K::Borrow: t->kind = TypeKind::Borrow; t->resource = resource(s, d.type_index, offset); break;
      case K::Stream:
      case K::Future:
        t->kind = d.kind == K::Stream ? TypeKind::Stream : TypeKind::Future;
        if (d.element) t->element = valtype(s, *d.element, offset);
        break;
      case K::Map:
        fail(offset, "map types are not supported");
    }
    return t;
  }

  TypeEntry type(Scope& s, const TypeDef& d) {
    TypeEntry e;
    switch (d.kind) {
      case TypeDef::Kind::Value:
        e.kind = TypeEntry::Kind::Value;
        e.value = defvaltype(s, d.value, d.offset);
        break;
      case TypeDef::Kind::Func: {
        e.kind = TypeEntry::Kind::Func;
        auto f = std::make_shared<FunctionType>();
        f->async = d.func.async;
        std::set<std::string> seen;
        for (auto& p : d.func.params) {
          if (!seen.insert(fold(p.name)).second) fail(d.offset, fmt::format("duplicate parameter name \"{}\"", p.name));
          f->params.push_back({p.name, valtype(s, p.type, d.offset)});
        }
        if (d.func.result) {
          f->result = valtype(s, *d.func.result, d.offset);
          if (contains_borrow(*f->result)) fail(d.offset, "a function result may not contain a borrow handle");
        }
        e.func = f;
        break;
      }
      case TypeDef::Kind::Instance:
      case TypeDef::Kind::Component: {
        Scope inner;
        inner.component = false;
        scopes_.push_back(&inner);
        struct Pop { std::vector<Scope*>& s; ~Pop() { s.pop_back(); } } pop{scopes_};
        for (auto& decl : d.decls) declaration(inner, decl, d.offset);
        if (d.kind == TypeDef::Kind::Instance) {
          auto info = std::make_shared<InstanceTypeInfo>();
          info->exports = inner.exports;
          e.kind = TypeEntry::Kind::Instance;
          e.instance = info;
        } else {
          auto info = std::make_shared<ComponentTypeInfo>();
          info->imports = inner.imports;
          info->exports = inner.exports;
          e.kind = TypeEntry::Kind::Component;
          e.component = info;
        }
        break;
      }
      case TypeDef::Kind::Resource:
        if (!s.component) fail(d.offset, "resource types may only be defined in a component, not in a component or instance type");
        if (d.resource.dtor && *d.resource.dtor >= s.core_funcs)
          fail(d.offset, fmt::format("the resource destructor is core func {}, but only {} core funcs are defined",
                                     *d.resource.dtor, s.core_funcs));
        e.kind = TypeEntry::Kind::Resource;
        e.resource = std::make_shared<ResourceType>(ResourceType{"resource"});
        break;
    }
    return e;
  }

  void declaration(Scope& s, const Decl& d, uint64_t offset) {
    switch (d.kind) {
      case Decl::Kind::CoreType:
        if (d.core_type->kind == CoreTypeDef::Kind::Module) core_module_type(s, *d.core_type);
        s.core_types.push_back(d.core_type->kind);
        break;
      case Decl::Kind::Type:
        s.types.push_back(type(s, *d.type));
        break;
      case Decl::Kind::Alias: {
        auto& a = *d.alias;
        if (a.target == AliasDef::Target::CoreInstanceExport)
          fail(a.offset, "a type declaration may not alias a core instance export");
        if (a.target == AliasDef::Target::InstanceExport && a.sort.kind != SortKind::Instance && a.sort.kind != SortKind::Type)
          fail(a.offset, "an export alias in a type declaration may only alias an instance or a type");
        alias(s, a);
        break;
      }
      case Decl::Kind::Import:
        import_or_export(s, d.name, d.desc, offset, true);
        break;
      case Decl::Kind::Export:
        import_or_export(s, d.name, d.desc, offset, false);
        break;
    }
  }

  void core_module_type(Scope& s, const CoreTypeDef& t) {
    // Module types only need their outer aliases checked.
    for (auto& d : t.decls)
      if (d.kind == CoreModuleDecl::Kind::Alias && d.outer_count > 0) {
        // aliases resolve in enclosing core type spaces
        if (d.outer_count >= scopes_.size() + 1) fail(t.offset, "outer alias count out of bounds in a module type");
      }
  }

  ExternType extern_type(Scope& s, const std::string& name, const ExternDesc& desc, uint64_t offset) {
    ExternType t;
    t.kind = desc.kind;
    auto type_entry = [&](TypeEntry::Kind want, const char* what) -> const TypeEntry& {
      check_index(offset, desc.index, s.types.size(), "type");
      auto& e = s.types[desc.index];
      if (e.kind != want)
        fail(offset, fmt::format("\"{}\" is declared as a {} of type {}, which is not a {} type", name, to_string(desc.kind),
                                 desc.index, what));
      return e;
    };
    switch (desc.kind) {
      case ExternDesc::Kind::CoreModule:
        check_index(offset, desc.index, s.core_types.size(), "core type");
        if (s.core_types[desc.index] != CoreTypeDef::Kind::Module)
          fail(offset, fmt::format("\"{}\" is declared as a core module of core type {}, which is not a module type", name, desc.index));
        break;
      case ExternDesc::Kind::Func: t.func = type_entry(TypeEntry::Kind::Func, "function").func; break;
      case ExternDesc::Kind::Instance: t.instance = type_entry(TypeEntry::Kind::Instance, "instance").instance; break;
      case ExternDesc::Kind::Component: t.component = type_entry(TypeEntry::Kind::Component, "component").component; break;
      case ExternDesc::Kind::Value:
        fail(offset, fmt::format("\"{}\": value imports and exports are not supported", name));
      case ExternDesc::Kind::Type:
        if (desc.sub_resource) {
          t.type.kind = TypeEntry::Kind::Resource;
          t.type.resource = std::make_shared<ResourceType>(ResourceType{name});
        } else {
          check_index(offset, desc.index, s.types.size(), "type");
          t.type = s.types[desc.index];
        }
        break;
    }
    return t;
  }

  void add_extern(Scope& s, const ExternType& t) {
    switch (t.kind) {
      case ExternDesc::Kind::CoreModule: s.core_modules.push_back({}); break;
      case ExternDesc::Kind::Func: s.funcs.push_back(t.func); break;
      case ExternDesc::Kind::Instance: s.instances.push_back(t.instance); break;
      case ExternDesc::Kind::Component: s.components.push_back(t.component); break;
      case ExternDesc::Kind::Type: s.types.push_back(t.type); break;
      case ExternDesc::Kind::Value: ++s.values; break;
    }
  }

  void import_or_export(Scope& s, const std::string& name, const ExternDesc& desc, uint64_t offset, bool import) {
    auto& names = import ? s.import_names : s.export_names;
    if (!names.insert(fold(name)).second)
      fail(offset, fmt::format("duplicate {} name \"{}\"", import ? "import" : "export", name));
    ExternType t = extern_type(s, name, desc, offset);
    add_extern(s, t);
    (import ? s.imports : s.exports).push_back({name, t});
  }

  Scope& outer_scope(const AliasDef& a) {
    if (a.outer_count >= scopes_.size())
      fail(a.offset, fmt::format("outer alias count {} exceeds the {} enclosing scopes", a.outer_count, scopes_.size() - 1));
    return *scopes_[scopes_.size() - 1 - a.outer_count];
  }

  void alias(Scope& s, const AliasDef& a) {
    switch (a.target) {
      case AliasDef::Target::Outer: {
        Scope& o = outer_scope(a);
        size_t n = count(o, a.sort);
        if (a.outer_index >= n)
          fail(a.offset, fmt::format("outer alias of {} {} in the scope {} levels out, which defines only {}",
                                     to_string(a.sort), a.outer_index, a.outer_count, n));
        if (a.sort.kind == SortKind::Type) {
          s.types.push_back(o.types[a.outer_index]);
        } else if (a.sort.kind == SortKind::Component) {
          s.components.push_back(o.components[a.outer_index]);
        } else if (a.sort.core == CoreSort::Type) {
          s.core_types.push_back(o.core_types[a.outer_index]);
        } else {
          s.core_modules.push_back(o.core_modules[a.outer_index]);
        }
        break;
      }
      case AliasDef::Target::CoreInstanceExport: {
        check_index(a.offset, a.instance, s.core_instances.size(), "core instance");
        auto& exports = s.core_instances[a.instance];
        auto it = exports.find(a.name);
        if (it == exports.end())
          fail(a.offset, fmt::format("core instance {} has no export named \"{}\"", a.instance, a.name));
        auto want = extern_kind(a.sort.core);
        if (!want || *want != it->second)
          fail(a.offset, fmt::format("core instance {} exports \"{}\" as a {}, not as a {}", a.instance, a.name,
                                     to_string(it->second), to_string(a.sort)));
        add_core(s, it->second);
        break;
      }
      case AliasDef::Target::InstanceExport: {
        check_index(a.offset, a.instance, s.instances.size(), "instance");
        auto& inst = s.instances[a.instance];
        const ExternType* e = inst ? inst->find(a.name) : nullptr;
        if (!e) fail(a.offset, fmt::format("instance {} has no export named \"{}\"", a.instance, a.name));
        bool ok = false;
        switch (a.sort.kind) {
          case SortKind::Func: ok = e->kind == ExternDesc::Kind::Func; break;
          case SortKind::Type: ok = e->kind == ExternDesc::Kind::Type; break;
          case SortKind::Instance: ok = e->kind == ExternDesc::Kind::Instance; break;
          case SortKind::Component: ok = e->kind == ExternDesc::Kind::Component; break;
          case SortKind::Value: ok = e->kind == ExternDesc::Kind::Value; break;
          case SortKind::Core: ok = e->kind == ExternDesc::Kind::CoreModule; break;
        }
        if (!ok)
          fail(a.offset, fmt::format("instance {} exports \"{}\" as a {}, not as a {}", a.instance, a.name,
                                     to_string(e->kind), to_string(a.sort)));
        add_extern(s, *e);
        break;
      }
    }
  }

  // ---- definitions ----
  void definition(Scope& s, const CoreModuleDef& m) {
    s.core_modules.push_back(scan_core_module(m.bytes, m.offset, name_));
  }

  void definition(Scope& s, const CoreInstanceDef& d) {
    CoreInstanceExports exports;
    if (d.instantiate) {
      check_index(d.offset, d.module, s.core_modules.size(), "core module");
      std::map<std::string, uint32_t, std::less<>> args;
      for (auto& a : d.args) {
        check_index(d.offset, a.instance, s.core_instances.size(), "core instance");
        if (!args.emplace(a.name, a.instance).second)
          fail(d.offset, fmt::format("core instantiation argument \"{}\" is given twice", a.name));
      }
      auto& module = s.core_modules[d.module];
      for (auto& imp : module.imports) {
        auto it = args.find(imp.module);
        if (it == args.end())
          fail(d.offset, fmt::format("core module {} imports {}.{} ({}), but no instance named \"{}\" is passed to it",
                                     d.module, imp.module, imp.name, to_string(imp.kind), imp.module));
        auto& from = s.core_instances[it->second];
        auto e = from.find(imp.name);
        if (e == from.end())
          fail(d.offset, fmt::format("core module {} imports {}.{} ({}), but core instance {} exports no \"{}\"", d.module,
                                     imp.module, imp.name, to_string(imp.kind), it->second, imp.name));
        if (e->second != imp.kind)
          fail(d.offset, fmt::format("core module {} imports {}.{} as a {}, but core instance {} exports it as a {}",
                                     d.module, imp.module, imp.name, to_string(imp.kind), it->second, to_string(e->second)));
      }
      for (auto& e : module.exports) exports.emplace(e.name, e.kind);
    } else {
      for (auto& e : d.exports) {
        auto kind = extern_kind(e.sort);
        if (!kind) fail(d.offset, fmt::format("core instance export \"{}\" has sort {}, which cannot be exported", e.name, to_string(e.sort)));
        check_index(d.offset, e.index, core_count(s, e.sort), to_string(e.sort));
        if (!exports.emplace(e.name, *kind).second)
          fail(d.offset, fmt::format("duplicate core instance export \"{}\"", e.name));
      }
    }
    s.core_instances.push_back(std::move(exports));
  }

  void definition(Scope& s, const CoreTypeDef& t) {
    if (t.kind == CoreTypeDef::Kind::Module) core_module_type(s, t);
    s.core_types.push_back(t.kind);
  }

  void definition(Scope& s, const std::shared_ptr<Component>& c) {
    auto info = std::make_shared<ComponentTypeInfo>(component(*c, nullptr));
    s.components.push_back(info);
  }

  void definition(Scope& s, const InstanceDef& d) {
    auto info = std::make_shared<InstanceTypeInfo>();
    std::set<std::string> names;
    for (auto& a : d.args) {
      check_index(d.offset, a.item.index, count(s, a.item.sort), to_string(a.item.sort).c_str());
      if (!names.insert(fold(a.name)).second)
        fail(d.offset, fmt::format("duplicate {} \"{}\"", d.instantiate ? "instantiation argument" : "export", a.name));
    }
    if (d.instantiate) {
      check_index(d.offset, d.component, s.components.size(), "component");
      auto& c = s.components[d.component];
      if (c) {
        for (auto& imp : c->imports)
          if (!names.count(fold(imp.name)))
            fail(d.offset, fmt::format("instantiating component {}: its import \"{}\" is not supplied", d.component, imp.name));
        info->exports = c->exports;
      }
    } else {
      for (auto& a : d.args) info->exports.push_back({a.name, item_type(s, a.item, d.offset)});
    }
    s.instances.push_back(info);
  }

  ExternType item_type(Scope& s, const SortIndex& item, uint64_t offset) {
    ExternType t;
    switch (item.sort.kind) {
      case SortKind::Func: t.kind = ExternDesc::Kind::Func; t.func = s.funcs[item.index]; break;
      case SortKind::Type: t.kind = ExternDesc::Kind::Type; t.type = s.types[item.index]; break;
      case SortKind::Instance: t.kind = ExternDesc::Kind::Instance; t.instance = s.instances[item.index]; break;
      case SortKind::Component: t.kind = ExternDesc::Kind::Component; t.component = s.components[item.index]; break;
      case SortKind::Value: t.kind = ExternDesc::Kind::Value; break;
      case SortKind::Core:
        if (item.sort.core != CoreSort::Module)
          fail(offset, fmt::format("a {} cannot be exported from a component", to_string(item.sort)));
        t.kind = ExternDesc::Kind::CoreModule;
        break;
    }
    return t;
  }

  void definition(Scope& s, const AliasDef& a) { alias(s, a); }

  void definition(Scope& s, const TypeDef& t) { s.types.push_back(type(s, t)); }

  static bool needs_memory(const Type& t) {
    switch (t.kind) {
      case TypeKind::String: case TypeKind::List: return true;
      case TypeKind::FixedList: case TypeKind::Option: return t.element && needs_memory(*t.element);
      case TypeKind::Record: for (auto& f : t.fields) if (needs_memory(*f.type)) return true; return false;
      case TypeKind::Tuple: for (auto& i : t.items) if (needs_memory(*i)) return true; return false;
      case TypeKind::Variant: for (auto& c : t.cases) if (c.type && needs_memory(*c.type)) return true; return false;
      case TypeKind::Result: return (t.ok && needs_memory(*t.ok)) || (t.err && needs_memory(*t.err));
      default: return false;
    }
  }

  void check_options(Scope& s, const CanonDef& c) {
    auto& o = c.options;
    if (o.memory) check_index(c.offset, *o.memory, s.core_memories, "core memory");
    if (o.realloc) check_index(c.offset, *o.realloc, s.core_funcs, "core func (realloc)");
    if (o.post_return) check_index(c.offset, *o.post_return, s.core_funcs, "core func (post-return)");
    if (o.callback) check_index(c.offset, *o.callback, s.core_funcs, "core func (callback)");
  }

  void definition(Scope& s, const CanonDef& c) {
    check_options(s, c);
    switch (c.kind) {
      case CanonDef::Kind::Lift: {
        check_index(c.offset, c.func_index, s.core_funcs, "core func");
        check_index(c.offset, c.type_index, s.types.size(), "type");
        auto& e = s.types[c.type_index];
        if (e.kind != TypeEntry::Kind::Func)
          fail(c.offset, fmt::format("canon lift names type {}, which is not a function type", c.type_index));
        bool mem = false, alloc = false;
        for (auto& p : e.func->params) if (needs_memory(*p.type)) mem = alloc = true;
        if (e.func->result && needs_memory(*e.func->result)) mem = true;
        if (mem && !c.options.memory)
          fail(c.offset, fmt::format("canon lift of {} needs a (memory) option: its type passes strings or lists", e.func->to_string()));
        if (alloc && !c.options.realloc)
          fail(c.offset, fmt::format("canon lift of {} needs a (realloc) option: its parameters hold strings or lists", e.func->to_string()));
        s.funcs.push_back(e.func);
        out_.lift_types[&c] = e.func;
        break;
      }
      case CanonDef::Kind::Lower: {
        check_index(c.offset, c.func_index, s.funcs.size(), "func");
        auto& f = s.funcs[c.func_index];
        if (f) {
          bool mem = false, alloc = false;
          for (auto& p : f->params) if (needs_memory(*p.type)) mem = true;
          if (f->result && needs_memory(*f->result)) mem = alloc = true;
          if (mem && !c.options.memory)
            fail(c.offset, fmt::format("canon lower of func {} ({}) needs a (memory) option", c.func_index, f->to_string()));
          if (alloc && !c.options.realloc)
            fail(c.offset, fmt::format("canon lower of func {} ({}) needs a (realloc) option: its result holds strings or lists",
                                       c.func_index, f->to_string()));
        }
        ++s.core_funcs;
        break;
      }
      case CanonDef::Kind::ResourceNew:
      case CanonDef::Kind::ResourceDrop:
      case CanonDef::Kind::ResourceRep:
        out_.canon_resources[&c] = resource(s, c.type_index, c.offset);
        ++s.core_funcs;
        break;
      case CanonDef::Kind::Other:
        ++s.core_funcs;
        break;
    }
  }

  void definition(Scope& s, const StartDef& d) {
    if (d.func >= s.funcs.size()) fail(0, fmt::format("start function {} is out of bounds", d.func));
    s.values += d.results;
  }

  void definition(Scope& s, const ImportDef& d) { import_or_export(s, d.name, d.desc, d.offset, true); }

  void definition(Scope& s, const ExportDef& d) {
    check_index(d.offset, d.item.index, count(s, d.item.sort), to_string(d.item.sort).c_str());
    if (!s.export_names.insert(fold(d.name)).second) fail(d.offset, fmt::format("duplicate export name \"{}\"", d.name));
    ExternType t = item_type(s, d.item, d.offset);
    if (d.desc) {
      if (d.desc->kind != t.kind)
        fail(d.offset, fmt::format("export \"{}\" is ascribed the type of a {} but exports a {}", d.name,
                                   to_string(d.desc->kind), to_string(t.kind)));
      ExternType ascribed = extern_type(s, d.name, *d.desc, d.offset);
      if (ascribed.kind == ExternDesc::Kind::Type && ascribed.type.kind == TypeEntry::Kind::Resource && d.desc->sub_resource)
        t = ascribed;  // exporting a resource gives it a fresh abstract type
      else if (ascribed.kind != ExternDesc::Kind::Type)
        t = ascribed;
    }
    add_extern(s, t);
    s.exports.push_back({d.name, t});
  }

  void definition(Scope&, const CustomSection&) {}

  const std::string& name_;
  ValidatedComponent& out_;
  std::vector<Scope*> scopes_;
};

}  // namespace

const ExternType* InstanceTypeInfo::find(std::string_view name) const {
  for (auto& e : exports)
    if (e.name == name) return &e.type;
  return nullptr;
}

ValidatedComponent validate_component(const Component& component, const std::string& name) {
  ValidatedComponent v;
  Validator(name, v).component(component, &v);
  return v;
}

ValidatedComponent load_component(std::span<const uint8_t> bytes, const std::string& name) {
  Component c = parse_component(bytes, name);
  return validate_component(c, name);
}

}  // namespace wasmlet::component
