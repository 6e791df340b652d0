#include "engine/aot/wasm_rt_runtime.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <wasm-rt.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "engine/access.h"
#include "util/alt_signal_stack.h"
#include "wasmlet/store.h"

namespace wasmlet::detail::aot {

namespace {

// Address space per guarded memory: 4 GiB of addressable memory plus 4 GiB
// of guard, because wasm2c adds a 32-bit offset to a 32-bit address.
constexpr uint64_t kReservation = 8ull << 30;
// A memory's size is a uint32_t in wasm-rt 1.0.32, so 65535 pages at most.
constexpr uint32_t kMaxPages = 65535;
// Host functions need stack too: an import called with less than this left
// is a stack-exhaustion trap, so host code never runs into the guard page.
constexpr uintptr_t kHostStackReserve = 256 * 1024;
// Faults this close to the bottom of the thread's stack are stack overflows.
constexpr uintptr_t kStackZoneBelow = 1 << 20, kStackZoneAbove = 64 * 1024;

// Plain data only: it is read from the signal handler.
struct ThreadState {
  sigjmp_buf* jmp;
  InstanceContext* ctx;
  bool in_guest;
  void* trap_pc;
  const char* trap_function;
  const std::atomic<bool>* stop;  // the watched call's stop flag (interrupt_watch.h)
  bool memory_fault;
  uint64_t fault_offset, memory_size;
  uintptr_t stack_lo;
  bool ready;
};
thread_local ThreadState tls{};

struct sigaction previous_segv, previous_bus, previous_urg;

[[noreturn]] void jump_out(ThreadState& t, uint32_t code, void* pc, const char* function = nullptr) {
  if (!t.jmp) {
    std::fprintf(stderr, "wasmlet: fatal: AOT trap %u outside a guarded call\n", code);
    std::abort();
  }
  t.trap_pc = pc;
  t.trap_function = function;
  siglongjmp(*t.jmp, static_cast<int>(code));
}

void* pc_of(void* uc) {
#if defined(__x86_64__)
  return reinterpret_cast<void*>(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return reinterpret_cast<void*>(static_cast<ucontext_t*>(uc)->uc_mcontext.pc);
#else
  return nullptr;
#endif
}

void unblock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void chain(int sig, siginfo_t* info, void* uc) {
  const struct sigaction& prev = sig == SIGBUS ? previous_bus : sig == SIGURG ? previous_urg : previous_segv;
  if (sig == SIGURG && !(prev.sa_flags & SA_SIGINFO) && (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN))
    return;  // SIGURG is ignored by default
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, uc);
  } else if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
    signal(sig, SIG_DFL);  // the fault repeats on return and ends the process as it would have
  } else {
    prev.sa_handler(sig);
  }
}

void on_fault(int sig, siginfo_t* info, void* uc) {
  ThreadState& t = tls;
  if (t.jmp && t.in_guest && t.ctx) {
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    uint32_t code = 0;
    for (const MemoryRecord& m : t.ctx->memories()) {
      const auto base = reinterpret_cast<uintptr_t>(m.base);
      if (addr >= base && addr - base < m.mapped) {
        code = WASM_RT_TRAP_OOB;
        t.memory_fault = true;
        t.fault_offset = addr - base;
        t.memory_size = static_cast<const wasm_rt_memory_t*>(m.memory)->size;
      }
    }
    if (!code && t.stack_lo && addr + kStackZoneBelow >= t.stack_lo && addr < t.stack_lo + kStackZoneAbove)
      code = WASM_RT_TRAP_EXHAUSTION;
    if (code) {
      unblock(sig);
      jump_out(t, code, pc_of(uc));
    }
  }
  chain(sig, info, uc);
}

// The watcher's stop signal: unwinds the guest only while the thread runs
// guest code, where nothing holds a lock or half-updated host state (the
// same places a memory fault may unwind). Elsewhere the stop is taken when
// the import returns (host_call_import) or the watcher signals again.
void on_stop_signal(int sig, siginfo_t* info, void* uc) {
  ThreadState& t = tls;
  if (!t.stop) return chain(sig, info, uc);
  if (!t.stop->load(std::memory_order_acquire)) return;  // late signal from an earlier call
  void* pc = pc_of(uc);
  if (t.jmp && t.in_guest && t.ctx && t.ctx->in_guest_text(pc)) {
    unblock(sig);
    jump_out(t, WASMLET_TRAP_STOP, pc);
  }
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
    struct sigaction stop {};
    stop.sa_sigaction = on_stop_signal;
    stop.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGURG, &stop, &previous_urg);
  });
}

