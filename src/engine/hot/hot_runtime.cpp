#include "engine/hot/hot_runtime.h"

#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "engine/metering.h"
#include "engine/trap_messages.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::hot {

using namespace fast;

namespace {

// Native code recurses on the host stack and stops this far above its end.
constexpr size_t kHostStackReserve = size_t{1} << 20;
constexpr size_t kMinHostStack = size_t{2} << 20;
// The limit of a thread native code must not run on.
const char* const kNoNativeCode = reinterpret_cast<const char*>(UINTPTR_MAX);

HotInstance& self(wasmlet_hot::Context* ctx) { return *static_cast<HotInstance*>(ctx->runtime); }

}  // namespace

const char* thread_stack_limit() {
  thread_local const char* limit = [] {
    pthread_attr_t attr;
    void* low = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &low, &size);
      pthread_attr_destroy(&attr);
    }
    if (!low || size < kMinHostStack) return kNoNativeCode;
    return static_cast<const char*>(low) + std::max(kHostStackReserve, size / 8);
  }();
  return limit;
}

int run_native(FastStore& store, Instance* instance, wasmlet_hot::Function fn, uint64_t* fp) {
  wasmlet_hot::Context* ctx = hot_context(store, instance);
  // Saved and restored: a Store's calls may move between threads.
  const char* const outer = ctx->host_stack_limit;
  ctx->host_stack_limit = thread_stack_limit();
  const int ok = fn(ctx, fp);
  ctx->host_stack_limit = outer;
  return ok;
}

namespace {

int trap_with(HotInstance& h, TrapKind kind, std::string message, uint32_t function) {
  h.store->trap(kind, std::move(message), h.instance->funcs[function]->name);
  return 0;
}

// Calls any function of the Store with its arguments at `args`, for the
// guest function `caller` (a failing host call names it, as the interpreter's do).
int invoke(HotInstance& h, Func* f, uint64_t* args, uint32_t caller) {
  FastStore& store = *h.store;
  if (f->is_host) {
    uint64_t* saved = store.stack_top;
    store.stack_top = args + std::max(f->type->params.size(), f->type->results.size());
    const bool ok = store.call_host(f, args);
    store.stack_top = saved;
    if (!ok) store.note_trap_site(h.instance->funcs[caller]->name);
    return ok;
  }
  if (f->code && f->code->native) return run_native(store, f->instance, f->code->native, args);
  return execute(store, f, args);
}

int call(wasmlet_hot::Context* ctx, uint32_t function, uint64_t* args, uint32_t caller) {
  HotInstance& h = self(ctx);
  return invoke(h, h.instance->funcs[function], args, caller);
}

int call_indirect(wasmlet_hot::Context* ctx, uint32_t table, uint32_t type, uint32_t element, uint64_t* args,
                  uint32_t function) {
  HotInstance& h = self(ctx);
  Table* t = h.instance->tables[table];
  if (element >= t->elements.size())
    return trap_with(h, TrapKind::TableOutOfBounds, "undefined table index", function);
  Func* target = reinterpret_cast<Func*>(t->elements[element]);
  if (!target) return trap_with(h, TrapKind::UninitializedElement, "uninitialized table element", function);
  if (target->type_id != h.instance->type_ids[type])
    return trap_with(h, TrapKind::IndirectCallTypeMismatch, "indirect call signature mismatch", function);
  return invoke(h, target, args, function);
}

int refuel_now(wasmlet_hot::Context* ctx, uint32_t function) {
  HotInstance& h = self(ctx);
  try {
    h.store->budget = refuel(h.store->store(), h.store->budget);
    return 1;
  } catch (const MeterTrap& e) {
    h.store->budget = 0;  // refuel() counted it all (engine/metering.h)
    return trap_with(h, e.kind, e.message, function);
  }
}

// An access reaching past the memory's end at `end`: the interpreter's wording (its OOB).
int out_of_bounds(HotInstance& h, uint64_t end, uint64_t size, uint32_t function) {
  return trap_with(h, TrapKind::MemoryOutOfBounds, memory_out_of_bounds_message(end < size ? size : end, size),
                   function);
}

int trap(wasmlet_hot::Context* ctx, uint32_t kind, uint32_t function, uint64_t detail) {
  HotInstance& h = self(ctx);
  const auto k = static_cast<TrapKind>(kind);
  switch (k) {
    case TrapKind::Unreachable: return trap_with(h, k, "unreachable executed", function);
    case TrapKind::MemoryOutOfBounds: return out_of_bounds(h, detail, *ctx->mem_bytes, function);
    default: return trap_with(h, k, to_string(k), function);
  }
}

int deepen(wasmlet_hot::Context* ctx, const uint64_t* frame_end, uint32_t function) {
  HotInstance& h = self(ctx);
  if (ctx->host_stack_limit == kNoNativeCode)
    return trap_with(h, TrapKind::StackExhausted,
                     "call stack exhausted: native hot code needs a thread stack of at least 2 MiB (docs/hot.md)",
                     function);
  if (uintptr_t(__builtin_frame_address(0)) < uintptr_t(ctx->host_stack_limit) || !h.store->stack_fits(frame_end))
    return trap_with(h, TrapKind::StackExhausted, "call stack exhausted", function);
  return 1;
}

int64_t memory_grow(wasmlet_hot::Context* ctx, uint32_t delta_pages) {
  HotInstance& h = self(ctx);
  return h.store->grow_memory(h.instance->memories[0], delta_pages);
}

int memory_copy(wasmlet_hot::Context* ctx, uint32_t dst, uint32_t src, uint32_t n, uint32_t function) {
  HotInstance& h = self(ctx);
  LinearMemory* m = h.instance->memories[0];
  const uint64_t size = m->bytes();
  if (uint64_t(src) + n > size) return out_of_bounds(h, uint64_t(src) + n, size, function);
  if (uint64_t(dst) + n > size) return out_of_bounds(h, uint64_t(dst) + n, size, function);
  std::memmove(m->base() + dst, m->base() + src, n);
  return 1;
}

int memory_fill(wasmlet_hot::Context* ctx, uint32_t dst, uint32_t value, uint32_t n, uint32_t function) {
  HotInstance& h = self(ctx);
  LinearMemory* m = h.instance->memories[0];
  const uint64_t size = m->bytes();
  if (uint64_t(dst) + n > size) return out_of_bounds(h, uint64_t(dst) + n, size, function);
  std::memset(m->base() + dst, int(uint8_t(value)), n);
  return 1;
}

const uint64_t kNoMemoryBytes = 0;

}  // namespace

wasmlet_hot::Context* hot_context(FastStore& store, Instance* instance) {
  if (!instance->hot) {
    auto h = std::make_shared<HotInstance>();
    h->store = &store;
    h->instance = instance;
    for (Global* g : instance->globals) h->globals.push_back(g->value);
    wasmlet_hot::Context& c = h->ctx;
    c.mem_base = instance->memories.empty() ? nullptr : instance->memories[0]->base();
    c.mem_bytes = instance->memories.empty() ? &kNoMemoryBytes : instance->memories[0]->bytes_address();
    c.budget = &store.budget;
    c.globals = h->globals.data();
    c.stack_end = &store.stack_end;
    c.call = call;
    c.call_indirect = call_indirect;
    c.refuel = refuel_now;
    c.trap = trap;
    c.deepen = deepen;
    c.memory_grow = memory_grow;
    c.memory_copy = memory_copy;
    c.memory_fill = memory_fill;
    c.runtime = h.get();
    instance->hot = std::move(h);
  }
  return &instance->hot->ctx;
}

}  // namespace wasmlet::detail::hot
