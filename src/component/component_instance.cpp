// Compiling a component's core modules and instantiating the component graph
// (core instances, aliases, canon lift/lower, nested components) on the
// engine, then calling wasi:cli/run.
#include <fmt/format.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <unordered_map>

#include <unistd.h>

#include "component/type_match.h"
#include "component/wasi/host_state.h"
#include "engine/aot/aot_tier.h"
#include "engine/metering.h"
#include "engine/tier.h"
#include "wasmlet/component/canonical_abi.h"
#include "wasmlet/component/component.h"
#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"
#include "wasmlet/wasi_command.h"
#include "util/file_bytes.h"

namespace wasmlet::component {

struct CompiledComponent::Impl {
  std::string name;
  Component definition;
  ValidatedComponent validated;
  std::unordered_map<const CoreModuleDef*, Module> modules;
};

namespace {

// Core modules are compiled for the Engine's tier. Their instances share
// memories, tables and globals, which links only within one tier.
void compile_modules(Engine& engine, const Component& c, CompiledComponent::Impl& impl, const std::string& prefix) {
  size_t n = 0, nested = 0;
  for (auto& d : c.definitions) {
    if (auto* m = std::get_if<CoreModuleDef>(&d)) {
      std::string name = fmt::format("{} core module {}", prefix, n++);
      impl.modules.emplace(m, Module::compile(engine, m->bytes, name));
    } else if (auto* sub = std::get_if<std::shared_ptr<Component>>(&d)) {
      compile_modules(engine, **sub, impl, fmt::format("{} component {}", prefix, nested++));
    }
  }
}

// ---- run-time index spaces ----

struct CoreFunc {
  std::optional<Extern> guest;  // a core instance's function
  FuncType type;
  HostFunction host;  // or a host function (canon lower, resource.*)
};

struct CoreMemory {
  Extern memory;
};

struct CoreOther {  // tables, globals, tags
  std::string what;
  Extern item;
};

using CoreItem = std::variant<CoreFunc, CoreMemory, CoreOther>;

struct CoreInstanceRt {
  std::shared_ptr<Instance> instance;        // instantiated module
  std::map<std::string, CoreItem> bag;       // or inline exports
  std::string label;
};

struct ComponentFunc {
  FunctionTypePtr type;
  std::string name;
  const WasiHost::Function* host = nullptr;  // a host import
  // a lifted core function
  std::optional<CoreFunc> core;
  StringEncoding encoding = StringEncoding::Utf8;
  std::optional<CoreMemory> memory;
  std::optional<CoreFunc> realloc, post_return;
};

struct Frame;
struct InstanceRt;

struct Item {
  enum class Kind { Func, Instance, Component, CoreModule, Type, Value } kind = Kind::Type;
  std::shared_ptr<ComponentFunc> func;
  std::shared_ptr<InstanceRt> instance;
  const Component* component = nullptr;
  Frame* component_scope = nullptr;
  const Module* module = nullptr;
};

struct InstanceRt {
  std::map<std::string, Item, std::less<>> exports;
};

struct Frame {
  Frame* parent = nullptr;  // lexically enclosing component (for outer aliases)
  std::map<std::string, Item, std::less<>> imports;  // nested: the instantiation arguments
  std::vector<const Module*> core_modules;
  std::vector<CoreInstanceRt> core_instances;
  std::vector<CoreFunc> core_funcs;
  std::vector<CoreMemory> core_memories;
  std::vector<CoreOther> core_tables, core_globals, core_tags;
  std::vector<std::shared_ptr<ComponentFunc>> funcs;
  std::vector<std::shared_ptr<InstanceRt>> instances;
  std::vector<Item> components;
  std::map<std::string, Item, std::less<>> exports;
};

[[noreturn]] void link_error(const std::string& component, const std::string& what) {
  throw LinkError(fmt::format("{}: {}", component, what));
}

struct StartFailed {
  Outcome outcome;
};

class Runner {
 public:
  Runner(Store& store, const CompiledComponent& c, WasiHost& host) : store_(store), c_(c), host_(host) {}
  // The component instance ends with the run: resources it still owns (the
  // preview1 adapter keeps its stdio streams for good) are dropped.
  ~Runner() {
    for (uint32_t rep : handles_.clear()) host_.drop(rep);
  }

