// Compiled as C++17: see wabt_interp.h.
#include "engine/interp/wabt_interp.h"

#include <wabt/binary-reader.h>
#include <wabt/error-formatter.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "engine/interp/private_access.h"
#include "engine/table_limits.h"

namespace wasmlet::detail::interp {

namespace {

namespace wi = wabt::interp;
using wasmlet::detail::kMaxTableEntries;

VType from_wabt(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return VType::I32;
    case wabt::Type::I64: return VType::I64;
    case wabt::Type::F32: return VType::F32;
    case wabt::Type::F64: return VType::F64;
    case wabt::Type::V128: return VType::V128;
    case wabt::Type::FuncRef: return VType::FuncRef;
    default: return VType::ExternRef;
  }
}

Signature signature_of(const wi::FuncType& type) {
  Signature sig;
  for (auto t : type.params) sig.params.push_back(from_wabt(t));
  for (auto t : type.results) sig.results.push_back(from_wabt(t));
  return sig;
}

RawValue to_raw(const wi::Value& v, VType type) {
  RawValue r;
  r.type = type;
  switch (type) {
    case VType::I32: { wi::u32 x = v.Get<wi::u32>(); std::memcpy(r.bits, &x, 4); break; }
    case VType::I64: { wi::u64 x = v.Get<wi::u64>(); std::memcpy(r.bits, &x, 8); break; }
    case VType::F32: { wi::f32 x = v.Get<wi::f32>(); std::memcpy(r.bits, &x, 4); break; }
    case VType::F64: { wi::f64 x = v.Get<wi::f64>(); std::memcpy(r.bits, &x, 8); break; }
    case VType::V128: { ::v128 x = v.Get<::v128>(); std::memcpy(r.bits, &x, 16); break; }
    case VType::FuncRef:
    case VType::ExternRef: { uint64_t x = v.Get<wi::Ref>().index; std::memcpy(r.bits, &x, 8); break; }
  }
  return r;
}

wi::Value from_raw(const RawValue& r) {
  switch (r.type) {
    case VType::I32: { wi::u32 x; std::memcpy(&x, r.bits, 4); return wi::Value::Make(x); }
    case VType::I64: { wi::u64 x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(x); }
    case VType::F32: { wi::f32 x; std::memcpy(&x, r.bits, 4); return wi::Value::Make(x); }
    case VType::F64: { wi::f64 x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(x); }
    case VType::V128: { ::v128 x; std::memcpy(&x, r.bits, 16); return wi::Value::Make(x); }
    case VType::FuncRef:
    case VType::ExternRef: { uint64_t x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(wi::Ref(x)); }
  }
  return wi::Value::Make(wi::u32(0));
}

XKind kind_of(wabt::ExternalKind k) {
  switch (k) {
    case wabt::ExternalKind::Func: return XKind::Func;
    case wabt::ExternalKind::Table: return XKind::Table;
    case wabt::ExternalKind::Memory: return XKind::Memory;
    case wabt::ExternalKind::Global: return XKind::Global;
    case wabt::ExternalKind::Tag: return XKind::Tag;
  }
  return XKind::Tag;
}

std::optional<uint64_t> max_of(const wabt::Limits& limits) {
  return limits.has_max ? std::optional<uint64_t>(limits.max) : std::nullopt;
}

// The declared type of an import (as the importing module states it).
XType xtype_of(const wi::ExternType& type) {
  XType x;
  x.kind = kind_of(type.kind);
  if (auto* f = wabt::dyn_cast<wi::FuncType>(&type)) x.signature = signature_of(*f);
  if (auto* m = wabt::dyn_cast<wi::MemoryType>(&type)) {
    x.min = m->limits.initial;
    x.max = max_of(m->limits);
  }
  if (auto* t = wabt::dyn_cast<wi::TableType>(&type)) {
    x.min = t->limits.initial;
    x.max = max_of(t->limits);
    x.value_type = from_wabt(t->element);
  }
  if (auto* g = wabt::dyn_cast<wi::GlobalType>(&type)) {
    x.value_type = from_wabt(g->type);
    x.mutable_global = g->mut == wi::Mutability::Var;
  }
  return x;
}

class WabtDecodedModule final : public DecodedModule {
 public:
  wi::ModuleDesc desc;

