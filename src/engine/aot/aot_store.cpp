#include "engine/aot/aot_store.h"

#include <wasm-rt.h>

#include "engine/access.h"
#include "engine/metering.h"
#include "engine/table_limits.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

AotStore::~AotStore() {
  release_pinned();
  for (const Code* c = code_.load(); c;) {
    const Code* next = c->next;
    delete c;
    c = next;
  }
}

void AotStore::release_pinned() {
  // Ending an instance touches this object (its memories, its meter): move
  // the list out first.
  auto pinned = std::move(pinned_);
  pinned_.clear();
  pinned.clear();
}

uint64_t AotStore::memory_bytes() const {
  uint64_t total = 0;
  for (const MemoryRecord& m : memories_) total += static_cast<const wasm_rt_memory_t*>(m.memory)->size;
  return total;
}

uint64_t AotStore::limited_bytes() const {
  return memory_bytes() + charged_table_bytes(store_) + grown_table_bytes_;
}

bool AotStore::charge_table_growth(const void* table, int64_t entries) {
  if (entries < 0) {
    const uint64_t back = std::min<uint64_t>(uint64_t(-entries), grown_table_entries_[table]);
    grown_table_entries_[table] -= back;
    grown_table_bytes_ -= back * kTableEntryBytes;
    return true;
  }
  const uint64_t add = uint64_t(entries) * kTableEntryBytes;
  if (auto limit = store_.limits().max_memory_bytes; limit && limited_bytes() + add > *limit) {
    detail::Access::note_memory_limit_hit(store_);
    return false;
  }
  grown_table_entries_[table] += uint64_t(entries);
  grown_table_bytes_ += add;
  return true;
}

void AotStore::free_table(const void* table) {
  auto it = grown_table_entries_.find(table);
  if (it == grown_table_entries_.end()) return;
  grown_table_bytes_ -= it->second * kTableEntryBytes;
  grown_table_entries_.erase(it);
}

void AotStore::add_code(const void* artifact, const char* begin, const char* end, std::shared_ptr<const void> keep,
                        TrapNamer namer) {
  for (const Code* c = code_.load(); c; c = c->next)
    if (c->artifact == artifact) return;
  code_.store(new Code{artifact, begin, end, std::move(keep), std::move(namer), code_.load()}, std::memory_order_release);
}

bool AotStore::in_guest_text(const void* pc) const {
  auto p = static_cast<const char*>(pc);
  for (const Code* c = code_.load(std::memory_order_acquire); c; c = c->next)
    if (c->begin && p >= c->begin && p < c->end) return true;
  return false;
}

std::string AotStore::function_at(const char* c_name, const void* pc) const {
  auto p = static_cast<const char*>(pc);
  for (const Code* c = code_.load(std::memory_order_acquire); c; c = c->next)
    if (c->begin && p >= c->begin && p < c->end) return c->namer(c_name, pc);
  return {};
}

void AotStore::remove_meter(const void* instance) {
  auto it = meters_.find(instance);
  if (it == meters_.end()) return;
  pool_ += *it->second;
  meters_.erase(it);
}

int64_t AotStore::refuel(const void* caller, int64_t budget) {
  int64_t combined = budget + pool_;
  pool_ = 0;
  for (const auto& [instance, meter] : meters_) {
    // The caller's own global holds `budget`: the guest overwrites it with
    // the value returned. (During its start function it is not registered yet.)
    if (instance == caller) continue;
    combined += *meter;
    *meter = 0;
  }
  try {
    return detail::refuel_pooled(store_, combined);
  } catch (const MeterTrap&) {
    // The guest stops without writing the value returned: empty its global
    // here (refuel() counted it all, engine/metering.h).
    if (auto own = meters_.find(caller); own != meters_.end()) *own->second = 0;
    throw;
  }
}

void AotStore::settle() {
  int64_t left = pool_;
  for (const auto& [instance, meter] : meters_) left += *meter;
  settle_fuel(store_, left);
}

namespace {

struct Owner {
  std::shared_ptr<AotStore> store;
  ~Owner() { store->release_pinned(); }
};

}  // namespace

std::shared_ptr<AotStore> aot_store_of(Store& store) {
  auto owner = detail::Access::tier_state<Owner>(store, [&store] {
    auto o = std::make_shared<Owner>();
    o->store = std::make_shared<AotStore>(store);
    return o;
  });
  return owner->store;
}

}  // namespace wasmlet::detail::aot
