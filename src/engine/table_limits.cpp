#include "engine/table_limits.h"

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

struct TableCharge::Account {
  uint64_t bytes = 0;  // charged by the Store's live instances
};

TableCharge::~TableCharge() { account_->bytes -= bytes_; }

uint64_t charged_table_bytes(Store& store) {
  auto account = detail::Access::tier_state<TableCharge::Account>(store, [] { return std::make_shared<TableCharge::Account>(); });
  return account->bytes;
}

std::unique_ptr<TableCharge> charge_tables(Store& store, const Module& module) {
  const ModuleImpl& impl = Access::impl(module);
  uint64_t entries = 0;
  for (size_t i = 0; i < impl.table_initial_entries.size(); ++i) {
    const uint64_t n = impl.table_initial_entries[i];
    if (n > kMaxTableEntries)
      throw LinkError(fmt::format("{}: table {} starts with {} entries; wasmlet allows at most {} per table",
                                  module.name(), i, n, kMaxTableEntries));
    entries += n;
  }
  auto account = detail::Access::tier_state<TableCharge::Account>(store, [] { return std::make_shared<TableCharge::Account>(); });
  const uint64_t table_bytes = entries * kTableEntryBytes;
  if (auto limit = store.limits().max_memory_bytes; limit && table_bytes > 0) {
    uint64_t memory_bytes = 0;
    for (uint64_t pages : impl.memory_initial_pages) memory_bytes += pages * 65536;
    const uint64_t in_use = store.memory_bytes() + account->bytes;
    if (in_use + memory_bytes + table_bytes > *limit)
      throw LinkError(fmt::format("{}: its tables ({} entries, counted as {} bytes each) and {} bytes of linear memory "
                                  "at start need {} bytes{}, more than the memory limit of {} bytes",
                                  module.name(), entries, kTableEntryBytes, memory_bytes, table_bytes + memory_bytes,
                                  in_use ? fmt::format(" besides the {} bytes the Store already uses", in_use) : "",
                                  *limit));
  }
  account->bytes += table_bytes;
  return std::unique_ptr<TableCharge>(new TableCharge(std::move(account), table_bytes));
}

}  // namespace wasmlet::detail