  Outcome run() {
    auto entry = c_.entry_point();
    if (!entry)
      link_error(c_.name(), "exports no wasi:cli/run@0.2.x instance and no function \"_start\" or \"main\": it is "
                            "not a WASI command component");
    Frame& top = frames_.emplace_back();
    try {
      walk(top, c_.definition(), true);
    } catch (const StartFailed& f) {
      return f.outcome;
    }
    auto it = top.exports.find(entry->name);
    if (!entry->wasi_cli_run) {
      if (it == top.exports.end() || it->second.kind != Item::Kind::Func)
        link_error(c_.name(), fmt::format("export \"{}\" is not a function", entry->name));
      return call_entry(*it->second.func, entry->name);
    }
    if (it == top.exports.end() || it->second.kind != Item::Kind::Instance)
      link_error(c_.name(), fmt::format("export {} is not an instance", entry->name));
    auto f = it->second.instance->exports.find("run");
    if (f == it->second.instance->exports.end() || f->second.kind != Item::Kind::Func)
      link_error(c_.name(), fmt::format("{} has no function \"run\"", entry->name));
    return call_entry(*f->second.func, entry->name + "#run");
  }

 private:
  // ---- core items ----
  CoreItem core_export(const CoreInstanceRt& inst, const std::string& name) {
    if (!inst.instance) {
      auto it = inst.bag.find(name);
      if (it == inst.bag.end()) link_error(c_.name(), fmt::format("{} has no export \"{}\"", inst.label, name));
      return it->second;
    }
    auto e = inst.instance->get_export(name);
    if (!e) link_error(c_.name(), fmt::format("{} has no export \"{}\"", inst.label, name));
    switch (e->kind()) {
      case ExternKind::Func: return CoreFunc{*e, *e->func_type(), nullptr};
      case ExternKind::Memory: return CoreMemory{*e};
      case ExternKind::Table: return CoreOther{"table", *e};
      case ExternKind::Global: return CoreOther{"global", *e};
      case ExternKind::Tag: break;
    }
    link_error(c_.name(), fmt::format("{} exports tag \"{}\": exception tags are not supported", inst.label, name));
  }

  void push_core(Frame& f, const CoreItem& item) {
    if (auto* fn = std::get_if<CoreFunc>(&item)) f.core_funcs.push_back(*fn);
    else if (auto* m = std::get_if<CoreMemory>(&item)) f.core_memories.push_back(*m);
    else {
      auto& o = std::get<CoreOther>(item);
      (o.what == "table" ? f.core_tables : o.what == "global" ? f.core_globals : f.core_tags).push_back(o);
    }
  }

  CoreItem core_item(Frame& f, CoreSort sort, uint32_t index) {
    switch (sort) {
      case CoreSort::Func: return f.core_funcs.at(index);
      case CoreSort::Memory: return f.core_memories.at(index);
      case CoreSort::Table: return f.core_tables.at(index);
      case CoreSort::Global: return f.core_globals.at(index);
      case CoreSort::Tag: return f.core_tags.at(index);
      default: link_error(c_.name(), fmt::format("a {} cannot be a core instance export", to_string(sort)));
    }
  }

  void instantiate_core(Frame& f, const CoreInstanceDef& d) {
    CoreInstanceRt rt;
    rt.label = fmt::format("core instance {}", f.core_instances.size());
    if (!d.instantiate) {
      for (auto& e : d.exports) rt.bag.emplace(e.name, core_item(f, e.sort, e.index));
      f.core_instances.push_back(std::move(rt));
      return;
    }
    const Module& module = *f.core_modules.at(d.module);
    std::map<std::string, uint32_t> args;
    for (auto& a : d.args) args[a.name] = a.instance;
    // Instance-to-instance imports are Externs of the same Store: memories
    // and tables are shared, and the engine type-checks each one (LinkError
    // naming the import).
    Linker linker;
    for (auto& imp : module.imports()) {
      auto& from = f.core_instances.at(args.at(imp.module));
      CoreItem item = core_export(from, imp.name);
      if (auto* fn = std::get_if<CoreFunc>(&item)) {
        if (fn->guest) linker.define(imp.module, imp.name, *fn->guest);
        else linker.define(imp.module, imp.name, fn->type, fn->host);
      } else if (auto* m = std::get_if<CoreMemory>(&item)) {
        linker.define(imp.module, imp.name, m->memory);
      } else {
        linker.define(imp.module, imp.name, std::get<CoreOther>(item).item);
      }
    }
    rt.instance = std::make_shared<Instance>(Instance::create(store_, module, linker));
    if (!rt.instance->start_outcome().returned()) throw StartFailed{rt.instance->start_outcome()};
    rt.label = fmt::format("core instance {} ({})", f.core_instances.size(), module.name());
    f.core_instances.push_back(std::move(rt));
  }

