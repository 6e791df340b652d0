// Tables count against the Store's memory limit, the same in every tier:
// each entry of a table a module defines counts as kTableEntryBytes (the size
// of a reference; a tier may use more per entry). The initial entries are
// charged when an instance is created and given back when it is destroyed;
// growing a table is capped at kMaxTableEntries entries and charged by the
// tier that grows it (the interpreter counts its tables' sizes, the AOT tier
// its tables' growth). A table larger than kMaxTableEntries at start is
// refused in every Store.
#pragma once

#include <cstdint>
#include <memory>

namespace wasmlet {
class Store;
class Module;
}  // namespace wasmlet

namespace wasmlet::detail {

inline constexpr uint64_t kTableEntryBytes = 8;
inline constexpr uint64_t kMaxTableEntries = uint64_t{1} << 24;

// What an instance's tables are charged to its Store; gives it back when destroyed.
class TableCharge {
 public:
  ~TableCharge();
  TableCharge(const TableCharge&) = delete;
  TableCharge& operator=(const TableCharge&) = delete;

 private:
  friend std::unique_ptr<TableCharge> charge_tables(Store& store, const Module& module);
  friend uint64_t charged_table_bytes(Store& store);
  struct Account;
  TableCharge(std::shared_ptr<Account> account, uint64_t bytes) : account_(std::move(account)), bytes_(bytes) {}
  std::shared_ptr<Account> account_;
  uint64_t bytes_;
};

// Before an instance of `module` is created in `store`: throws LinkError if
// one of its tables starts with more than kMaxTableEntries entries, or if its
// tables and initial memory do not fit in the Store's memory limit with what
// the Store already uses.
std::unique_ptr<TableCharge> charge_tables(Store& store, const Module& module);

// The bytes the Store's live instances' tables were charged when created.
uint64_t charged_table_bytes(Store& store);

}  // namespace wasmlet::detail