void prepare_thread(ThreadState& t) {
  if (t.ready) return;
  install_handlers();
  util::ensure_alt_signal_stack();
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) t.stack_lo = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
  }
  t.ready = true;
}

MemoryRecord* find_memory(InstanceContext* ctx, void* memory) {
  if (!ctx) return nullptr;
  for (MemoryRecord& m : ctx->memories())
    if (m.memory == memory) return &m;
  return nullptr;
}

void note_bytes(InstanceContext& ctx) { detail::Access::set_memory_bytes(ctx.store(), ctx.memory_bytes()); }

// --- the wasmlet_aot_host functions ---

void host_trap(uint32_t code, void* pc, const char* function) { jump_out(tls, code, pc, function); }

void host_memory_trap(uint64_t first_byte, uint64_t size, void* pc, const char* function) {
  ThreadState& t = tls;
  t.memory_fault = true;
  t.fault_offset = first_byte;
  t.memory_size = size;
  jump_out(t, WASM_RT_TRAP_OOB, pc, function);
}

void host_allocate_memory(void* memory, uint32_t initial, uint32_t max) {
  auto* mem = static_cast<wasm_rt_memory_t*>(memory);
  ThreadState& t = tls;
  InstanceContext* ctx = t.ctx;
  mem->data = nullptr;
  mem->pages = 0;
  mem->size = 0;
  mem->max_pages = max;
  if (!ctx) jump_out(t, WASMLET_TRAP_HOST, nullptr);
  const uint64_t bytes = uint64_t(initial) * kPageSize;
  MemoryRecord record{memory, nullptr, 0, ctx->guard_pages()};
  if (record.guarded) {
    void* base = mmap(nullptr, kReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED || (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0)) {
      if (base != MAP_FAILED) munmap(base, kReservation);
      ctx->runtime_error = "cannot reserve address space for the linear memory (8 GiB with guard pages)";
      jump_out(t, WASMLET_TRAP_HOST, nullptr);
    }
    record.base = static_cast<uint8_t*>(base);
    record.mapped = kReservation;
  } else if (bytes) {
    void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
      ctx->runtime_error = "cannot allocate the linear memory";
      jump_out(t, WASMLET_TRAP_HOST, nullptr);
    }
    record.base = static_cast<uint8_t*>(base);
    record.mapped = bytes;
  }
  ctx->memories().push_back(record);
  mem->data = record.base;
  mem->pages = initial;
  mem->size = static_cast<uint32_t>(bytes);
  note_bytes(*ctx);
}

uint32_t host_grow_memory(void* memory, uint32_t delta) {
  auto* mem = static_cast<wasm_rt_memory_t*>(memory);
  InstanceContext* ctx = tls.ctx;
  MemoryRecord* record = find_memory(ctx, memory);
  if (!record) return UINT32_MAX;
  const uint32_t old_pages = mem->pages;
  const uint64_t new_pages = uint64_t(old_pages) + delta;
  if (new_pages > mem->max_pages || new_pages > kMaxPages) return UINT32_MAX;
  if (delta == 0) return old_pages;
  const uint64_t add = uint64_t(delta) * kPageSize;
  if (auto limit = ctx->store().limits().max_memory_bytes; limit && ctx->shared().limited_bytes() + add > *limit) {
    detail::Access::note_memory_limit_hit(ctx->store());
    return UINT32_MAX;
  }
  const uint64_t old_bytes = uint64_t(old_pages) * kPageSize, new_bytes = new_pages * kPageSize;
  if (record->guarded) {
    if (mprotect(record->base + old_bytes, add, PROT_READ | PROT_WRITE) != 0) return UINT32_MAX;
  } else {
    void* base = record->base ? mremap(record->base, record->mapped, new_bytes, MREMAP_MAYMOVE)
                              : mmap(nullptr, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return UINT32_MAX;
    record->base = static_cast<uint8_t*>(base);
    record->mapped = new_bytes;
    mem->data = record->base;
  }
  mem->pages = static_cast<uint32_t>(new_pages);
  mem->size = static_cast<uint32_t>(new_bytes);
  note_bytes(*ctx);
  return old_pages;
}

void host_free_memory(void* memory) {
  auto* mem = static_cast<wasm_rt_memory_t*>(memory);
  InstanceContext* ctx = tls.ctx;
  if (!ctx) return;
  auto& list = ctx->memories();
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->memory != memory) continue;
    if (it->base) munmap(it->base, it->mapped);
    list.erase(it);
    break;
  }
  mem->data = nullptr;
  mem->pages = 0;
  mem->size = 0;
}

