// An AOT instance's memory, table or global as an Extern, and linking one
// to another AOT instance's import: the importer gets a pointer to the
// exporter's wasm-rt object (wasm_rt_memory_t, wasm_rt_funcref_table_t or
// the global's value), so both use the same one. The Extern keeps the
// exporting instance alive.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/tier.h"

namespace wasmlet {
class Linker;
}

namespace wasmlet::detail::aot {

class AotStore;

class AotItemExtern final : public ExternImpl {
 public:
  // `declared` is the export's type in the module; sizes are read from `item`.
  AotItemExtern(std::shared_ptr<AotStore> shared, std::shared_ptr<const void> owner, void* item, ExternType declared,
                std::string description);
  ExternType type() const override;
  Outcome call(std::span<const Value> args) const override;
  GuestMemory memory() const override;
  const AotStore* shared() const { return shared_.get(); }
  void* item() const { return item_; }

 private:
  std::shared_ptr<AotStore> shared_;
  std::shared_ptr<const void> owner_;
  void* item_;
  ExternType declared_;
};

// What a memory, table or global import is bound to.
struct LinkedItem {
  void* item = nullptr;
  std::optional<Extern> keep;  // holds the exporting instance
};

// Checks an Extern defined for import `module.name` (of type `wanted`) as
// the interpreter does: same Store, matching type. A function import is
// then called as a host function (Linker::find).
void check_extern(const AotStore& shared, const std::string& importer, const std::string& module,
                           const std::string& name, const ExternType& wanted, const Extern& item);

// Finds import `module.name` (of type `wanted`) in `linker` and checks it as
// the spec says; throws LinkError naming `importer` and the import.
LinkedItem link_item(const AotStore& shared, const std::string& importer, const std::string& module,
                     const std::string& name, const ExternType& wanted, const Linker& linker);

}  // namespace wasmlet::detail::aot
