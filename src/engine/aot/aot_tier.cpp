#include "engine/aot/aot_tier.h"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>
#include <wasm-rt.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/aot/aot_abi.h"
#include "engine/aot/aot_extern.h"
#include "engine/aot/aot_store.h"
#include "engine/aot/artifact_cache.h"
#include "engine/aot/background_compile.h"
#include "engine/aot/c_codegen.h"
#include "engine/aot/c_split.h"
#include "engine/aot/interrupt_watch.h"
#include "engine/aot/native_compiler.h"
#include "engine/aot/wasm_rt_runtime.h"
#include "engine/fast/fast_tier.h"
#include "engine/hot/hot_cache.h"
#include "engine/metering.h"
#include "engine/own_stack.h"
#include "engine/trap_messages.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

namespace {

void emit(const std::function<void(const std::string&)>& sink, const std::string& message, bool tty_only) {
  if (sink) return sink(message);
  if (tty_only && !isatty(2)) return;
  std::fprintf(stderr, "wasmlet: %s%s\n", tty_only ? "" : "note: ", message.c_str());
}

// A loaded artifact: one build (Checks::Fuel or Checks::None) of a module.
class Artifact {
 public:
  // Returns null (and says why in `error`) if the file is not a usable artifact for `key`.
  static std::shared_ptr<const Artifact> load(const std::filesystem::path& path, const std::string& key,
                                              Checks checks, std::string& error) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      error = e ? e : "dlopen failed";
      return nullptr;
    }
    auto entry = reinterpret_cast<wasmlet_aot_entry_fn>(dlsym(handle, WASMLET_AOT_ENTRY));
    const wasmlet_aot_module* module = entry ? entry(host_table()) : nullptr;
    if (!module || module->abi != WASMLET_AOT_ABI || !module->key || key != module->key) {
      error = "stale artifact (ABI or key mismatch)";
      dlclose(handle);
      return nullptr;
    }
    module->init_module();
    return std::shared_ptr<const Artifact>(new Artifact(handle, module, checks));
  }
  ~Artifact() { dlclose(handle_); }
  const wasmlet_aot_module& entry() const { return *entry_; }
  Checks checks() const { return checks_; }
  int export_index(const std::string& name) const {
    auto it = exports_.find(name);
    return it == exports_.end() ? -1 : static_cast<int>(it->second);
  }
  int memory_export() const { return memory_export_; }
  int budget_export() const { return budget_export_; }

  // The function index (in the metered module) of the guest function a trap
  // happened in: by the C name the trap site reported, else by address.
  std::optional<uint32_t> trapping_function(const char* c_name, const void* pc) const {
    std::call_once(lookup_once_, [this] {
      for (uint32_t i = 0; i < entry_->num_functions; ++i) by_name_.emplace(entry_->functions[i].name, i);
      for (uint32_t i = 0; entry_->functions[i].code; ++i) {
        uint32_t index = i;
        if (i >= entry_->num_functions) {  // a wrapper: the function it wraps, if named
          auto it = entry_->functions[i].name ? by_name_.find(entry_->functions[i].name) : by_name_.end();
          index = it == by_name_.end() ? kNotGuest : it->second;
        }
        by_address_.emplace_back(static_cast<const char*>(entry_->functions[i].code), index);
      }
      std::sort(by_address_.begin(), by_address_.end());
    });
    if (c_name) {
      if (auto it = by_name_.find(c_name); it != by_name_.end()) return entry_->first_function_index + it->second;
    }
    // By address: the function whose code contains `pc`. When gcc inlined
    // the trapping function into its caller, that is the caller.
    auto p = static_cast<const char*>(pc);
    if (!p || p < entry_->guest_text_begin || p >= entry_->guest_text_end) return std::nullopt;
    auto it = std::upper_bound(by_address_.begin(), by_address_.end(), std::make_pair(p, kNotGuest));
    if (it == by_address_.begin() || std::prev(it)->second == kNotGuest) return std::nullopt;
    return entry_->first_function_index + std::prev(it)->second;
  }

 private:
  Artifact(void* handle, const wasmlet_aot_module* entry, Checks checks)
      : handle_(handle), entry_(entry), checks_(checks) {
    for (uint32_t i = 0; i < entry->num_exports; ++i) {
      const auto& x = entry->exports[i];
      const std::string name(x.name, x.name_length);
      exports_[name] = i;
      if (x.kind == WASMLET_EXPORT_MEMORY && (memory_export_ < 0 || name == "memory"))
        memory_export_ = static_cast<int>(i);
      if (x.kind == WASMLET_EXPORT_GLOBAL && name == kBudgetExport) budget_export_ = static_cast<int>(i);
    }
  }
  void* handle_;
  const wasmlet_aot_module* entry_;
  Checks checks_;
  std::unordered_map<std::string, uint32_t> exports_;
  int memory_export_ = -1;
  int budget_export_ = -1;
  static constexpr uint32_t kNotGuest = UINT32_MAX;
  mutable std::once_flag lookup_once_;
  mutable std::unordered_map<std::string_view, uint32_t> by_name_;
  mutable std::vector<std::pair<const char*, uint32_t>> by_address_;
};