uint32_t host_charge_table_growth(void* table, int64_t entries) {
  InstanceContext* ctx = tls.ctx;
  return ctx && ctx->shared().charge_table_growth(table, entries) ? 1 : 0;
}

void host_free_table(void* table) {
  if (InstanceContext* ctx = tls.ctx) ctx->shared().free_table(table);
}

void* host_import_item(void* ctx, uint32_t index) {
  return static_cast<InstanceContext*>(ctx)->import_item(index);
}

// Process-wide function type numbers (wasm_rt_register_func_type): equal
// signatures get equal numbers in every artifact.
uint32_t host_register_func_type(uint32_t params, uint32_t results, const uint8_t* types) {
  static std::mutex mu;
  static std::map<std::pair<std::pair<uint32_t, uint32_t>, std::string>, uint32_t> numbers;
  std::lock_guard lock(mu);
  auto key = std::make_pair(std::make_pair(params, results),
                            std::string(reinterpret_cast<const char*>(types), params + results));
  auto [it, added] = numbers.emplace(std::move(key), static_cast<uint32_t>(numbers.size() + 1));
  return it->second;
}

void host_call_import(void* ctx, uint32_t index, wasmlet_slot* slots, void* caller) {
  ThreadState& t = tls;
  char probe;
  if (t.stack_lo && reinterpret_cast<uintptr_t>(&probe) < t.stack_lo + kHostStackReserve)
    jump_out(t, WASM_RT_TRAP_EXHAUSTION, caller);
  t.in_guest = false;
  const bool ok = static_cast<InstanceContext*>(ctx)->call_import(index, slots);
  t.in_guest = true;
  if (!ok) jump_out(t, WASMLET_TRAP_HOST, caller);
  if (t.stop && t.stop->load(std::memory_order_acquire)) jump_out(t, WASMLET_TRAP_STOP, caller);
}

const wasmlet_aot_host kHost = {WASMLET_AOT_ABI,      host_trap,        host_memory_trap,
                                host_allocate_memory, host_grow_memory, host_free_memory,
                                host_call_import,     host_import_item, host_register_func_type,
                                host_charge_table_growth, host_free_table};

}  // namespace

const wasmlet_aot_host* host_table() { return &kHost; }

bool guard_pages_available() {
  static const bool available = [] {
    void* probe = mmap(nullptr, kReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED) {
      std::fprintf(stderr,
                   "wasmlet: note: cannot reserve 8 GiB of address space for guard pages; AOT code checks every "
                   "memory access explicitly instead\n");
      return false;
    }
    munmap(probe, kReservation);
    return true;
  }();
  return available;
}

GuardedResult run_guarded(InstanceContext& ctx, void (*body)(void*), void* arg, const std::atomic<bool>* stop) {
  ThreadState& t = tls;
  prepare_thread(t);
  sigjmp_buf buf;
  sigjmp_buf* const saved_jmp = t.jmp;
  InstanceContext* const saved_ctx = t.ctx;
  const bool saved_in_guest = t.in_guest;
  const std::atomic<bool>* const saved_stop = t.stop;
  t.jmp = &buf;
  t.ctx = &ctx;
  t.memory_fault = false;
  if (stop) t.stop = stop;
  t.in_guest = true;
  GuardedResult result;
  const int code = sigsetjmp(buf, 0);
  if (code == 0) {
    body(arg);
  } else {
    result.code = static_cast<uint32_t>(code);
    result.pc = t.trap_pc;
    result.function = t.trap_function;
    result.memory_fault = t.memory_fault && result.code == WASM_RT_TRAP_OOB;
    result.fault_offset = t.fault_offset;
    result.memory_size = t.memory_size;
  }
  t.stop = saved_stop;
  t.jmp = saved_jmp;
  t.ctx = saved_ctx;
  t.in_guest = saved_in_guest;
  return result;
}

ScopedContext::ScopedContext(InstanceContext& ctx) : saved_(tls.ctx) { tls.ctx = &ctx; }
ScopedContext::~ScopedContext() { tls.ctx = static_cast<InstanceContext*>(saved_); }

}  // namespace wasmlet::detail::aot
