#include "engine/fast/fast_store.h"

#include <cstring>
#include <new>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/fast/reservation_pool.h"
#include "engine/metering.h"
#include "engine/public_types.h"
#include "engine/table_limits.h"
#include "engine/tier.h"
#include "engine/trap_messages.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::fast {

namespace {

constexpr size_t kValueStackBytes = kValueStackSlots * sizeof(uint64_t);
constexpr size_t kFrameStackBytes = kMaxCallDepth * sizeof(Frame);
// The shallow limits: what stays within the pool's resident part.
constexpr size_t kShallowStackSlots = kKeptResidentBytes / sizeof(uint64_t);
constexpr uint32_t kShallowDepth = kKeptResidentBytes / sizeof(Frame);
static_assert(kShallowStackSlots < kValueStackSlots && kShallowDepth < kMaxCallDepth);

// A stack is read-write in full for its whole life, and followed by a
// guard (address space only): were a call's bound check ever wrong, the
// frame past the end would fault there instead of writing into whatever
// mapping comes next.
constexpr size_t kStackGuardBytes = size_t{1} << 20;
uint8_t* take_stack(size_t bytes) {
  return take_reservation(bytes + kStackGuardBytes, bytes, Leftovers::never_read).base;
}
void give_back_stack(void* base, size_t bytes, size_t touched) {
  give_back_reservation({static_cast<uint8_t*>(base), bytes + kStackGuardBytes, bytes}, Leftovers::never_read,
                        touched);
}

uint32_t slots_of(std::span<const decode::ValType> types) {
  uint32_t n = 0;
  for (auto t : types) n += t == decode::ValType::V128 ? 2 : 1;
  return n;
}

}  // namespace

// The stacks come from the reservation pool: a Store per call (the plugin
// host's fresh instance) then finds their pages already resident.
FastStore::FastStore(Store& store) : store_(store) {
  stack_base = reinterpret_cast<uint64_t*>(take_stack(kValueStackBytes));
  stack_end = stack_base + kShallowStackSlots;
  stack_top = stack_base;
  try {
    frames = reinterpret_cast<Frame*>(take_stack(kFrameStackBytes));
    frames_end = frames + kShallowDepth;
  } catch (...) {
    give_back_stack(stack_base, kValueStackBytes, 0);
    throw;
  }
}

FastStore::~FastStore() {
  // Shallow stacks were written only within the part the pool keeps.
  const bool deep = frames_end == frames + kMaxCallDepth;
  give_back_stack(stack_base, kValueStackBytes, deep ? kValueStackBytes : kShallowStackSlots * sizeof(uint64_t));
  give_back_stack(frames, kFrameStackBytes, deep ? kFrameStackBytes : kShallowDepth * sizeof(Frame));
}

bool FastStore::deepen() {
  if (frames_end == frames + kMaxCallDepth) return false;
  stack_end = stack_base + kValueStackSlots;
  frames_end = frames + kMaxCallDepth;
  return true;
}

Func* FastStore::new_func(const decode::FuncType& type) {
  Func& f = funcs_.emplace_back();
  f.type = &type;
  f.type_id = type_id(type);
  f.store_index = uint32_t(funcs_.size() - 1);
  return &f;
}

Table* FastStore::new_table() { return &tables_.emplace_back(); }
Global* FastStore::new_global() { return &globals_.emplace_back(); }
Instance* FastStore::new_instance() { return &instances_.emplace_back(); }

LinearMemory* FastStore::new_memory(uint64_t initial_pages, std::optional<uint64_t> declared_max) {
  return memories_.emplace_back(std::make_unique<LinearMemory>(initial_pages, declared_max)).get();
}

uint32_t FastStore::type_id(const decode::FuncType& type) {
  for (uint32_t i = 0; i < types_.size(); ++i)
    if (*types_[i] == type) return i;
  types_.push_back(&type);
  return uint32_t(types_.size() - 1);
}

void FastStore::account(Instance* owner, LinearMemory* memory) { accounted_memories_[memory] = owner; }
void FastStore::account(Instance* owner, Table* table) { accounted_tables_[table] = owner; }

