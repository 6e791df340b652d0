// The interpreter tier: wabt's spec interpreter (behind wabt_interp.h)
// running the metered binary. Instant start and no compiler needed; about
// two orders of magnitude slower than native code (the AOT tier is the fast one).
// All instances of one Store live in one interp::Space, so they can import
// each other's functions, tables, memories and globals (Linker::define with
// an Extern); the Store's limits apply to them together (interp_store.h).
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "engine/interp/interp_store.h"
#include "engine/interp/interp_values.h"
#include "engine/interp/wabt_interp.h"
#include "engine/metering.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/linker.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

namespace {

// Calling a guest function, a memory: Externs of this tier.
class InterpExtern final : public ExternImpl {
 public:
  InterpExtern(std::shared_ptr<InterpStore> state, interp::ItemRef item, ExternKind kind, FuncType func,
               std::string description)
      : ExternImpl(state->store(), kind, std::move(func), std::move(description)),
        state_(std::move(state)), item_(item), pin_(state_->space().pin(item)) {}

  ExternType type() const override { return extern_type_of(state_->space().type_of(item_)); }
  Outcome call(std::span<const Value> args) const override { return state_->call(item_, args); }
  GuestMemory memory() const override { return state_->memory(item_); }
  const InterpStore* state() const { return state_.get(); }
  interp::ItemRef item() const { return item_; }

 private:
  std::shared_ptr<InterpStore> state_;
  interp::ItemRef item_;
  std::shared_ptr<interp::Pin> pin_;
};

// What a host function imported by an instance sees as "the caller's memory".
// Shared with the host functions (which may outlive the instance in a table).
class CallerMemory final : public MemorySource {
 public:
  explicit CallerMemory(InterpStore& state) : state_(state) {}
  GuestMemory memory() override { return item ? state_.memory(*item) : GuestMemory(); }
  std::optional<interp::ItemRef> item;

 private:
  InterpStore& state_;
};

class InterpInstance final : public TierInstance {
 public:
  InterpInstance(std::shared_ptr<InterpStore> state, const Module& module, const Linker& linker,
                 const interp::DecodedModule& decoded)
      : state_(std::move(state)), module_(module), caller_memory_(std::make_shared<CallerMemory>(*state_)) {
    std::vector<interp::ImportBinding> bindings;
    std::optional<interp::ItemRef> imported_memory;
    for (const auto& import : decoded.imports()) {
      bindings.push_back(resolve_import(import, linker));
      if (import.type.kind == interp::XKind::Memory && !imported_memory) imported_memory = bindings.back().item;
    }
    auto made = state_->instantiate(module_, decoded, std::move(bindings), start_);
    id_ = made.id;
    *instance_id_ = made.id;
    if (!made.start.ok) {
      failed_start_ = true;
      return;
    }
    for (const auto& e : made.exports) exports_.emplace_back(e.name, e.ref);
    // The caller's memory: the exported "memory", else an imported one (the
    // preview1 adapter imports its main module's), else the first defined one.
    for (const auto& e : made.exports)
      if (e.kind == interp::XKind::Memory && e.name == "memory") caller_memory_->item = e.ref;
    if (!caller_memory_->item) caller_memory_->item = imported_memory;
    if (!caller_memory_->item && !made.defined_memories.empty()) caller_memory_->item = made.defined_memories[0];
  }

  ~InterpInstance() override {
    caller_memory_->item.reset();
    state_->release(id_);
  }

  Outcome call(const ExportInfo& function, std::span<const Value> args) override {
    if (failed_start_) return start_;
    return state_->call(*find(function.name), args);
  }

  std::optional<Extern> get_export(const ExportInfo& e) override {
    if (failed_start_) return std::nullopt;
    auto item = find(e.name);
    if (!item) return std::nullopt;
    return Extern(std::make_shared<InterpExtern>(state_, *item, e.kind, e.type,
                                                 fmt::format("{} export {}", module_.name(), e.name)));
  }

  GuestMemory memory() override { return caller_memory_->memory(); }
  const Outcome& start_outcome() const override { return start_; }
  const Module& module() const override { return module_; }

 private:
  std::optional<interp::ItemRef> find(const std::string& name) const {
    for (const auto& [export_name, ref] : exports_)
      if (export_name == name) return ref;
    return std::nullopt;
  }

  interp::ImportBinding resolve_import(const interp::ImportRequest& import, const Linker& linker) {
    const std::string qualified = import.module + "." + import.name;
    const ExternType wanted = extern_type_of(import.type);
    if (import.module == kMeterModule && import.name == kRefuelName) return {state_->refuel_function(instance_id_), std::nullopt};
    if (const Extern* item = linker.find_extern(import.module, import.name)) {
      require_same_store(state_->store(), module_.name(), qualified, *item);
      auto* own = dynamic_cast<const InterpExtern*>(&item->impl());
      if (!own || own->state() != state_.get())
        throw LinkError(fmt::format("{}: import {} is {}, which is not an interpreter-tier item; instances linked "
                                    "to each other must all run in the interpreter",
                                    module_.name(), qualified, item->description()));
      require_matching_type(module_.name(), qualified, wanted, *item);
      return {nullptr, own->item()};
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
    return {state_->host_function(qualified, def->function, caller_memory_), std::nullopt};
  }

  std::shared_ptr<InterpStore> state_;
  Module module_;
  std::shared_ptr<CallerMemory> caller_memory_;
  std::shared_ptr<uint64_t> instance_id_ = std::make_shared<uint64_t>(0);
  uint64_t id_ = 0;
  std::vector<std::pair<std::string, interp::ItemRef>> exports_;
  Outcome start_;
  bool failed_start_ = false;
};

class InterpModule final : public TierModule {
 public:
  explicit InterpModule(const ModuleImpl& module) {
    std::string error;
    decoded_ = interp::DecodedModule::decode(module.name, module.metered.data(), module.metered.size(), error);
    if (!decoded_) throw CompileError(fmt::format("{}: the interpreter rejected the module: {}", module.name, error));
  }

  std::unique_ptr<TierInstance> instantiate(Store& store, const Module& module, const Linker& linker) const override {
    auto state = store.tier_state<InterpStore>([&store] { return std::make_shared<InterpStore>(store); });
    return std::make_unique<InterpInstance>(std::move(state), module, linker, *decoded_);
  }

 private:
  std::shared_ptr<const interp::DecodedModule> decoded_;
};

}  // namespace

std::shared_ptr<const TierModule> compile_wabt_interp(const ModuleImpl& module) {
  return std::make_shared<InterpModule>(module);
}

}  // namespace wasmlet::detail
