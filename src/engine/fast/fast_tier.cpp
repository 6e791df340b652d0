// The fast interpreter as a tier (tier.h): a module compiles into its
// ModuleCode (nothing is translated until a function is first called), and
// instances live in their Store's FastStore, where instances of one Store
// can import each other's functions, tables, memories and globals.
#include "engine/fast/fast_tier.h"

#include <numeric>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/fast/fast_store.h"
#include "engine/fast/instantiate.h"
#include "engine/hot/hot_cache.h"
#include "engine/hot/hot_library.h"
#include "engine/public_types.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/linker.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

namespace {

using fast::FastStore;

// A function, table, memory or global of a FastStore as an Extern.
class FastExtern final : public ExternImpl {
 public:
  FastExtern(std::shared_ptr<FastStore> state, ExternKind kind, FuncType func, std::string description,
             fast::ImportItem item)
      : ExternImpl(state->store(), kind, std::move(func), std::move(description)), state_(std::move(state)),
        item_(item) {}

  ExternType type() const override {
    ExternType t{kind(), func(), {}, ValType::I32, false};
    if (item_.memory) t.limits = Limits{item_.memory->pages(), item_.memory->declared_max()};
    if (item_.table) {
      t.limits = Limits{item_.table->elements.size(), item_.table->declared_max};
      t.value_type = public_type(item_.table->element);
    }
    if (item_.global) {
      t.value_type = public_type(item_.global->type);
      t.mutable_global = item_.global->is_mutable;
    }
    return t;
  }
  Outcome call(std::span<const Value> args) const override { return state_->call(item_.func, args); }
  GuestMemory memory() const override {
    return item_.memory ? GuestMemory(item_.memory->base(), item_.memory->bytes()) : GuestMemory();
  }
  const FastStore* state() const { return state_.get(); }
  const fast::ImportItem& item() const { return item_; }

 private:
  std::shared_ptr<FastStore> state_;
  fast::ImportItem item_;
};

// What a host function imported by an instance sees as "the caller's memory".
class CallerMemory final : public MemorySource {
 public:
  GuestMemory memory() override { return item ? GuestMemory(item->base(), item->bytes()) : GuestMemory(); }
  fast::LinearMemory* item = nullptr;
};

class FastInstance final : public TierInstance {
 public:
  FastInstance(std::shared_ptr<FastStore> state, const Module& module, const Linker& linker,
               std::shared_ptr<const fast::ModuleCode> code)
      : state_(std::move(state)), module_(module), caller_memory_(std::make_shared<CallerMemory>()) {
    const ModuleImpl& impl = detail::Access::impl(module);
    const decode::Module& m = *impl.decoded;
    std::vector<fast::ImportItem> items;
    fast::LinearMemory* imported_memory = nullptr;
    for (size_t i = 0; i < m.imports.size(); ++i) {
      items.push_back(resolve_import(m, m.imports[i], impl.import_types[i], linker));
      if (items.back().memory && !imported_memory) imported_memory = items.back().memory;
    }
    fast::Instantiated made = fast::instantiate(*state_, impl, std::move(code), items);
    instance_ = made.instance;
    start_ = std::move(made.start);
    if (!start_.returned()) {
      failed_start_ = true;
      return;
    }
    // The caller's memory: the exported "memory", else an imported one (the
    // preview1 adapter imports its main module's), else the first defined one.
    for (const auto& e : m.exports)
      if (e.kind == decode::ExternalKind::Memory && e.name == "memory") caller_memory_->item = instance_->memories[e.index];
    if (!caller_memory_->item) caller_memory_->item = imported_memory;
    if (!caller_memory_->item && m.memories.size() > m.num_imported_memories)
      caller_memory_->item = instance_->memories[m.num_imported_memories];
  }

  ~FastInstance() override {
    caller_memory_->item = nullptr;
    if (instance_) state_->release(instance_);
  }

  Outcome call(const ExportInfo& function, std::span<const Value> args) override {
    if (failed_start_) return start_;
    const decode::Export* e = find(function.name);
    return state_->call(instance_->funcs[e->index], args);
  }

  std::optional<Extern> get_export(const ExportInfo& info) override {
    if (failed_start_) return std::nullopt;
    const decode::Export* e = find(info.name);
    if (!e) return std::nullopt;
    fast::ImportItem item;
    switch (e->kind) {
      case decode::ExternalKind::Func: item.func = instance_->funcs[e->index]; break;
      case decode::ExternalKind::Table: item.table = instance_->tables[e->index]; break;
      case decode::ExternalKind::Memory: item.memory = instance_->memories[e->index]; break;
      case decode::ExternalKind::Global: item.global = instance_->globals[e->index]; break;
    }
    return Extern(std::make_shared<FastExtern>(state_, info.kind, info.type,
                                               fmt::format("{} export {}", module_.name(), info.name), item));
  }

  GuestMemory memory() override { return caller_memory_->memory(); }
  const Outcome& start_outcome() const override { return start_; }
  const Module& module() const override { return module_; }

 private:
  const decode::Export* find(const std::string& name) const {
    for (const auto& e : detail::Access::impl(module_).decoded->exports)
      if (e.name == name) return &e;
    return nullptr;
  }