TrapKind kind_of(uint32_t code) {
  switch (code) {
    case WASM_RT_TRAP_OOB: return TrapKind::MemoryOutOfBounds;
    case WASM_RT_TRAP_INT_OVERFLOW: return TrapKind::IntegerOverflow;
    case WASM_RT_TRAP_DIV_BY_ZERO: return TrapKind::IntegerDivideByZero;
    case WASM_RT_TRAP_INVALID_CONVERSION: return TrapKind::InvalidConversion;
    case WASM_RT_TRAP_UNREACHABLE: return TrapKind::Unreachable;
    case WASM_RT_TRAP_CALL_INDIRECT: return TrapKind::IndirectCallTypeMismatch;
    case WASM_RT_TRAP_EXHAUSTION: return TrapKind::StackExhausted;
    case WASMLET_TRAP_TABLE_BOUNDS: return TrapKind::TableOutOfBounds;
    case WASMLET_TRAP_NULL_ELEMENT: return TrapKind::UninitializedElement;
    default: return TrapKind::Other;
  }
}

// The interpreter's (wabt's) wording; out-of-bounds faults use the shared
// wording of trap_messages.h.
std::string message_of(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return "unreachable executed";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call signature mismatch";
    case TrapKind::UninitializedElement: return "uninitialized table element";
    case TrapKind::TableOutOfBounds: return "undefined table index";
    default: return to_string(kind);
  }
}

// One instance of an artifact. Shared: the instance and the Externs of its
// memories, tables and globals own it, and the Store pins it if it imports
// a table (aot_store.h).
class AotInstance final : public MemorySource,
                          public InstanceContext,
                          public std::enable_shared_from_this<AotInstance> {
 public:
  AotInstance(std::shared_ptr<AotStore> shared, const Module& module, const Linker& linker,
              std::shared_ptr<const Artifact> artifact, bool guard_pages);
  ~AotInstance() override;

  Outcome call(const ExportInfo& function, std::span<const Value> args);
  std::optional<Extern> get_export(const ExportInfo& e);
  GuestMemory memory() override;
  const Outcome& start_outcome() const { return start_; }
  const Module& module() const { return module_; }
  bool call_import(uint32_t index, wasmlet_slot* slots) noexcept override;
  void* import_item(uint32_t index) noexcept override { return bindings_[index].item.item; }

 private:
  struct Binding {
    bool refuel = false;
    // Copied: an instance may outlive the Linker it was made with.
    std::optional<HostDefinition> host;
    LinkedItem item;  // a memory, table or global of another instance
    std::string qualified;
  };
  class CallDepth;
  void link(const Linker& linker);
  void check_memory_limit() const;
  // The Outcome of a call that trapped or exited, here or in a nested call.
  Outcome failure(const GuardedResult& result);
  std::string function_of(const GuardedResult& result) const;
  // Runs guest code, watched for stops if this build has no checks.
  GuardedResult run(void (*body)(void*), void* arg);

  Module module_;
  std::shared_ptr<const Artifact> artifact_;
  const wasmlet_aot_module& entry_;
  std::vector<Binding> bindings_;
  void* instance_ = nullptr;
  Outcome start_;
  bool failed_start_ = false;
};

// One level of guest execution, as in the interpreter (InterpStore::CallDepth):
// the outermost arms the deadline; each level settles fuel and memory.
class AotInstance::CallDepth {
 public:
  explicit CallDepth(AotInstance& i) : s_(i.shared()), deadline_(i.store()) { s_.enter(); }
  ~CallDepth() {
    if (settle_ && s_.metered()) s_.settle();
    detail::Access::set_memory_bytes(s_.store(), s_.memory_bytes());
    s_.leave();
  }
  // A start function that failed leaves no budget to read: refuel's count stays.
  void keep_fuel_count() { settle_ = false; }

 private:
  AotStore& s_;
  DeadlineScope deadline_;
  bool settle_ = true;
};

// What Instance sees: forwards to the shared AotInstance.
class AotTierInstance final : public TierInstance {
 public:
  explicit AotTierInstance(std::shared_ptr<AotInstance> instance) : i_(std::move(instance)) {}
  Outcome call(const ExportInfo& function, std::span<const Value> args) override { return i_->call(function, args); }
  std::optional<Extern> get_export(const ExportInfo& e) override { return i_->get_export(e); }
  GuestMemory memory() override { return i_->memory(); }
  const Outcome& start_outcome() const override { return i_->start_outcome(); }
  const Module& module() const override { return i_->module(); }