void FastStore::release(Instance* instance) {
  std::erase_if(accounted_memories_, [instance](const auto& m) { return m.second == instance; });
  std::erase_if(accounted_tables_, [instance](const auto& t) { return t.second == instance; });
  // Store::memory_bytes() keeps what the instances used when wasmlet last
  // had control (the runtime reports it after the guest's instance is gone).
}

uint64_t FastStore::accounted_bytes() const {
  uint64_t total = 0;
  for (const auto& [memory, owner] : accounted_memories_) total += memory->bytes();
  return total;
}

void FastStore::check_initial_memory(const std::string& module, uint64_t initial_bytes) const {
  auto limit = store_.limits().max_memory_bytes;
  if (!limit) return;
  const uint64_t used = accounted_bytes();
  if (used + initial_bytes > *limit)
    throw LinkError(initial_memory_over_limit_message(module, initial_bytes, used, *limit));
}

void FastStore::note_memory() { detail::Access::set_memory_bytes(store_, accounted_bytes()); }

int64_t FastStore::grow_memory(LinearMemory* memory, uint64_t delta_pages) {
  const uint64_t old = memory->pages();
  if (delta_pages == 0) return int64_t(old);
  const uint64_t max = std::min<uint64_t>(memory->declared_max().value_or(decode::limits::kMemoryPages),
                                          decode::limits::kMemoryPages);
  if (delta_pages > max || old + delta_pages > max) return -1;
  if (auto limit = store_.limits().max_memory_bytes; limit && accounted_memories_.count(memory)) {
    uint64_t tables = 0;
    for (const auto& [table, owner] : accounted_tables_) tables += table->elements.size() * kTableEntryBytes;
    if (accounted_bytes() + tables + delta_pages * kPageSize > *limit) {
      detail::Access::note_memory_limit_hit(store_);
      return -1;
    }
  }
  if (!memory->grow_to(old + delta_pages)) return -1;
  note_memory();
  return int64_t(old);
}