  std::vector<ImportRequest> imports() const override {
    std::vector<ImportRequest> out;
    for (const auto& import : desc.imports)
      out.push_back(ImportRequest{import.type.module, import.type.name, xtype_of(*import.type.type)});
    return out;
  }
  std::vector<uint64_t> memory_initial_pages() const override {
    std::vector<uint64_t> pages;
    for (const auto& m : desc.memories) pages.push_back(m.type.limits.initial);
    return pages;
  }
};

class WabtSpace;

class WabtPin final : public Pin {
 public:
  WabtPin(std::shared_ptr<WabtSpace> space, wi::RefPtr<wi::Object> item)
      : space_(std::move(space)), item_(std::move(item)) {}

 private:
  std::shared_ptr<WabtSpace> space_;  // declared first: destroyed after the item's root
  wi::RefPtr<wi::Object> item_;
};

class WabtSpace final : public Space, public std::enable_shared_from_this<WabtSpace> {
 public:
  explicit WabtSpace(const wabt::Features& features) : store_(features) {}

  Instantiated instantiate(const DecodedModule& decoded_module, std::vector<ImportBinding> bindings,
                           std::vector<std::string> function_names,
                           const std::vector<std::optional<uint64_t>>& max_pages) override {
    const auto& decoded = static_cast<const WabtDecodedModule&>(decoded_module);
    wi::ModuleDesc desc = decoded.desc;
    std::vector<std::optional<uint64_t>> declared;
    for (size_t i = 0; i < desc.memories.size(); ++i) {
      auto& limits = desc.memories[i].type.limits;
      declared.push_back(max_of(limits));
      if (i < max_pages.size() && max_pages[i] && (!limits.has_max || limits.max > *max_pages[i])) {
        limits.max = *max_pages[i];
        limits.has_max = true;
      }
    }
    // Growing a table is capped as in the AOT tier (engine/table_limits.h);
    // its type still shows the declared maximum.
    std::vector<std::optional<uint64_t>> declared_table_max;
    for (auto& table : desc.tables) {
      auto& limits = table.type.limits;
      declared_table_max.push_back(max_of(limits));
      if (!limits.has_max || limits.max > kMaxTableEntries) {
        limits.max = std::max<uint64_t>(limits.initial, kMaxTableEntries);
        limits.has_max = true;
      }
    }
    Live live;
    live.names = std::move(function_names);
    live.module = wi::Module::New(store_, std::move(desc));
    wi::RefVec imports;
    const auto& import_types = live.module->import_types();
    for (size_t i = 0; i < import_types.size(); ++i) {
      if (bindings[i].item) {
        imports.push_back(wi::Ref(static_cast<size_t>(*bindings[i].item)));
        continue;
      }
      auto* ftype = wabt::cast<wi::FuncType>(import_types[i].type.get());
      imports.push_back(host_function(*ftype, std::move(bindings[i].host)));
    }
    Instantiated out;
    wi::Trap::Ptr trap;
    live.instance = wi::Instance::Instantiate(store_, live.module.ref(), imports, &trap);
    if (!live.instance) {
      out.start.ok = false;
      out.start.trap_message = trap ? trap->message() : "instantiation failed";
      if (trap) out.start.trap_function = innermost(trap_trace(*trap), &live);
      return out;
    }
    size_t imported_memories = 0;
    for (const auto& import : live.module->desc().imports)
      if (import.type.type->kind == wabt::ExternalKind::Memory) ++imported_memories;
    const auto& memories = live.instance->memories();
    for (size_t i = imported_memories; i < memories.size(); ++i) {
      live.defined_memories.push_back(memories[i].index);
      declared_max_[memories[i].index] = declared[i - imported_memories];
    }
    size_t imported_tables = 0;
    for (const auto& import : live.module->desc().imports)
      if (import.type.type->kind == wabt::ExternalKind::Table) ++imported_tables;
    const auto& tables = live.instance->tables();
    for (size_t i = imported_tables; i < tables.size(); ++i) {
      live.defined_tables.push_back(tables[i].index);
      declared_max_[tables[i].index] = declared_table_max[i - imported_tables];
    }
    const auto& exports = live.module->desc().exports;
    for (size_t i = 0; i < exports.size(); ++i)
      out.exports.push_back(
          ExportItem{exports[i].type.name, kind_of(exports[i].type.type->kind), live.instance->exports()[i].index});
    out.defined_memories = live.defined_memories;
    out.id = next_id_++;
    by_instance_[live.instance.ref().index] = out.id;
    instances_.emplace(out.id, std::move(live));
    return out;
  }