  // ---- component items ----
  void push(Frame& f, const Item& item) {
    switch (item.kind) {
      case Item::Kind::Func: f.funcs.push_back(item.func); break;
      case Item::Kind::Instance: f.instances.push_back(item.instance); break;
      case Item::Kind::Component: f.components.push_back(item); break;
      case Item::Kind::CoreModule: f.core_modules.push_back(item.module); break;
      default: break;
    }
  }

  Item item_of(Frame& f, const SortIndex& s) {
    Item it;
    switch (s.sort.kind) {
      case SortKind::Func: it.kind = Item::Kind::Func; it.func = f.funcs.at(s.index); break;
      case SortKind::Instance: it.kind = Item::Kind::Instance; it.instance = f.instances.at(s.index); break;
      case SortKind::Component: it = f.components.at(s.index); break;
      case SortKind::Core:
        if (s.sort.core == CoreSort::Module) {
          it.kind = Item::Kind::CoreModule;
          it.module = f.core_modules.at(s.index);
        }
        break;
      case SortKind::Type: it.kind = Item::Kind::Type; break;
      case SortKind::Value: it.kind = Item::Kind::Value; break;
    }
    return it;
  }

  Item host_import(const std::string& name, const ExternType& type) {
    Item it;
    if (type.kind == ExternDesc::Kind::Type) return it;
    if (type.kind != ExternDesc::Kind::Instance)
      link_error(c_.name(), fmt::format("imports {} \"{}\": only instance imports (WASI interfaces) are provided",
                                        to_string(type.kind), name));
    if (!host_.provides(name))
      link_error(c_.name(), fmt::format("imports {}, which wasmlet does not provide", name));
    it.kind = Item::Kind::Instance;
    it.instance = std::make_shared<InstanceRt>();
    for (auto& e : type.instance->exports) {
      Item sub;
      if (e.type.kind == ExternDesc::Kind::Type && e.type.type.kind == TypeEntry::Kind::Resource) {
        // The name the component imports a resource of the interface by pairs
        // it with the host's, before any function type uses it.
        ResourcePtr host_resource = host_.resource(name, e.name);
        if (host_resource && !imports_.pair(e.type.type.resource, host_resource))
          link_error(c_.name(), fmt::format("imports {} with type \"{}\" equal to a resource it imports as another of "
                                            "wasmlet's resources",
                                            name, e.name));
      }
      if (e.type.kind == ExternDesc::Kind::Func) {
        sub.kind = Item::Kind::Func;
        sub.func = std::make_shared<ComponentFunc>();
        sub.func->type = e.type.func;
        sub.func->name = name + "#" + e.name;
        sub.func->host = host_.find(name, e.name);  // null: fails when lowered
        if (sub.func->host) check_host_type(*sub.func, *host_.signature(name, e.name));
      }
      it.instance->exports.emplace(e.name, sub);
    }
    return it;
  }

  // The host function reads its arguments and returns its result as WASI
  // declares them: an import of another type would hand it other values.
  void check_host_type(const ComponentFunc& f, const FunctionType& provided) {
    std::string difference = imports_.mismatch(*f.type, provided);
    if (!difference.empty())
      link_error(c_.name(), fmt::format("imports {} with type {}; wasmlet provides {} ({})", f.name,
                                        f.type->to_string(kMessageTypeItems), provided.to_string(kMessageTypeItems),
                                        difference));
  }

  GuestMemory memory_of(const std::optional<CoreMemory>& m) {
    if (!m) return {};
    return store_.memory(m->memory);
  }

