// The seam between the tier-independent engine and an execution tier.
// A tier compiles a ModuleImpl's metered binary into a TierModule, and a
// TierModule instantiates into TierInstances. Everything a tier must honour
// (imports from the Linker, the Store's limits, the metering import, traps
// reported as TrapInfo) is described in docs/architecture.md.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

class TierInstance {
 public:
  virtual ~TierInstance() = default;
  // Calls an export whose arguments were already checked against its type.
  virtual Outcome call(const ExportInfo& function, std::span<const Value> args) = 0;
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
  std::vector<uint8_t> metered;  // the binary after the metering rewrite: what tiers execute
  std::vector<ImportInfo> imports;  // the guest's own imports (not wasmlet's metering import)
  std::vector<ExportInfo> exports;  // the guest's own exports
  std::vector<std::string> function_names;  // by function index of the metered binary
  std::vector<std::pair<std::string, std::vector<uint8_t>>> custom_sections;
  std::shared_ptr<const TierModule> tier;
};

// Compiles a module for the interpreter tier (wabt's interpreter).
std::shared_ptr<const TierModule> compile_interp(const ModuleImpl& module);

}  // namespace wasmlet::detail
