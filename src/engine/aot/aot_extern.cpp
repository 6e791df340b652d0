#include "engine/aot/aot_extern.h"

#include <wasm-rt.h>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/aot/aot_store.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/linker.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

AotItemExtern::AotItemExtern(std::shared_ptr<AotStore> shared, std::shared_ptr<const void> owner, void* item,
                             ExternType declared, std::string description)
    : ExternImpl(shared->store(), declared.kind, {}, std::move(description)), shared_(std::move(shared)),
      owner_(std::move(owner)), item_(item), declared_(std::move(declared)) {}

ExternType AotItemExtern::type() const {
  ExternType t = declared_;
  // Funcref and externref tables have the same layout: data, max_size, size.
  if (t.kind == ExternKind::Memory) t.limits.min = static_cast<const wasm_rt_memory_t*>(item_)->pages;
  if (t.kind == ExternKind::Table) t.limits.min = static_cast<const wasm_rt_funcref_table_t*>(item_)->size;
  return t;
}

Outcome AotItemExtern::call(std::span<const Value>) const {
  throw UsageError(fmt::format("{} is not a function", description()));
}

GuestMemory AotItemExtern::memory() const {
  if (kind() != ExternKind::Memory) return {};
  auto* mem = static_cast<const wasm_rt_memory_t*>(item_);
  return GuestMemory(mem->data, mem->size);
}

void check_extern(const AotStore& shared, const std::string& importer, const std::string& module,
                           const std::string& name, const ExternType& wanted, const Extern& item) {
  const std::string qualified = module + "." + name;
  require_same_store(shared.store(), importer, qualified, item);
  require_matching_type(importer, qualified, wanted, item);
}

LinkedItem link_item(const AotStore& shared, const std::string& importer, const std::string& module,
                     const std::string& name, const ExternType& wanted, const Linker& linker) {
  const std::string qualified = module + "." + name;
  const Extern* item = linker.find_extern(module, name);
  if (!item) throw_undefined_item_import(importer, qualified, wanted.kind);
  check_extern(shared, importer, module, name, wanted, *item);
  auto* own = dynamic_cast<const AotItemExtern*>(&Access::impl(*item));
  if (!own || own->shared() != &shared)
    throw LinkError(fmt::format("{}: import {} is {}, which is not an AOT-tier item; instances that share memories, "
                                "tables or globals must all run in the same tier",
                                importer, qualified, item->description()));
  return LinkedItem{own->item(), *item};
}

}  // namespace wasmlet::detail::aot