 private:
  std::shared_ptr<AotInstance> i_;
};

bool imports_table(const Module& module) {
  for (const auto& import : module.imports())
    if (import.kind == ExternKind::Table) return true;
  return false;
}

std::unique_ptr<TierInstance> make_instance(Store& store, const Module& module, const Linker& linker,
                                            std::shared_ptr<const Artifact> artifact, bool guard_pages) {
  auto shared = aot_store_of(store);
  auto instance = std::make_shared<AotInstance>(shared, module, linker, std::move(artifact), guard_pages);
  // Its functions may be in another instance's table now.
  if (imports_table(module)) shared->pin(instance);
  return std::make_unique<AotTierInstance>(std::move(instance));
}

// A module's AOT code. The build without checks is loaded up front; the
// fuel-counting build is compiled (or loaded from the cache) the first time
// a Store with a fuel limit instantiates the module.
class AotModule final : public TierModule {
 public:
  struct FuelBuild {
    std::function<std::shared_ptr<const Artifact>()> load_or_build;  // throws CompileError
  };
  AotModule(std::shared_ptr<const Artifact> unmetered, bool guard_pages, FuelBuild fuel_build,
            std::function<void(const std::string&)> note)
      : unmetered_(std::move(unmetered)), guard_pages_(guard_pages), fuel_build_(std::move(fuel_build)),
        note_(std::move(note)) {}

  std::unique_ptr<TierInstance> instantiate(Store& store, const Module& module, const Linker& linker) const override {
    if (!store.limits().fuel) return make_instance(store, module, linker, unmetered_, guard_pages_);
    std::shared_ptr<const TierModule> interp;
    std::shared_ptr<const Artifact> fuel;
    {
      std::lock_guard lock(fuel_mutex_);
      load_fuel_build();
      fuel = fuel_;
      if (!fuel) {
        if (!interp_) interp_ = compile_interp(Access::impl(module));
        interp = interp_;
      }
    }
    if (!fuel) return interp->instantiate(store, module, linker);
    return make_instance(store, module, linker, std::move(fuel), guard_pages_);
  }

  // Builds (or loads) the fuel-counting build now; false if it cannot be compiled.
  bool prepare_fuel_build() const {
    std::lock_guard lock(fuel_mutex_);
    load_fuel_build();
    return fuel_ != nullptr;
  }

 private:
  std::shared_ptr<const Artifact> unmetered_;
  bool guard_pages_;
  FuelBuild fuel_build_;
  std::function<void(const std::string&)> note_;
  // Under fuel_mutex_.
  void load_fuel_build() const {
    if (fuel_ || fuel_failed_) return;
    try {
      fuel_ = fuel_build_.load_or_build();
    } catch (const CompileError& e) {
      fuel_failed_ = true;
      note_(fmt::format("counting fuel in the interpreter: {}", e.what()));
    }
  }

  mutable std::mutex fuel_mutex_;
  mutable std::shared_ptr<const Artifact> fuel_;
  mutable bool fuel_failed_ = false;
  mutable std::shared_ptr<const TierModule> interp_;
};

AotInstance::AotInstance(std::shared_ptr<AotStore> shared, const Module& module, const Linker& linker,
                         std::shared_ptr<const Artifact> artifact, bool guard_pages)
    : InstanceContext(std::move(shared), guard_pages), module_(module), artifact_(std::move(artifact)),
      entry_(artifact_->entry()) {
  check_memory_limit();
  link(linker);
  // A funcref in a shared table may run this artifact's code under another
  // instance's call: the Store knows all of it (stops, trap reports).
  shared_->add_code(artifact_.get(), entry_.guest_text_begin, entry_.guest_text_end, artifact_,
                    [artifact = artifact_, module = module_](const char* c_name, const void* pc) -> std::string {
                      const auto& names = Access::impl(module).function_names;
                      auto index = artifact->trapping_function(c_name, pc);
                      return index && *index < names.size() ? names[*index] : std::string();
                    });
  instance_ = std::calloc(1, entry_.instance_size ? entry_.instance_size : 1);
  if (!instance_) throw Error(fmt::format("{}: out of memory creating an instance", module_.name()));
  struct Args {
    const wasmlet_aot_module* entry;
    void* instance;
    void* ctx;
  } args{&entry_, instance_, static_cast<InstanceContext*>(this)};
  CallDepth depth(*this);
  GuardedResult r = run([](void* p) {
    auto* a = static_cast<Args*>(p);
    a->entry->instantiate(a->instance, a->ctx);
  }, &args);
  if (r.code) {
    start_ = failure(r);
    failed_start_ = true;
    depth.keep_fuel_count();
  } else if (artifact_->budget_export() >= 0) {
    shared_->add_meter(this, static_cast<int64_t*>(entry_.exports[artifact_->budget_export()].get(instance_)));
  }
}