  fast::ImportItem resolve_import(const decode::Module& m, const decode::Import& import, const ExternType& wanted,
                                  const Linker& linker) {
    const std::string qualified = import.module + "." + import.name;
    if (const Extern* item = linker.find_extern(import.module, import.name)) {
      require_same_store(state_->store(), module_.name(), qualified, *item);
      auto* own = dynamic_cast<const FastExtern*>(&detail::Access::impl(*item));
      if (!own || own->state() != state_.get())
        throw LinkError(fmt::format("{}: import {} is {}, which is not an interpreter-tier item; instances linked "
                                    "to each other must all run in the interpreter",
                                    module_.name(), qualified, item->description()));
      require_matching_type(module_.name(), qualified, wanted, *item);
      return own->item();
    }
    if (wanted.kind != ExternKind::Func) throw_undefined_item_import(module_.name(), qualified, wanted.kind);
    const HostDefinition* def = linker.find(import.module, import.name);
    if (!def)
      throw LinkError(fmt::format("{}: unknown import: function {} {} is not provided by the host", module_.name(),
                                  qualified, wanted.func.to_string()));
    if (def->type != wanted.func)
      throw LinkError(fmt::format("{}: import {} has type {}, but the host function has type {}", module_.name(),
                                  qualified, wanted.func.to_string(), def->type.to_string()));
    // The function is copied: an instance may outlive the linker it was made with.
    fast::Func* f = state_->new_func(m.types[import.type_index]);
    f->is_host = true;
    f->host = def->function;
    f->caller_memory = caller_memory_;
    f->name = qualified;
    f->public_type = def->type;
    fast::ImportItem out;
    out.func = f;
    return out;
  }

  std::shared_ptr<FastStore> state_;
  Module module_;
  std::shared_ptr<CallerMemory> caller_memory_;
  fast::Instance* instance_ = nullptr;
  Outcome start_;
  bool failed_start_ = false;
};

class FastModule final : public TierModule {
 public:
  explicit FastModule(const ModuleImpl& module)
      : code_(std::make_shared<fast::ModuleCode>(module.bytes, module.decoded)) {}
  FastModule(const ModuleImpl& module, const hot::HotPlan& plan) : FastModule(module) {
    plan_ = plan;
    hot_ = hot::load_hot_code(plan, module.decoded->bodies.size());
    if (hot_) code_->use_native(hot_);
  }
  ~FastModule() override {
    if (!plan_) return;
    try {
      hot::record_run(*plan_, code_->used_functions(), hot_.get());
    } catch (...) {
      // Out of memory listing them: the next run records its own.
    }
  }
  size_t hot_functions() const { return hot_ ? hot_->compiled_count() : 0; }

  std::unique_ptr<TierInstance> instantiate(Store& store, const Module& module, const Linker& linker) const override {
    auto state = detail::Access::tier_state<FastStore>(store, [&store] { return std::make_shared<FastStore>(store); });
    state->keep_alive(code_);
    return std::make_unique<FastInstance>(std::move(state), module, linker, code_);
  }

  const fast::ModuleCode& code() const { return *code_; }

 private:
  std::shared_ptr<const fast::ModuleCode> code_;
  std::optional<hot::HotPlan> plan_;
  std::shared_ptr<const hot::HotLibrary> hot_;
};

}  // namespace

std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module) {
  return std::make_shared<FastModule>(module);
}

std::shared_ptr<const TierModule> compile_fast_interp(const ModuleImpl& module, const hot::HotPlan& plan) {
  return std::make_shared<FastModule>(module, plan);
}

size_t fast_interp_hot_functions(const TierModule& module) {
  auto* fast_module = dynamic_cast<const FastModule*>(&module);
  return fast_module ? fast_module->hot_functions() : 0;
}

size_t fast_interp_translated_functions(const TierModule& module) {
  auto* fast_module = dynamic_cast<const FastModule*>(&module);
  return fast_module ? fast_module->code().translated_count() : 0;
}

std::vector<uint32_t> fast_interp_used_functions(const TierModule& module) {
  auto* fast_module = dynamic_cast<const FastModule*>(&module);
  return fast_module ? fast_module->code().used_functions() : std::vector<uint32_t>{};
}

bool fast_interp_use_native(const TierModule& module, std::shared_ptr<const hot::HotLibrary> library) {
  auto* fast_module = dynamic_cast<const FastModule*>(&module);
  if (!fast_module) return false;
  fast_module->code().use_native(std::move(library));
  return true;
}

std::shared_ptr<const hot::HotLibrary> use_hot_code(const Module& module, std::vector<uint32_t> functions,
                                                    const std::filesystem::path& directory) {
  const ModuleImpl& impl = Access::impl(module);
  if (functions.empty()) {
    functions.resize(impl.decoded->bodies.size());
    std::iota(functions.begin(), functions.end(), 0u);
  }
  std::shared_ptr<const hot::HotLibrary> library = hot::HotLibrary::build(*impl.decoded, *impl.bytes, functions, directory);
  if (!fast_interp_use_native(*impl.tier, library))
    throw std::runtime_error(fmt::format("{}: hot code is for modules in the interpreter tier", module.name()));
  return library;
}

}  // namespace wasmlet::detail
