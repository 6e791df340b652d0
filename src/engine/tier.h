// The seam between the tier-independent engine and an execution tier.
// A tier compiles a ModuleImpl into a TierModule, and a
// TierModule instantiates into TierInstances. Everything a tier must honour
// (imports from the Linker, the Store's limits, the metering import, traps
// reported as TrapInfo) is described in docs/architecture.md.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/decode/decoded_module.h"
#include "wasmlet/extern.h"
#include "wasmlet/guest_memory.h"
#include "wasmlet/module.h"
#include "wasmlet/outcome.h"
#include "wasmlet/value.h"

namespace wasmlet {
class Store;
class Linker;
class Engine;
}  // namespace wasmlet

namespace wasmlet::detail {

// One call into the guest, for the Store's deadline bookkeeping.
class DeadlineScope {
 public:
  explicit DeadlineScope(Store& store);
  ~DeadlineScope();
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;

 private:
  Store& store_;
};

// What an Extern refers to, implemented by the tier that made it.
class ExternImpl {
 public:
  ExternImpl(Store& store, ExternKind kind, FuncType func, std::string description)
      : store_(store), kind_(kind), func_(std::move(func)), description_(std::move(description)) {}
  virtual ~ExternImpl() = default;
  Store& store() const { return store_; }
  ExternKind kind() const { return kind_; }
  const FuncType& func() const { return func_; }
  const std::string& description() const { return description_; }
  virtual ExternType type() const = 0;
  // Func: arguments already checked against func().
  virtual Outcome call(std::span<const Value> args) const = 0;
  // Memory: a view of it now.
  virtual GuestMemory memory() const = 0;

 private:
  Store& store_;
  ExternKind kind_;
  FuncType func_;
  std::string description_;
};

class TierInstance {
 public:
  virtual ~TierInstance() = default;
  // Calls an export whose arguments were already checked against its type.
  virtual Outcome call(const ExportInfo& function, std::span<const Value> args) = 0;
  // An export as an Extern; nullopt if the tier cannot share this kind
  // (Instance then offers functions through call()).
  virtual std::optional<Extern> get_export(const ExportInfo&) { return std::nullopt; }
  virtual GuestMemory memory() = 0;
  virtual const Outcome& start_outcome() const = 0;
  virtual const Module& module() const = 0;
};

class TierModule {
 public:
  virtual ~TierModule() = default;
  virtual std::unique_ptr<TierInstance> instantiate(Store& store, const Module& module, const Linker& linker) const = 0;
};

// Tier-independent facts about a module, decoded once at compile time.
struct ModuleImpl {
  std::string name;
  // The module's original bytes, as given to Module::compile (shared: tiers
  // that translate lazily keep them as long as their code may need them).
  std::shared_ptr<const std::vector<uint8_t>> bytes;
  // SHA-256 (hex) of `bytes`, what the AOT and hot-code cache keys start
  // from. Module::compile starts hashing a large module beside its decoding
  // when a cache may hold code for it; otherwise it is hashed on first use.
  std::shared_future<std::string> digest;
  // What wasmlet's decoder learnt from `bytes` (its byte ranges refer to them).
  std::shared_ptr<const decode::Module> decoded;
  std::vector<ImportInfo> imports;  // the guest's own imports (not wasmlet's metering import)
  std::vector<ExportInfo> exports;  // the guest's own exports
  // Declared types (limits, element and global types), parallel to imports and exports.
  std::vector<ExternType> import_types, export_types;
  // By function index of the metered binary (metered_binary(): the refuel
  // import is function `imports`); from the name section, else "func[N]"
  // with N the index in the module as the user built it.
  std::vector<std::string> function_names;
  std::vector<uint64_t> table_initial_entries;  // the tables the module defines (not imports)
  std::vector<uint64_t> memory_initial_pages;   // the memories the module defines
  std::vector<std::pair<std::string, std::vector<uint8_t>>> custom_sections;
  std::shared_ptr<const TierModule> tier;
};

// Compiles a module for the interpreter tier: wasmlet's own interpreter
// (src/engine/fast/, docs/engine-interpreter.md).
std::shared_ptr<const TierModule> compile_interp(const ModuleImpl& module);

// The module's binary after the metering rewrite (metering.h), read into
// wabt's IR, validated by wabt and re-encoded: what the AOT tier's C writer
// compiles. Made on demand, only when an artifact is built, so that loading
// a module (and a warm native start) does no rewrite. Throws CompileError.
std::vector<uint8_t> metered_binary(const ModuleImpl& module);
// How many times metered_binary() ran in this process (for tests).
uint64_t metering_rewrites_done();

// Linking an Extern to import `qualified` ("module.name") of `importer`:
// the LinkErrors both tiers give, worded once (src/engine/extern.cpp).
// Throws unless `item` lives in `store`.
void require_same_store(const Store& store, const std::string& importer, const std::string& qualified,
                        const Extern& item);
// Throws unless `item`'s type matches the import's type `wanted`.
void require_matching_type(const std::string& importer, const std::string& qualified, const ExternType& wanted,
                           const Extern& item);
// The error for a memory, table or global import nobody defined.
[[noreturn]] void throw_undefined_item_import(const std::string& importer, const std::string& qualified,
                                              ExternKind kind);

}  // namespace wasmlet::detail