// The interpreter's rule and wording (InterpStore::start_caps): the
// memories this instance defines, with those the Store's other instances
// use, must fit under the limit.
void AotInstance::check_memory_limit() const {
  const auto limit = store().limits().max_memory_bytes;
  if (!limit) return;
  const uint64_t limit_pages = *limit / kPageSize, used_pages = shared_->memory_bytes() / kPageSize,
                 initial = entry_.initial_memory_pages;
  if (used_pages + initial <= limit_pages) return;
  throw LinkError(initial_memory_over_limit_message(module_.name(), initial * kPageSize, used_pages * kPageSize, *limit));
}

void AotInstance::link(const Linker& linker) {
  const auto& imports = module_.imports();
  const auto& types = Access::impl(module_).import_types;
  for (uint32_t i = 0; i < entry_.num_imports; ++i) {
    const auto& import = entry_.imports[i];
    const std::string mod(import.module, import.module_length), name(import.name, import.name_length);
    Binding b;
    b.qualified = mod + "." + name;
    if (mod == kMeterModule && name == kRefuelName) {
      b.refuel = true;
      bindings_.push_back(std::move(b));
      continue;
    }
    size_t at = 0;
    while (at < imports.size() && !(imports[at].module == mod && imports[at].name == name)) ++at;
    if (at == imports.size()) throw Error(fmt::format("{}: AOT: the artifact's import {} is not the module's", module_.name(), b.qualified));
    if (entry_.imports[i].kind != WASMLET_EXPORT_FUNC) {
      b.item = link_item(*shared_, module_.name(), mod, name, types[at], linker);
      bindings_.push_back(std::move(b));
      continue;
    }
    const FuncType& wanted = imports[at].type;
    if (const Extern* item = linker.find_extern(mod, name))
      check_extern(*shared_, module_.name(), mod, name, types[at], *item);
    const HostDefinition* def = linker.find(mod, name);
    if (!def)
      throw LinkError(fmt::format("{}: unknown import: function {} {} is not provided by the host", module_.name(),
                                  b.qualified, wanted.to_string()));
    if (def->type != wanted)
      throw LinkError(fmt::format("{}: import {} has type {}, but the host function has type {}", module_.name(),
                                  b.qualified, wanted.to_string(), def->type.to_string()));
    b.host = *def;
    bindings_.push_back(std::move(b));
  }
}

AotInstance::~AotInstance() {
  shared_->remove_meter(this);
  if (!instance_) return;
  ScopedContext scope(*this);
  entry_.free_instance(instance_);
  std::free(instance_);
}

GuardedResult AotInstance::run(void (*body)(void*), void* arg) {
  if (artifact_->checks() == Checks::None) {
    WatchScope watch(store());
    return run_guarded(*this, body, arg, watch.stop_flag());
  }
  return run_guarded(*this, body, arg);
}

std::optional<Extern> AotInstance::get_export(const ExportInfo& e) {
  if (failed_start_ || e.kind == ExternKind::Func) return std::nullopt;  // functions: Instance calls through call()
  const int index = artifact_->export_index(e.name);
  if (index < 0 || !entry_.exports[index].get) return std::nullopt;
  const auto& exports = module_.exports();
  const size_t at = static_cast<size_t>(&e - exports.data());
  if (at >= exports.size()) return std::nullopt;
  return Extern(std::make_shared<AotItemExtern>(shared_, shared_from_this(), entry_.exports[index].get(instance_),
                                                Access::impl(module_).export_types[at],
                                                fmt::format("{} export {}", module_.name(), e.name)));
}

GuestMemory AotInstance::memory() {
  if (!instance_) return {};
  const wasm_rt_memory_t* mem = nullptr;
  // As in the interpreter: the exported "memory", else an imported one (the
  // preview1 adapter imports its main module's).
  if (artifact_->memory_export() >= 0) {
    mem = static_cast<wasm_rt_memory_t*>(entry_.exports[artifact_->memory_export()].get(instance_));
  } else {
    for (uint32_t i = 0; i < entry_.num_imports && !mem; ++i)
      if (entry_.imports[i].kind == WASMLET_EXPORT_MEMORY) mem = static_cast<wasm_rt_memory_t*>(bindings_[i].item.item);
  }
  return mem ? GuestMemory(mem->data, mem->size) : GuestMemory();
}