  // The guest's realloc, called from inside a host call (a nested call: if
  // it traps, the whole run ends with that trap).
  Realloc realloc_of(const std::optional<CoreFunc>& f) {
    if (!f) return nullptr;
    if (!f->guest) link_error(c_.name(), "a realloc option names a host function");
    Extern fn = *f->guest;
    Store& store = store_;
    return [fn, &store](uint32_t a, uint32_t b, uint32_t c, uint32_t d) -> uint32_t {
      std::vector<Value> args = {Value::i32(int32_t(a)), Value::i32(int32_t(b)), Value::i32(int32_t(c)), Value::i32(int32_t(d))};
      Outcome o = store.call(fn, args);
      if (!o.returned() || o.results.size() != 1) throw AbiTrap("realloc failed: " + o.trap.to_string());
      return o.results[0].as_u32();
    };
  }

  CoreFunc lower(Frame& f, const CanonDef& c) {
    auto fn = f.funcs.at(c.func_index);
    if (!fn->host) {
      if (fn->core)
        link_error(c_.name(), fmt::format("lowers {}, a function lifted by the component itself: component-to-component "
                                          "calls are not supported yet", fn->name));
      link_error(c_.name(), fmt::format("imports {}, which wasmlet does not implement", fn->name));
    }
    auto type = fn->type;
    auto host_fn = fn->host;
    std::optional<CoreMemory> mem;
    if (c.options.memory) mem = f.core_memories.at(*c.options.memory);
    std::optional<CoreFunc> realloc;
    if (c.options.realloc) realloc = f.core_funcs.at(*c.options.realloc);
    auto encoding = c.options.string_encoding;
    FuncType flat = flatten_function(*type, false);
    std::vector<TypePtr> params;
    for (auto& p : type->params) params.push_back(p.type);
    size_t flat_params = flatten(params).size();
    std::string name = fn->name;
    CoreFunc out;
    out.type = flat;
    out.host = [this, type, host_fn, mem, realloc, encoding, params, flat_params, name](
                   Caller& caller, std::span<const Value> args, std::span<Value> results) {
      AbiContext cx;
      std::vector<uint32_t> lent;
      try {
        cx.memory = memory_of(mem);
        cx.current_memory = [this, mem] { return memory_of(mem); };
        cx.encoding = encoding;
        cx.realloc = realloc_of(realloc);
        cx.handles = &handles_;
        cx.lent = &lent;
        cx.max_lifted_host_bytes = lifted_host_bytes_bound(store_.limits().max_memory_bytes);
        // A long lift or lower stops on an interrupt or the deadline, with
        // the same trap as guest code.
        cx.check_stop = [&store = caller.store()] { detail::check_stop(store); };
        size_t used = std::min(args.size(), flat_params > kMaxFlatParams ? size_t(1) : flat_params);
        std::vector<Val> vals = lift_flat_values(cx, kMaxFlatParams, args.subspan(0, used), params);
        std::optional<Val> r = host_.call(*host_fn, std::move(vals));
        for (auto h : lent) handles_.end_lend(h);
        lent.clear();
        if (type->result) {
          if (!r) throw AbiTrap(name + " returned no value");
          std::vector<TypePtr> rt = {type->result};
          std::vector<Val> rv;
          rv.push_back(std::move(*r));
          std::optional<uint32_t> retptr;
          if (flatten(rt).size() > kMaxFlatResults) retptr = args.back().as_u32();
          cx.memory = memory_of(mem);  // realloc may have grown memory
          auto flat_results = lower_flat_values(cx, kMaxFlatResults, rv, rt, retptr);
          for (size_t i = 0; i < results.size() && i < flat_results.size(); ++i) results[i] = flat_results[i];
        }
      } catch (const wasi::ExitRequest& e) {
        caller.exit(e.code);
      } catch (const wasi::Interrupted&) {
        // A stop, or the run's timeout: the same limit trap as in guest code
        // (and as for a preview1 module), not a host error.
        detail::check_stop(caller.store());
        caller.trap("interrupted");
      } catch (const AbiTrap& e) {
        caller.trap(fmt::format("{}: {}", name, e.what()));
      } catch (const MemoryFault& e) {
        caller.trap(fmt::format("{}: {}", name, e.what()));
      } catch (const LinkError&) {
        throw;
      } catch (const Error& e) {
        caller.trap(fmt::format("{}: {}", name, e.what()));
      }
    };
    return out;
  }