  void release(uint64_t id) override {
    auto it = instances_.find(id);
    if (it == instances_.end()) return;
    for (ItemRef m : it->second.defined_memories) declared_max_.erase(m);
    for (ItemRef t : it->second.defined_tables) declared_max_.erase(t);
    by_instance_.erase(it->second.instance.ref().index);
    instances_.erase(it);
    store_.Collect();
  }

  CallResult call(ItemRef function, const std::vector<RawValue>& args) override {
    CallResult result;
    wi::Ref ref(static_cast<size_t>(function));
    if (!store_.Is<wi::Func>(ref)) {
      result.ok = false;
      result.trap_message = "not a function";
      return result;
    }
    wi::Func::Ptr func = store_.UnsafeGet<wi::Func>(ref);
    wi::Values params, results;
    for (const auto& a : args) params.push_back(from_raw(a));
    wi::Trap::Ptr trap;
    if (wabt::Failed(func->Call(store_, params, results, &trap))) {
      result.ok = false;
      result.trap_message = trap->message();
      result.trap_function = innermost(trap_trace(*trap), nullptr);
      return result;
    }
    const auto& types = func->type().results;
    for (size_t i = 0; i < results.size(); ++i) result.results.push_back(to_raw(results[i], from_wabt(types[i])));
    return result;
  }

  XType type_of(ItemRef item) override {
    wi::Ref ref(static_cast<size_t>(item));
    XType x;
    if (store_.Is<wi::Func>(ref)) {
      x.kind = XKind::Func;
      x.signature = signature_of(store_.UnsafeGet<wi::Func>(ref)->type());
    } else if (store_.Is<wi::Memory>(ref)) {
      auto memory = store_.UnsafeGet<wi::Memory>(ref);
      x.kind = XKind::Memory;
      x.min = memory->PageSize();
      auto declared = declared_max_.find(item);
      x.max = declared != declared_max_.end() ? declared->second : max_of(memory->type().limits);
    } else if (store_.Is<wi::Table>(ref)) {
      auto table = store_.UnsafeGet<wi::Table>(ref);
      x.kind = XKind::Table;
      x.min = table->size();
      auto declared = declared_max_.find(item);
      x.max = declared != declared_max_.end() ? declared->second : max_of(table->type().limits);
      x.value_type = from_wabt(table->type().element);
    } else if (store_.Is<wi::Global>(ref)) {
      auto global = store_.UnsafeGet<wi::Global>(ref);
      x.kind = XKind::Global;
      x.value_type = from_wabt(global->type().type);
      x.mutable_global = global->type().mut == wi::Mutability::Var;
    } else {
      x.kind = XKind::Tag;
    }
    return x;
  }

  std::shared_ptr<Pin> pin(ItemRef item) override {
    return std::make_shared<WabtPin>(shared_from_this(),
                                     wi::RefPtr<wi::Object>(store_, wi::Ref(static_cast<size_t>(item))));
  }

  uint8_t* memory_data(ItemRef memory) override { return get<wi::Memory>(memory)->UnsafeData(); }
  uint64_t memory_bytes(ItemRef memory) override { return get<wi::Memory>(memory)->ByteSize(); }

  void cap_memory(ItemRef item, uint64_t max_pages) override {
    auto memory = get<wi::Memory>(item);
    auto declared = declared_max_.find(item);
    if (declared == declared_max_.end()) return;  // not a memory wasmlet accounts for
    if (declared->second && *declared->second < max_pages) max_pages = *declared->second;
    auto& limits = memory_type(*memory).limits;
    limits.max = std::max<uint64_t>(max_pages, memory->PageSize());
    limits.has_max = true;
  }