bool AotInstance::call_import(uint32_t index, wasmlet_slot* slots) noexcept {
  const Binding& b = bindings_[index];
  AotStore& s = *shared_;
  try {
    if (b.refuel) {
      slots[0].i64 = static_cast<uint64_t>(s.refuel(this, static_cast<int64_t>(slots[0].i64)));
      return true;
    }
    const FuncType& type = b.host->type;
    std::array<Value, 8> small_args, small_results;
    std::vector<Value> big_args, big_results;
    std::span<Value> args = type.params.size() <= 8 ? std::span<Value>(small_args.data(), type.params.size())
                                                    : (big_args.resize(type.params.size()), std::span<Value>(big_args));
    std::span<Value> results = type.results.size() <= 8
                                   ? std::span<Value>(small_results.data(), type.results.size())
                                   : (big_results.resize(type.results.size()), std::span<Value>(big_results));
    for (size_t i = 0; i < args.size(); ++i) {
      switch (type.params[i]) {
        case ValType::I32: args[i] = Value::i32(static_cast<int32_t>(slots[i].i32)); break;
        case ValType::I64: args[i] = Value::i64(static_cast<int64_t>(slots[i].i64)); break;
        case ValType::F32: args[i] = Value::f32(slots[i].f32); break;
        default: args[i] = Value::f64(slots[i].f64); break;
      }
    }
    for (size_t i = 0; i < results.size(); ++i) results[i] = Value::zero(type.results[i]);
    Caller caller(store(), *this, b.qualified);
    b.host->function(caller, args, results);
    // A nested call that exited or trapped ends this call too, whatever the
    // host function made of its Outcome.
    if (s.pending()) return false;
    for (size_t i = 0; i < results.size(); ++i) {
      switch (type.results[i]) {
        case ValType::I32: slots[i].i32 = results[i].as_u32(); break;
        case ValType::I64: slots[i].i64 = results[i].as_u64(); break;
        case ValType::F32: slots[i].f32 = results[i].as_f32(); break;
        default: slots[i].f64 = results[i].as_f64(); break;
      }
    }
    return true;
  } catch (...) {
    s.keep_host_failure(b.qualified);
  }
  return false;
}

Outcome AotInstance::call(const ExportInfo& function, std::span<const Value> args) {
  if (failed_start_) return start_;
  const int index = artifact_->export_index(function.name);
  if (index < 0) throw UsageError(fmt::format("{}: export '{}' is not reachable in the AOT tier", module_.name(), function.name));
  const size_t n = std::max<size_t>({1, args.size(), function.type.results.size()});
  std::array<wasmlet_slot, 16> small{};
  std::vector<wasmlet_slot> big;
  wasmlet_slot* slots = n <= small.size() ? small.data() : (big.resize(n), big.data());
  for (size_t i = 0; i < args.size(); ++i) {
    switch (args[i].type()) {
      case ValType::I32: slots[i].i32 = args[i].as_u32(); break;
      case ValType::I64: slots[i].i64 = args[i].as_u64(); break;
      case ValType::F32: slots[i].f32 = args[i].as_f32(); break;
      case ValType::F64: slots[i].f64 = args[i].as_f64(); break;
      default: throw UsageError("AOT tier: reference and vector arguments are not supported");
    }
  }
  struct CallArgs {
    void (*invoke)(void*, wasmlet_slot*);
    void* instance;
    wasmlet_slot* slots;
  } call_args{entry_.exports[index].invoke, instance_, slots};
  CallDepth depth(*this);
  GuardedResult r = run([](void* p) {
    auto* a = static_cast<CallArgs*>(p);
    a->invoke(a->instance, a->slots);
  }, &call_args);
  if (r.code) return failure(r);
  Outcome outcome;
  for (size_t i = 0; i < function.type.results.size(); ++i) {
    switch (function.type.results[i]) {
      case ValType::I32: outcome.results.push_back(Value::i32(static_cast<int32_t>(slots[i].i32))); break;
      case ValType::I64: outcome.results.push_back(Value::i64(static_cast<int64_t>(slots[i].i64))); break;
      case ValType::F32: outcome.results.push_back(Value::f32(slots[i].f32)); break;
      default: outcome.results.push_back(Value::f64(slots[i].f64)); break;
    }
  }
  return outcome;
}

// The guest function a trap happened in: found by address among all the
// Store's artifacts (a funcref may have run another artifact's code), else
// in this instance's artifact by the trap site's C name.
std::string AotInstance::function_of(const GuardedResult& result) const {
  std::string name = shared_->function_at(result.function, result.pc);
  if (name.empty()) {
    const auto& names = Access::impl(module_).function_names;
    if (auto index = artifact_->trapping_function(result.function, result.pc); index && *index < names.size())
      name = names[*index];
  }
  return name;
}