  CoreFunc resource_builtin(const CanonDef& c) {
    auto it = c_.validated().canon_resources.find(&c);
    if (it == c_.validated().canon_resources.end()) link_error(c_.name(), "unresolved resource type in canon resource.*");
    ResourcePtr rt = it->second;
    CoreFunc out;
    switch (c.kind) {
      case CanonDef::Kind::ResourceDrop:
        out.type = FuncType{{ValType::I32}, {}};
        out.host = [this, rt](Caller& caller, std::span<const Value> args, std::span<Value>) {
          try {
            if (auto rep = handles_.drop(args[0].as_u32(), rt)) host_.drop(*rep);
          } catch (const AbiTrap& e) {
            caller.trap(fmt::format("resource.drop: {}", e.what()));
          }
        };
        break;
      case CanonDef::Kind::ResourceNew:
        out.type = FuncType{{ValType::I32}, {ValType::I32}};
        out.host = [this, rt](Caller&, std::span<const Value> args, std::span<Value> results) {
          results[0] = Value::i32(int32_t(handles_.lower_own(args[0].as_u32(), rt)));
        };
        break;
      default:
        out.type = FuncType{{ValType::I32}, {ValType::I32}};
        out.host = [this, rt](Caller& caller, std::span<const Value> args, std::span<Value> results) {
          try {
            auto& h = handles_.get(args[0].as_u32());
            if (h.type != rt) throw AbiTrap("handle of another resource type");
            results[0] = Value::i32(int32_t(h.rep));
          } catch (const AbiTrap& e) {
            caller.trap(fmt::format("resource.rep: {}", e.what()));
          }
        };
    }
    return out;
  }

  void canon(Frame& f, const CanonDef& c) {
    switch (c.kind) {
      case CanonDef::Kind::Lift: {
        auto fn = std::make_shared<ComponentFunc>();
        fn->type = c_.validated().lift_types.at(&c);
        fn->core = f.core_funcs.at(c.func_index);
        fn->name = fmt::format("lifted core func {}", c.func_index);
        fn->encoding = c.options.string_encoding;
        if (c.options.memory) fn->memory = f.core_memories.at(*c.options.memory);
        if (c.options.realloc) fn->realloc = f.core_funcs.at(*c.options.realloc);
        if (c.options.post_return) fn->post_return = f.core_funcs.at(*c.options.post_return);
        f.funcs.push_back(fn);
        break;
      }
      case CanonDef::Kind::Lower: f.core_funcs.push_back(lower(f, c)); break;
      case CanonDef::Kind::ResourceNew:
      case CanonDef::Kind::ResourceDrop:
      case CanonDef::Kind::ResourceRep: f.core_funcs.push_back(resource_builtin(c)); break;
      case CanonDef::Kind::Other:
        link_error(c_.name(), fmt::format("uses the canonical builtin 0x{:02x} (async/threads), which is not supported", c.opcode));
    }
  }

  void alias(Frame& f, const AliasDef& a) {
    switch (a.target) {
      case AliasDef::Target::InstanceExport: {
        auto& inst = f.instances.at(a.instance);
        auto it = inst->exports.find(a.name);
        if (it == inst->exports.end()) link_error(c_.name(), fmt::format("instance {} has no export \"{}\"", a.instance, a.name));
        push(f, it->second);
        break;
      }
      case AliasDef::Target::CoreInstanceExport:
        push_core(f, core_export(f.core_instances.at(a.instance), a.name));
        break;
      case AliasDef::Target::Outer: {
        Frame* o = &f;
        for (uint32_t i = 0; i < a.outer_count && o; ++i) o = o->parent;
        if (!o) link_error(c_.name(), "outer alias out of range");
        if (a.sort.kind == SortKind::Component) f.components.push_back(o->components.at(a.outer_index));
        else if (a.sort.kind == SortKind::Core && a.sort.core == CoreSort::Module)
          f.core_modules.push_back(o->core_modules.at(a.outer_index));
        break;  // types carry no run-time state
      }
    }
  }