  uint64_t global_value(ItemRef item) override {
    auto g = get<wi::Global>(item);
    wi::Value v = g->Get();
    return g->type().type == wabt::Type::I64 ? v.Get<wi::u64>() : uint64_t(v.Get<wi::u32>());
  }
  void set_global_value(ItemRef item, uint64_t value) override {
    auto g = get<wi::Global>(item);
    if (g->type().type == wabt::Type::I64) g->UnsafeSet(wi::Value::Make(wi::u64(value)));
    else g->UnsafeSet(wi::Value::Make(wi::u32(value)));
  }

 private:
  struct Live {
    wi::Module::Ptr module;
    wi::Instance::Ptr instance;
    std::vector<std::string> names;  // by function index
    std::vector<ItemRef> defined_memories;
    std::vector<ItemRef> defined_tables;
  };

  template <typename T>
  typename T::Ptr get(ItemRef item) {
    return store_.UnsafeGet<T>(wi::Ref(static_cast<size_t>(item)));
  }

  wi::Ref host_function(const wi::FuncType& type, HostCallback cb) {
    Signature sig = signature_of(type);
    auto host = wi::HostFunc::New(
        store_, type,
        [this, sig, cb = std::move(cb)](wi::Thread& thread, const wi::Values& in, wi::Values& out,
                                        wi::Trap::Ptr* out_trap) {
          std::vector<RawValue> args, results;
          for (size_t k = 0; k < in.size(); ++k) args.push_back(to_raw(in[k], sig.params[k]));
          for (auto t : sig.results) results.push_back(RawValue{t, {}});
          std::string message;
          if (!cb(args, results, message)) {
            *out_trap = wi::Trap::New(store_, message, thread_frames(thread));
            return wabt::Result::Error;
          }
          // Called from a guest, `out` is sized for the results; called by
          // the host (an import re-exported, e.g. as _start), it is empty.
          out.resize(results.size());
          for (size_t k = 0; k < results.size(); ++k) out[k] = from_raw(results[k]);
          return wabt::Result::Ok;
        });
    return host.ref();
  }

  // The trace runs outermost to innermost; host functions have frames too.
  // Names the innermost guest function by its index in its instance (or, in
  // an instance whose start failed, `starting`, by its code offset).
  std::string innermost(const std::vector<wi::Frame>& trace, const Live* starting) {
    for (auto frame = trace.rbegin(); frame != trace.rend(); ++frame) {
      if (!store_.Is<wi::DefinedFunc>(frame->func)) continue;
      auto func = store_.UnsafeGet<wi::DefinedFunc>(frame->func);
      auto owner = by_instance_.find(func->instance().index);
      if (owner != by_instance_.end()) {
        const Live& live = instances_.at(owner->second);
        const auto& funcs = live.instance->funcs();
        for (size_t i = 0; i < funcs.size(); ++i)
          if (funcs[i] == frame->func) return i < live.names.size() ? live.names[i] : std::string();
        return {};
      }
      if (!starting) return {};
      const auto& desc = starting->module->desc();
      size_t imported = 0;
      for (const auto& import : desc.imports)
        if (import.type.type->kind == wabt::ExternalKind::Func) ++imported;
      for (size_t i = 0; i < desc.funcs.size(); ++i)
        if (desc.funcs[i].code_offset == func->desc().code_offset)
          return imported + i < starting->names.size() ? starting->names[imported + i] : std::string();
      return {};
    }
    return {};
  }

  wi::Store store_;
  std::map<uint64_t, Live> instances_;
  std::unordered_map<size_t, uint64_t> by_instance_;  // wabt instance index -> id
  std::unordered_map<ItemRef, std::optional<uint64_t>> declared_max_;  // defined memories' and tables' declared maximum
  uint64_t next_id_ = 1;
};

const wabt::Features& features() {
  // wabt's defaults are the finished proposals: mutable globals, saturating
  // float-to-int, sign extension, SIMD, multi-value, bulk memory, reference types.
  static const wabt::Features f;
  return f;
}

}  // namespace

std::shared_ptr<const DecodedModule> DecodedModule::decode(const std::string& name, const uint8_t* data, size_t size,
                                                           std::string& error) {
  auto module = std::make_shared<WabtDecodedModule>();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features(), nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wi::ReadBinaryInterp(name, data, size, options, &errors, &module->desc))) {
    error = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
    return nullptr;
  }
  return module;
}

std::shared_ptr<Space> Space::create() { return std::make_shared<WabtSpace>(features()); }

}  // namespace wasmlet::detail::interp