Outcome AotInstance::failure(const GuardedResult& result) {
  AotStore& s = *shared_;
  if (!s.pending()) {
    if (result.code == WASMLET_TRAP_STOP) {
      // Say why while the deadline is still armed, as the metered builds do.
      try {
        check_stop(store());
        s.keep_first_trap(TrapInfo{TrapKind::Interrupted, "the guest was interrupted", {}});
      } catch (const MeterTrap& e) {
        s.keep_first_trap(TrapInfo{e.kind, e.message, {}});
      }
    } else if (result.code == WASMLET_TRAP_HOST) {
      s.keep_first_trap(TrapInfo{TrapKind::Other, runtime_error.empty() ? "runtime error" : runtime_error, {}});
    } else {
      TrapInfo trap;
      trap.kind = kind_of(result.code);
      trap.message = result.memory_fault ? memory_out_of_bounds_message(result.fault_offset, result.memory_size)
                                         : message_of(trap.kind);
      trap.function = function_of(result);
      s.keep_first_trap(std::move(trap));
    }
  }
  return s.take_failure(function_of(result));
}

// What one compiler process needs at least to compile a unit of a split
// module (c_split.h): the memory limit is shared by at most limit/this of them.
constexpr uint64_t kMinCompilerMemory = uint64_t{768} << 20;

size_t available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Builds the artifact for `key` into `out` (the cache calls this under its lock).
void build_artifact(const std::vector<uint8_t>& wasm, const std::string& name, const std::string& key,
                    const ArtifactOptions& options, const std::function<void(const std::string&)>& progress,
                    const std::filesystem::path& out) {
  const auto start = std::chrono::steady_clock::now();
  // A module whose C would clearly be too large is not translated at all
  // (the translation itself holds it all in memory).
  const uint64_t max_c = options.limits.max_c_bytes;
  if (auto too_much = clearly_too_much_c(name, wasm.size(), options.limits)) throw CompileLimitHit(*too_much);
  CSources sources;
  // The fuel build is made later, on whatever thread first needs it.
  run_on_own_stack(kCompileStackBytes, [&] {
    sources = generate_c(wasm, name, key, options.fuel_checks ? Checks::Fuel : Checks::None);
  });
  if (sources.module_c.size() > max_c)
    throw CompileLimitHit(fmt::format("{}: AOT: the module makes {} KiB of C, more than the limit of {} KiB "
                                      "(WASMLET_AOT_MAX_C_BYTES, docs/aot.md)",
                                      name, sources.module_c.size() / 1024, max_c / 1024));
  const auto dir = out.parent_path();
  auto write = [&](const std::string& file, const std::string& text) {
    std::ofstream f(dir / file, std::ios::binary);
    f << text;
    if (!f) throw Error(fmt::format("AOT: cannot write {}", (dir / file).string()));
  };
  // Large modules: several translation units, compiled in parallel, each
  // within its share of the memory limit (c_split.h).
  std::vector<TranslationUnit> units = split_module_c(sources.module_c, options.split);
  sources.module_c.clear();
  sources.module_c.shrink_to_fit();
  const size_t kib = [&] {
    size_t bytes = 0;
    for (const auto& u : units) bytes += u.text.size();
    return bytes / 1024;
  }();
  std::vector<CompileUnit> compile_units;
  for (size_t i = 0; i < units.size(); ++i) {
    const std::string file = units.size() == 1 ? "module.c" : fmt::format("module-{}.c", i);
    write(file, units[i].text);
    CompileUnit unit{dir / file, {}};
    if (units.size() > 1 && options.opt_level > units[i].max_opt_level)
      unit.flags.push_back(fmt::format("-O{}", units[i].max_opt_level));
    compile_units.push_back(std::move(unit));
    units[i].text = std::string();
  }
  write("module.h", sources.module_h);
  write("glue.c", sources.glue_c);
  compile_units.push_back(CompileUnit{dir / "glue.c", {}});
  const bool long_compile = kib >= 256;
  if (long_compile)
    emit(progress, fmt::format("compiling {} to native code ({} KiB of C in {} units)...", name, kib, units.size()), true);
  std::vector<std::string> defines = {"WASM_RT_USE_STACK_DEPTH_COUNT=0"};
  defines.push_back(options.guard_pages ? "WASM_RT_MEMCHECK_SIGNAL_HANDLER=1" : "WASM_RT_MEMCHECK_SIGNAL_HANDLER=0");
  std::vector<std::string> flags = options.fuel_checks ? aot_fuel_cflags() : std::vector<std::string>{};
  if (options.opt_level != 2) flags.push_back(fmt::format("-O{}", options.opt_level));  // the last -O wins
  // As many compilers at once as there are CPUs, each with its share of the memory limit.
  CompilerLimits limits = options.limits.compiler;
  const size_t parallel = std::min<size_t>({available_cpus(), compile_units.size(),
                                            std::max<uint64_t>(1, limits.memory_bytes / kMinCompilerMemory)});
  if (compile_units.size() > 2) limits.memory_bytes /= parallel;
  CompilerResult result = compile_shared_object(options.compiler, compile_units, out, defines, limits, flags, parallel);
  if (result.limit_hit)
    throw CompileLimitHit(fmt::format("{}: AOT compilation stopped: {} (docs/aot.md, \"Compile limits\")", name,
                                      result.message));
  if (!result.ok) throw CompileError(fmt::format("{}: AOT compilation failed: {}", name, result.message));
  if (long_compile) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    emit(progress, fmt::format("compiled {} in {:.1f} s", name, s), true);
  }
}

}  // namespace