  void instantiate(Frame& f, const InstanceDef& d) {
    auto inst = std::make_shared<InstanceRt>();
    if (!d.instantiate) {
      for (auto& a : d.args) inst->exports.emplace(a.name, item_of(f, a.item));
    } else {
      Item comp = f.components.at(d.component);
      if (!comp.component) link_error(c_.name(), "instantiating an imported component is not supported");
      Frame& child = frames_.emplace_back();
      child.parent = comp.component_scope;
      for (auto& a : d.args) child.imports.emplace(a.name, item_of(f, a.item));
      walk(child, *comp.component, false);
      inst->exports = child.exports;
    }
    f.instances.push_back(inst);
  }

  void walk(Frame& f, const Component& c, bool top) {
    for (auto& def : c.definitions) {
      if (auto* m = std::get_if<CoreModuleDef>(&def)) {
        f.core_modules.push_back(&c_.core_module(*m));
      } else if (auto* ci = std::get_if<CoreInstanceDef>(&def)) {
        instantiate_core(f, *ci);
      } else if (auto* nested = std::get_if<std::shared_ptr<Component>>(&def)) {
        Item it;
        it.kind = Item::Kind::Component;
        it.component = nested->get();
        it.component_scope = &f;
        f.components.push_back(it);
      } else if (auto* in = std::get_if<InstanceDef>(&def)) {
        instantiate(f, *in);
      } else if (auto* al = std::get_if<AliasDef>(&def)) {
        alias(f, *al);
      } else if (auto* cn = std::get_if<CanonDef>(&def)) {
        canon(f, *cn);
      } else if (std::holds_alternative<StartDef>(def)) {
        link_error(c_.name(), "component start functions (value definitions) are not supported");
      } else if (auto* im = std::get_if<ImportDef>(&def)) {
        Item it;
        if (top) {
          const ExternType* t = nullptr;
          for (auto& i : c_.validated().type.imports)
            if (i.name == im->name) t = &i.type;
          if (!t) link_error(c_.name(), fmt::format("unresolved import {}", im->name));
          it = host_import(im->name, *t);
        } else {
          auto a = f.imports.find(im->name);
          if (a == f.imports.end()) link_error(c_.name(), fmt::format("nested component import \"{}\" is not supplied", im->name));
          it = a->second;
        }
        push(f, it);
      } else if (auto* ex = std::get_if<ExportDef>(&def)) {
        Item it = item_of(f, ex->item);
        f.exports[ex->name] = it;
        push(f, it);
      }
      // core types, types and custom sections carry no run-time state
    }
  }

  // The exit status an entry point's result stands for (wasi:cli/exit, when
  // called, ends the run before this).
  static int exit_code_of(const Type& type, const Val& value) {
    switch (type.kind) {
      case TypeKind::Result: return value.index == 0 ? 0 : 1;
      case TypeKind::S8: case TypeKind::U8: case TypeKind::S16: case TypeKind::U16:
      case TypeKind::S32: case TypeKind::U32: case TypeKind::S64: case TypeKind::U64:
        return int(value.i);
      default: return 0;
    }
  }

  Outcome call_entry(const ComponentFunc& run, const std::string& label) {
    if (!run.core) link_error(c_.name(), fmt::format("{} is not lifted from a core function", label));
    if (!run.type->params.empty())
      throw LinkError(entry_point_takes_parameters(c_.name(), label, run.type->to_string()));
    auto& core = *run.core;
    if (!core.guest) link_error(c_.name(), fmt::format("{} is a host function", label));
    Outcome o = store_.call(*core.guest, {});
    if (!o.returned()) return o;
    Outcome result;
    result.kind = Outcome::Kind::Exited;
    if (run.type->result) {
      AbiContext cx;
      cx.memory = memory_of(run.memory);
      cx.encoding = run.encoding;
      cx.handles = &handles_;
      cx.max_lifted_host_bytes = lifted_host_bytes_bound(store_.limits().max_memory_bytes);
      std::vector<TypePtr> rt = {run.type->result};
      try {
        auto vals = lift_flat_values(cx, kMaxFlatResults, o.results, rt);
        result.exit_code = exit_code_of(*run.type->result, vals.at(0));
      } catch (const AbiTrap& e) {
        result.kind = Outcome::Kind::Trapped;
        result.trap.kind = TrapKind::HostError;
        result.trap.message = e.what();
        return result;
      }
    }
    if (run.post_return && run.post_return->guest) {
      Outcome p = store_.call(*run.post_return->guest, o.results);
      if (!p.returned()) return p;
    }
    return result;
  }

