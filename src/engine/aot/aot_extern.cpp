#include "engine/aot/aot_extern.h"

#include <wasm-rt.h>

#include <fmt/format.h>

#include "engine/aot/aot_store.h"
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

void check_function_extern(const AotStore& shared, const std::string& importer, const std::string& module,
                           const std::string& name, const ExternType& wanted, const Extern& item) {
  const std::string qualified = module + "." + name;
  if (&item.store() != &shared.store())
    throw LinkError(fmt::format("{}: import {} is {}, which lives in another Store", importer, qualified,
                                item.description()));
  if (auto why = extern_mismatch(wanted, item.type()))
    throw LinkError(fmt::format("{}: import {} ({}) does not match {}: {}", importer, qualified, wanted.to_string(),
                                item.description(), *why));
}

LinkedItem link_item(const AotStore& shared, const std::string& importer, const std::string& module,
                     const std::string& name, const ExternType& wanted, const Linker& linker) {
  const std::string qualified = module + "." + name;
  const Extern* item = linker.find_extern(module, name);
  if (!item)
    throw LinkError(fmt::format("{}: unknown import: {} {} is not defined (a {} can only be another instance's "
                                "export, given with Linker::define(module, name, Extern))",
                                importer, wasmlet::to_string(wanted.kind), qualified, wasmlet::to_string(wanted.kind)));
  if (&item->store() != &shared.store())
    throw LinkError(fmt::format("{}: import {} is {}, which lives in another Store", importer, qualified,
                                item->description()));
  if (auto why = extern_mismatch(wanted, item->type()))
    throw LinkError(fmt::format("{}: import {} ({}) does not match {}: {}", importer, qualified, wanted.to_string(),
                                item->description(), *why));
  auto* own = dynamic_cast<const AotItemExtern*>(&item->impl());
  if (!own || own->shared() != &shared)
    throw LinkError(fmt::format("{}: import {} is {}, which is not an AOT-tier item; instances that share memories, "
                                "tables or globals must all run in the same tier",
                                importer, qualified, item->description()));
  return LinkedItem{own->item(), *item};
}

}  // namespace wasmlet::detail::aot