ArtifactOptions artifact_options(const EngineConfig& config) {
  return ArtifactOptions{compiler_command(config.compiler), guard_pages_available(), /*fuel_checks=*/false,
                         std::clamp(config.aot_opt_level, 0, 3), resolve_compile_limits(config.aot_limits)};
}

std::filesystem::path cache_dir(const Engine& engine) {
  return engine.config().cache_dir.empty() ? default_cache_dir() : engine.config().cache_dir;
}

bool runs_native(const Module& module) {
  return dynamic_cast<const AotModule*>(Access::impl(module).tier.get()) != nullptr;
}

bool prepare_fuel_build(const Module& module) {
  auto* aot = dynamic_cast<const AotModule*>(Access::impl(module).tier.get());
  return aot && aot->prepare_fuel_build();
}

namespace {

// The metered module the C is generated from. wasmlet's decoder accepted the
// module, so what wabt 1.0.32 refuses here uses a proposal wabt cannot read
// (tail calls, extended-const, multi-memory): it runs in the interpreter.
std::vector<uint8_t> metered_for_c(const ModuleImpl& module) {
  try {
    return metered_binary(module);
  } catch (const CompileError& e) {
    throw UnsupportedFeature(module.name, fmt::format("a proposal wabt 1.0.32 cannot read ({})", e.what()));
  }
}

// Loads the build `options` describes from the cache, building it first if
// needed; rebuilds once if the cached file turns out unloadable.
std::shared_ptr<const Artifact> load_or_build(const ArtifactCache& cache, const ModuleImpl& module,
                                              const std::string& digest, const ArtifactOptions& options,
                                              const EngineConfig& config, bool build_if_missing) {
  const std::string key = artifact_key(digest, options);
  const Checks checks = options.fuel_checks ? Checks::Fuel : Checks::None;
  std::string error;
  if (auto hit = cache.lookup(key))
    if (auto artifact = Artifact::load(*hit, key, checks, error)) return artifact;
  if (!build_if_missing) return nullptr;
  auto build = [&](const std::filesystem::path& out) {
    build_artifact(metered_for_c(module), module.name, key, options, config.on_progress, out);
  };
  const auto path = cache.get_or_build(key, build);
  if (auto artifact = Artifact::load(path, key, checks, error)) return artifact;
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (auto artifact = Artifact::load(cache.get_or_build(key, build), key, checks, error)) return artifact;
  throw CompileError(fmt::format("{}: the AOT artifact cannot be loaded: {}", module.name, error));
}


// Tier::Auto, module not cached: it runs in the interpreter now, and a
// detached job (else a thread of this process) compiles it for the next run.
// False if no native code is coming (an earlier job failed, jobs are off).
bool compile_for_next_run(const ArtifactCache& cache, const ModuleImpl& module, const std::string& key,
                          const ArtifactOptions& options, const EngineConfig& config,
                          const std::function<void(const std::string&)>& note) {
  const std::string now = fmt::format("{}: running in the interpreter", module.name);
  if (auto helper = compile_helper(config)) {
    try {
      const JobStart job = start_detached_compile(*helper, cache, key, module.name, *module.bytes, options);
      switch (job.state) {
        case JobStart::State::Started:
          note(fmt::format("{} while native code is compiled in the background for the next run (log: {})", now,
                           job.detail));
          return true;
        case JobStart::State::Running:
          note(fmt::format("{} while another process compiles its native code", now));
          return true;
        case JobStart::State::FailedBefore:
          note(fmt::format("{}: its native code could not be compiled: {}", now, job.detail));
          return false;
        case JobStart::State::Off:
          note(fmt::format("{}: background compiles are off ({})", now, job.detail));
          return false;
      }
    } catch (const Error& e) {
      note(fmt::format("{}: cannot start a background compile: {}", now, e.what()));
      return false;
    }
  }
  // No wasmlet binary to run the job: a thread of this process compiles,
  // and the compile stops when the process exits.
  if (background_job_limit() == 0) {
    note(fmt::format("{}: background compiles are off", now));
    return false;
  }
  std::thread([cache, impl = module, digest = module.digest.get(), options, config] {
    try {
      load_or_build(cache, impl, digest, options, config, /*build_if_missing=*/true);
    } catch (...) {
      // The next run tries again (and reports the error if it compiles in the foreground).
    }
  }).detach();
  note(fmt::format("{} while this process compiles its native code in the background (no wasmlet binary found to "
                   "compile it in a process of its own: set WASMLET_COMPILE_HELPER)", now));
  return true;
}

// Tier::Auto, when the module will not get an AOT artifact: it runs in the
// interpreter, and the functions its runs call get native hot code in the
// background, for the runs after (docs/hot.md).
std::shared_ptr<const TierModule> interpret_for_good(const Engine& engine, const ModuleImpl& module, Policy policy,
                                                     const std::function<void(const std::string&)>& note) {
  if (policy != Policy::Auto) return compile_interp(module);
  const auto plan = hot::hot_plan(engine, module.name, module.bytes, module.digest.get());
  if (!plan) return compile_interp(module);
  auto tier = compile_fast_interp(module, *plan);
  if (const size_t n = fast_interp_hot_functions(*tier))
    note(fmt::format("{}: {} of its functions run as native hot code, compiled after earlier runs", module.name, n));
  else
    note(fmt::format("{}: the functions this run calls are compiled to native hot code after it, for the next run "
                     "(docs/hot.md)", module.name));
  return tier;
}

}  // namespace