  Store& store_;
  const CompiledComponent& c_;
  WasiHost& host_;
  TypeMatcher imports_;  // the component's import types against the host's
  ResourceTable handles_;
  std::deque<Frame> frames_;
};

}  // namespace

CompiledComponent CompiledComponent::compile(Engine& engine, std::span<const uint8_t> bytes, std::string name) {
  auto impl = std::make_shared<Impl>();
  impl->name = name;
  impl->definition = parse_component(bytes, name);
  impl->validated = validate_component(impl->definition, name);
  compile_modules(engine, impl->definition, *impl, name + ":");
  if (engine.config().tier == Tier::Interpreter) return CompiledComponent(std::move(impl));
  // One tier for the whole component: if a core module cannot run as native
  // code (its own note said why), none does.
  for (const auto& [def, module] : impl->modules) {
    if (detail::aot::runs_native(module)) continue;
    EngineConfig config = engine.config();
    std::string message = fmt::format("{}: running in the interpreter: {} does not run as native code, and a "
                                      "component's core instances, which share memories and tables, run in one tier",
                                      name, module.name());
    // As for a core module under auto (the default): said on a terminal or to
    // on_note, never added to a script's stderr; always when aot was asked for.
    if (config.on_note) config.on_note(message);
    else if (config.tier == Tier::Aot || isatty(2)) std::fprintf(stderr, "wasmlet: note: %s\n", message.c_str());
    config.tier = Tier::Interpreter;
    Engine interpreter(config);
    impl->modules.clear();
    compile_modules(interpreter, impl->definition, *impl, name + ":");
    break;
  }
  return CompiledComponent(std::move(impl));
}

CompiledComponent CompiledComponent::from_file(Engine& engine, const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(path, bytes))
    throw UsageError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  return compile(engine, bytes, path.filename().string());
}

std::optional<std::string> CompiledComponent::prepare_fuel_builds() const {
  for (const auto& [def, module] : impl_->modules)
    if (detail::aot::runs_native(module) && !detail::aot::prepare_fuel_build(module))
      return module.name();
  return std::nullopt;
}

const std::string& CompiledComponent::name() const { return impl_->name; }
const Component& CompiledComponent::definition() const { return impl_->definition; }
const ValidatedComponent& CompiledComponent::validated() const { return impl_->validated; }
const Module& CompiledComponent::core_module(const CoreModuleDef& def) const { return impl_->modules.at(&def); }

std::optional<std::string> CompiledComponent::run_export() const {
  for (auto& e : impl_->validated.type.exports) {
    auto [iface, version] = split_interface_version(e.name);
    if (iface == "wasi:cli/run" && (version.empty() || version.rfind("0.2", 0) == 0)) return e.name;
  }
  return std::nullopt;
}

std::optional<CompiledComponent::EntryPoint> CompiledComponent::entry_point() const {
  if (auto run = run_export()) return EntryPoint{*run, true};
  for (const char* name : {"_start", "main"})
    for (auto& e : impl_->validated.type.exports)
      if (e.name == name && e.type.kind == ExternDesc::Kind::Func) return EntryPoint{name, false};
  return std::nullopt;
}

Outcome run_component(Store& store, const CompiledComponent& component, WasiHost& host) {
  // Under a fuel limit native modules run their fuel-counting build, compiled
  // on first use. Build them all before any instance exists: if one cannot
  // be compiled, the component must not run half in the interpreter.
  if (store.limits().fuel)
    if (auto failed = component.prepare_fuel_builds())
      throw LinkError(fmt::format("{}: {}: its fuel-counting native build could not be compiled (see the note), "
                                  "and a component's core instances run in one tier; run it with --tier interp "
                                  "or without a fuel limit",
                                  component.name(), *failed));
  host.attach_store(store);
  Runner runner(store, component, host);
  return runner.run();
}

}  // namespace wasmlet::component