int64_t FastStore::grow_table(Table* table, uint64_t delta, uint64_t init) {
  const uint64_t old = table->elements.size();
  const uint64_t max = std::min<uint64_t>(table->declared_max.value_or(kMaxTableEntries), kMaxTableEntries);
  if (delta > max || old + delta > max) return -1;
  if (auto limit = store_.limits().max_memory_bytes; limit && delta && accounted_tables_.count(table)) {
    uint64_t tables = 0;
    for (const auto& [t, owner] : accounted_tables_) tables += t->elements.size() * kTableEntryBytes;
    if (accounted_bytes() + tables + delta * kTableEntryBytes > *limit) {
      detail::Access::note_memory_limit_hit(store_);
      return -1;
    }
  }
  try {
    table->elements.resize(old + delta, init);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return int64_t(old);
}

Value FastStore::to_value(decode::ValType type, const uint64_t* slot) const {
  switch (type) {
    case decode::ValType::I32: return Value::i32(int32_t(uint32_t(slot[0])));
    case decode::ValType::I64: return Value::i64(int64_t(slot[0]));
    case decode::ValType::F32: { float f; std::memcpy(&f, slot, 4); return Value::f32(f); }
    case decode::ValType::F64: { double d; std::memcpy(&d, slot, 8); return Value::f64(d); }
    case decode::ValType::V128: { std::array<uint8_t, 16> v; std::memcpy(v.data(), slot, 16); return Value::v128(v); }
    case decode::ValType::FuncRef: {
      const auto* f = reinterpret_cast<const Func*>(slot[0]);
      return Value::ref(ValType::FuncRef, f ? f->store_index + 1 : 0);
    }
    case decode::ValType::ExternRef: return Value::ref(ValType::ExternRef, slot[0]);
    default: return Value::i32(0);
  }
}

void FastStore::from_value(const Value& v, uint64_t* slot) const {
  slot[0] = 0;
  switch (v.type()) {
    case ValType::I32: slot[0] = v.as_u32(); break;
    case ValType::I64: slot[0] = v.as_u64(); break;
    case ValType::F32: { float f = v.as_f32(); std::memcpy(slot, &f, 4); break; }
    case ValType::F64: { double d = v.as_f64(); std::memcpy(slot, &d, 8); break; }
    case ValType::V128: { auto b = v.as_v128(); std::memcpy(slot, b.data(), 16); break; }
    case ValType::FuncRef: {
      // Only handles this Store gave out name functions; anything else is null.
      const uint64_t h = v.as_ref();
      if (h != 0 && h <= funcs_.size()) slot[0] = reinterpret_cast<uint64_t>(&funcs_[h - 1]);
      break;
    }
    case ValType::ExternRef: slot[0] = v.as_ref(); break;
  }
}

void FastStore::trap(TrapKind kind, std::string message, const std::string& function) {
  end_.keep_first_trap(TrapInfo{kind, std::move(message), function});
}

bool FastStore::call_host(Func* f, uint64_t* slots) {
  const auto& type = *f->type;
  // Arguments and results in a buffer on the stack for the usual few; WASI
  // calls are frequent and should not allocate.
  constexpr size_t kInline = 16;
  const size_t n_args = type.params.size(), n_results = type.results.size();
  Value inline_values[kInline];
  std::vector<Value> heap_values;
  Value* values = inline_values;
  if (n_args + n_results > kInline) {
    heap_values.resize(n_args + n_results);
    values = heap_values.data();
  }
  uint32_t at = 0;
  for (size_t i = 0; i < n_args; ++i) {
    values[i] = to_value(type.params[i], slots + at);
    at += type.params[i] == decode::ValType::V128 ? 2 : 1;
  }
  for (size_t i = 0; i < n_results; ++i) values[n_args + i] = Value::zero(public_type(type.results[i]));
  {
    Caller caller(store_, *f->caller_memory, f->name);
    try {
      f->host(caller, std::span<const Value>(values, n_args), std::span<Value>(values + n_args, n_results));
    } catch (...) {
      end_.keep_host_failure(f->name);
    }
  }
  if (end_.pending()) return false;
  // A host call costs the guest one unit of fuel however long it takes, so
  // a loop of slow ones (each writing 256 MiB) would reach the next refuel,
  // and with it the stop and deadline check, only after minutes: check here.
  if (auto stop = stop_reason(store_)) [[unlikely]] {
    end_.keep_first_trap(TrapInfo{stop->kind, std::move(stop->message), {}});
    return false;
  }
  at = 0;
  for (size_t i = 0; i < n_results; ++i) {
    from_value(values[n_args + i], slots + at);
    at += type.results[i] == decode::ValType::V128 ? 2 : 1;
  }
  return true;
}

Outcome FastStore::call(Func* f, std::span<const Value> args) {
  ++api_depth_;
  DeadlineScope deadline(store_);
  uint64_t* fp = stack_top;
  const auto& type = *f->type;
  const uint32_t need = std::max(slots_of(type.params), slots_of(type.results));
  bool ok = false;
  if (!stack_fits(fp + need + 2) || host_nesting >= kMaxHostNesting) {
    trap(TrapKind::StackExhausted, "call stack exhausted", f->name);
  } else {
    uint32_t at = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      from_value(args[i], fp + at);
      at += type.params[i] == decode::ValType::V128 ? 2 : 1;
    }
    ++host_nesting;
    if (f->is_host) {
      uint64_t* saved = stack_top;
      stack_top = fp + need + 2;
      ok = call_host(f, fp);
      stack_top = saved;
    } else {
      ok = execute(*this, f, fp);
    }
    --host_nesting;
  }
  return finish(ok, f, fp);
}

Outcome FastStore::finish(bool ok, Func* f, uint64_t* fp) {
  settle_fuel(store_, budget);
  note_memory();
  const int depth = api_depth_--;
  if (!ok || end_.pending()) {
    Outcome failed = end_.take(depth, trap_site_.empty() ? f->name : trap_site_);
    if (depth == 1) trap_site_.clear();
    return failed;
  }
  Outcome outcome;
  uint32_t at = 0;
  for (auto t : f->type->results) {
    outcome.results.push_back(to_value(t, fp + at));
    at += t == decode::ValType::V128 ? 2 : 1;
  }
  return outcome;
}

bool FastStore::run_start(Func* f, Outcome& outcome) {
  outcome = call(f, {});
  return outcome.returned();
}

}  // namespace wasmlet::detail::fast