std::shared_ptr<const TierModule> compile_aot(const Engine& engine, const ModuleImpl& module, Policy policy) {
  const auto& config = engine.config();
  // Auto is the default tier: why it does not run native code is said on a
  // terminal (or to on_note), never added to a script's stderr.
  const std::function<void(const std::string&)> note = [sink = config.on_note, policy](const std::string& message) {
    if (sink) return sink(message);
    if (policy == Policy::Always || isatty(2)) std::fprintf(stderr, "wasmlet: note: %s\n", message.c_str());
  };
  const ArtifactOptions options = artifact_options(config);
  ArtifactOptions fuel_options = options;
  fuel_options.fuel_checks = true;
  const ArtifactCache cache(cache_dir(engine));
  const std::string digest = module.digest.get();

  // The fuel-counting build, for Stores with a fuel limit: compiled on first use.
  auto make_tier = [&](std::shared_ptr<const Artifact> unmetered) -> std::shared_ptr<const TierModule> {
    AotModule::FuelBuild fuel{[cache, impl = module, digest, fuel_options, config] {
      return load_or_build(cache, impl, digest, fuel_options, config, /*build_if_missing=*/true);
    }};
    return std::make_shared<AotModule>(std::move(unmetered), options.guard_pages, std::move(fuel), note);
  };

  if (auto hit = load_or_build(cache, module, digest, options, config, /*build_if_missing=*/false))
    return make_tier(hit);

  if (!compiler_available(options.compiler)) {
    note(fmt::format("{}: running in the interpreter: no C compiler ('{}' not found; set CC or install cc)",
                     module.name, options.compiler));
    return compile_interp(module);
  }
  // The compile finds out whether the AOT tier supports the module's
  // features: reading it into wabt's IR here would delay the start.
  if (policy == Policy::Auto && module.bytes->size() > config.auto_compile_max_bytes) {
    if (compile_for_next_run(cache, module, artifact_key(digest, options), options, config, note))
      return compile_interp(module);
    return interpret_for_good(engine, module, policy, note);
  }
  try {
    return make_tier(load_or_build(cache, module, digest, options, config, /*build_if_missing=*/true));
  } catch (const UnsupportedFeature& e) {
    note(fmt::format("{}: running in the interpreter: the AOT tier cannot compile modules that use {}", module.name,
                     e.feature()));
    return interpret_for_good(engine, module, policy, note);
  } catch (const CompileLimitHit& e) {
    // Not the module's fault: it runs, more slowly, whatever the policy.
    note(fmt::format("running in the interpreter: {}", e.what()));
    return interpret_for_good(engine, module, policy, note);
  } catch (const CompileError& e) {
    if (policy == Policy::Always) throw;
    note(fmt::format("running in the interpreter: {}", e.what()));
    return interpret_for_good(engine, module, policy, note);
  }
}

}  // namespace wasmlet::detail::aot
