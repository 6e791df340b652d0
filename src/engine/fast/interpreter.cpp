// The dispatch loop: one function holding every handler as a label, each
// ending in a jump through the next instruction's handler address (computed
// goto, GCC/Clang). The hot state (ip, frame pointer, the frame stack's
// top, the instance, memory 0's size, the fuel budget) lives in locals the
// compiler keeps in registers (docs/engine-interpreter.md, "Execution", on
// which and why); calls between guest functions push a Frame and never
// recurse on the host stack.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "engine/fast/fast_store.h"
#include "engine/fast/numeric.h"
#include "engine/fast/reciprocal_division.h"
#include "engine/hot/hot_runtime.h"
#ifdef WASMLET_FAST_OPCODE_PROFILE
#include "engine/fast/op_profile.h"
#endif
#include "engine/metering.h"
#include "engine/trap_messages.h"
#include "wasmlet/store.h"
#if __has_include("engine/simd/simd.h")
#include "engine/simd/simd.h"
#endif

namespace wasmlet::detail::fast {

namespace {

template <typename T>
inline T rd(const uint64_t* fp, uint32_t slot) {
  if constexpr (sizeof(T) == 8) {
    return std::bit_cast<T>(fp[slot]);
  } else {
    T v;
    std::memcpy(&v, &fp[slot], sizeof(T));
    return v;
  }
}

template <typename T>
inline void wr(uint64_t* fp, uint32_t slot, T v) {
  if constexpr (sizeof(T) == 8) {
    fp[slot] = std::bit_cast<uint64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    fp[slot] = std::bit_cast<uint32_t>(v);
  } else {
    fp[slot] = uint64_t(v);
  }
}

// The immediate of an _ri form as an operand of type T.
template <typename T>
inline T imm(uint64_t bits) {
  if constexpr (sizeof(T) == 8) {
    return std::bit_cast<T>(bits);
  } else {
    return std::bit_cast<T>(uint32_t(bits));
  }
}

// An extracted lane into a slot: i32 lanes zero-extended like every i32.
template <typename T>
inline void wr_lane(uint64_t* fp, uint32_t slot, T v) {
  if constexpr (std::is_same_v<T, int32_t>) {
    fp[slot] = uint32_t(v);
  } else {
    wr<T>(fp, slot, v);
  }
}

// Translates guest function `f` on its first call (Func::code); false, with
// the trap's message in `error`, if that fails.
bool translate(Func* f, std::string& error) {
  if (f->code) return true;
  try {
    const Code& code = f->instance->code->code(f->defined_index);
    f->code = &code;
    f->entry = code.words.data() + kEntryWords;
    f->entry_fuel = code.entry_fuel;
    f->frame_bytes = uint64_t(code.frame_slots) * sizeof(uint64_t);
    return true;
  } catch (const std::exception& e) {
    error = fmt::format("cannot translate function {}: {}", f->name, e.what());
    return false;
  }
}

// The bytes from `from` up to `to`, which is not below it.
inline uint64_t bytes_between(const uint64_t* from, const uint64_t* to) {
  return uint64_t(reinterpret_cast<uintptr_t>(to) - reinterpret_cast<uintptr_t>(from));
}

const void* const* g_handlers = nullptr;
// Where a call into another instance returns to (see Frame); set with the
// handlers (in handler_table(), not in run(): code at run()'s start moves
// every handler, and print_lines' time moved 10% with that alone).
Word return_to_instance_code[1];

bool run(FastStore* s, Func* entry, uint64_t* entry_fp);

}  // namespace

const void* const* handler_table() {
  static const void* const* table = [] {
    run(nullptr, nullptr, nullptr);
    return_to_instance_code[0].handler = g_handlers[size_t(Op::return_to_instance)];
    return g_handlers;
  }();
  return table;
}

bool execute(FastStore& store, Func* function, uint64_t* fp) {
  handler_table();
  return run(&store, function, fp);
}

namespace {

bool run(FastStore* store_arg, Func* entry, uint64_t* entry_fp) {
  static const void* const labels[] = {
#define OP_NAME(name) &&L_##name,
#include "engine/fast/op_list.inc"
  };
  static_assert(sizeof(labels) / sizeof(labels[0]) == size_t(Op::count_));
  if (!store_arg) {
    g_handlers = labels;
    return true;
  }
  // The store is read from memory wherever it is used (calls' bound checks
  // and slow paths): held in a register for the whole loop, it took the one
  // `top` could have, and every call and return loaded and stored `top` on
  // the machine stack. fib -20% time, print_lines -0.8% host instructions.
  FastStore* volatile const store_in_memory = store_arg;
#define s static_cast<FastStore*>(store_in_memory)

  Store& store = s->store();
  // The frames this activation pushes go above `bottom`; s->depth is
  // brought up to date before host calls. The running function is the top
  // frame's callee, or the entry's (a tail call replaces it) at the bottom.
  Frame* const bottom = s->frames + s->depth;
  Frame* top = bottom;
  Func* entry_func = entry;
  Instance* inst = entry->instance;
  uint64_t* fp = entry_fp;
  const Word* ip = nullptr;
  int64_t budget = s->budget;
  uint8_t* mem_base = nullptr;
  uint64_t mem_size = 0;
  TrapKind trap_kind = TrapKind::Other;
  std::string trap_message;

  // Arguments of a call that left the guest-to-guest fast path (call_slow,
  // do_tail_call). In memory (volatile): they live across call_slow's
  // function calls, so they need a home there anyway, and as registers GCC
  // gave the fast path's callee and frame the same home, storing and
  // reloading both on every call (print_lines -1.1%, fib -2.8% host
  // instructions without).
  Func* volatile callee = nullptr;
  uint64_t* volatile nfp = nullptr;
  const Word* volatile return_ip = nullptr;

#ifdef WASMLET_FAST_OPCODE_PROFILE
#define NEXT()                         \
  do {                                 \
    op_profile::step(&ip->handler);    \
    goto* ip->handler;                 \
  } while (0)
#else
#define NEXT() goto* ip->handler
#endif
#define RELOAD_MEMORY()                                       \
  do {                                                        \
    if (!inst->memories.empty()) {                            \
      mem_base = inst->memories[0]->base();                   \
      mem_size = inst->memories[0]->bytes();                  \
    }                                                         \
  } while (0)
#define TRAP(kind, message)     \
  do {                          \
    trap_kind = (kind);         \
    trap_message = (message);   \
    goto trap;                  \
  } while (0)
// Charges `cost` at a fuel check point and goes on at ip (below zero,
// refuel() decides whether the guest may go on).
#define CHARGE_AND_NEXT(cost)                 \
  do {                                        \
    budget -= (cost);                         \
    if (budget < 0) [[unlikely]] goto refuel; \
    NEXT();                                   \
  } while (0)
// The running function (an lvalue: a tail call replaces it); its code is set while it runs.
#define FUNC() (top == bottom ? entry_func : top[-1].callee)
// A loop's back-edge whose offset is word `k` of the instruction and the
// loop header's cost word k + 1: it charges the cost and jumps.
#define BACK_EDGE(k)                      \
  do {                                    \
    const int64_t cost_ = ip[(k) + 1].i64; \
    ip += ip[(k)].i64;                    \
    CHARGE_AND_NEXT(cost_);               \
  } while (0)
// The end of a loop's conditional back-edge, an instruction of `words`
// words whose last two are the offset and the cost: taken, the back-edge;
// else it goes on after the instruction.
#define BACK_EDGE_IF(taken, words)   \
  do {                               \
    if (taken) BACK_EDGE((words) - 2); \
    ip += (words);                   \
    NEXT();                          \
  } while (0)
#define A1 ip[1].pair.a
#define B1 ip[1].pair.b
#define A2 ip[2].pair.a
#define B2 ip[2].pair.b

// Translates `f` if this is its first call, or traps.
#define TRANSLATE_OR_TRAP(f)                                \
  do {                                                      \
    if (!translate((f), trap_message)) [[unlikely]] {       \
      trap_kind = TrapKind::Other;                          \
      goto trap;                                            \
    }                                                       \
  } while (0)
// Calls host function `callee` with its arguments at `args`, the caller's
// frame ending at `frame_end`; a failure (a trap, the guest's exit) goes to
// pending.
#define HOST_CALL(args, frame_end)                          \
  do {                                                      \
    s->budget = budget;                                     \
    s->depth = uint32_t(top - s->frames);                   \
    uint64_t* saved = s->stack_top;                         \
    s->stack_top = (frame_end);                             \
    const bool ok = s->call_host(callee, (args));           \
    s->stack_top = saved;                                   \
    budget = s->budget;                                     \
    RELOAD_MEMORY();                                        \
    if (!ok) goto pending;                                  \
  } while (0)

  RELOAD_MEMORY();
  TRANSLATE_OR_TRAP(entry);
  if (!s->stack_fits(fp + entry->code->frame_slots)) TRAP(TrapKind::StackExhausted, "call stack exhausted");
  ip = entry->code->words.data();
  NEXT();

  // ---- numeric ----
#define BIN(p, c, name, T, R, expr)                                 \
  L_##name : {                                                      \
    const T a = rd<T>(fp, B1), b = rd<T>(fp, A2);                   \
    wr<R>(fp, A1, R(expr));                                         \
    ip += 3;                                                        \
    NEXT();                                                         \
  }                                                                 \
  L_##name##_ri : {                                                 \
    const T a = rd<T>(fp, B1), b = imm<T>(ip[2].u64);               \
    wr<R>(fp, A1, R(expr));                                         \
    ip += 3;                                                        \
    NEXT();                                                         \
  }
#define CMP(p, c, name, T, R, expr)                                 \
  BIN(p, c, name, T, R, expr)                                       \
  L_br_if_##name : {                                                \
    const T a = rd<T>(fp, A1), b = rd<T>(fp, B1);                   \
    if (expr) ip += ip[2].i64; else ip += 3;                        \
    NEXT();                                                         \
  }                                                                 \
  L_br_if_##name##_ri : {                                           \
    const T a = rd<T>(fp, A1), b = imm<T>(ip[2].u64);               \
    if (expr) ip += ip[3].i64; else ip += 4;                        \
    NEXT();                                                         \
  }                                                                 \
  L_br_unless_##name : {                                            \
    const T a = rd<T>(fp, A1), b = rd<T>(fp, B1);                   \
    if (!(expr)) ip += ip[2].i64; else ip += 3;                     \
    NEXT();                                                         \
  }                                                                 \
  L_br_unless_##name##_ri : {                                       \
    const T a = rd<T>(fp, A1), b = imm<T>(ip[2].u64);               \
    if (!(expr)) ip += ip[3].i64; else ip += 4;                     \
    NEXT();                                                         \
  }                                                                 \
  L_br_if_##name##_loop : {                                         \
    const T a = rd<T>(fp, A1), b = rd<T>(fp, B1);                   \
    BACK_EDGE_IF(expr, 4);                                          \
  }                                                                 \
  L_br_if_##name##_ri_loop : {                                      \
    const T a = rd<T>(fp, A1), b = imm<T>(ip[2].u64);               \
    BACK_EDGE_IF(expr, 5);                                          \
  }
#define UN(p, c, name, T, R, expr)                                  \
  L_##name : {                                                      \
    const T a = rd<T>(fp, B1);                                      \
    wr<R>(fp, A1, R(expr));                                         \
    ip += 2;                                                        \
    NEXT();                                                         \
  }
#define UCMP(p, c, name, T, R, expr)                                \
  UN(p, c, name, T, R, expr)                                        \
  L_br_if_##name : {                                                \
    const T a = rd<T>(fp, A1);                                      \
    if (expr) ip += ip[2].i64; else ip += 3;                        \
    NEXT();                                                         \
  }                                                                 \
  L_br_unless_##name : {                                            \
    const T a = rd<T>(fp, A1);                                      \
    if (!(expr)) ip += ip[2].i64; else ip += 3;                     \
    NEXT();                                                         \
  }                                                                 \
  L_br_if_##name##_loop : {                                         \
    const T a = rd<T>(fp, A1);                                      \
    BACK_EDGE_IF(expr, 4);                                          \
  }
#define TBIN(p, c, name, T, fn)                                     \
  L_##name : {                                                      \
    T r = 0;                                                        \
    if (TrapKind k = fn(rd<T>(fp, B1), rd<T>(fp, A2), r); k != kNoTrap) \
      TRAP(k, to_string(k));                                        \
    wr<T>(fp, A1, r);                                               \
    ip += 3;                                                        \
    NEXT();                                                         \
  }                                                                 \
  L_##name##_ri : {                                                 \
    T r = 0;                                                        \
    if (TrapKind k = fn(rd<T>(fp, B1), imm<T>(ip[2].u64), r); k != kNoTrap) \
      TRAP(k, to_string(k));                                        \
    wr<T>(fp, A1, r);                                               \
    ip += 3;                                                        \
    NEXT();                                                         \
  }
#define TUN(p, c, name, T, R, fn)                                   \
  L_##name : {                                                      \
    R r = 0;                                                        \
    if (TrapKind k = fn(rd<T>(fp, B1), r); k != kNoTrap)            \
      TRAP(k, to_string(k));                                        \
    wr<R>(fp, A1, r);                                               \
    ip += 2;                                                        \
    NEXT();                                                         \
  }
#define SHIFT_BIN(name, bin, shift, expr)                           \
  L_##name : {                                                      \
    const uint32_t a = uint32_t(fp[B1]), x = uint32_t(fp[A2]), k = B2; \
    fp[A1] = uint32_t(expr);                                        \
    ip += 3;                                                        \
    NEXT();                                                         \
  }
#include "engine/fast/numeric.def"

  // ---- memory ----
#define OOB(ea, n, size) TRAP(TrapKind::MemoryOutOfBounds, memory_out_of_bounds_message((ea) < (size) ? (size) : (ea), (size)))
// A load of memory 0 at `address` (bounds checked) into `v`, and `v` as R into `slot`.
#define LOAD_INTO(slot, address, M, R)                                        \
  const uint64_t ea = (address);                                              \
  if (ea + sizeof(M) > mem_size) OOB(ea, sizeof(M), mem_size);                \
  M v;                                                                        \
  std::memcpy(&v, mem_base + ea, sizeof(M));                                  \
  fp[slot] = uint64_t(R(v));
// That load as an instruction `words` long.
#define LOAD_AT(address, M, R, words)                                         \
  {                                                                           \
    LOAD_INTO(A1, address, M, R)                                              \
    ip += (words);                                                            \
    NEXT();                                                                   \
  }
#define LOAD(c, name, M, R)                                                   \
  L_##name : LOAD_AT(uint64_t(uint32_t(fp[B1])) + A2, M, R, 3)                \
  L_##name##_ri : LOAD_AT(uint64_t(uint32_t(fp[B1]) + B2) + A2, M, R, 3)      \
  L_##name##_rr : LOAD_AT(uint64_t(uint32_t(fp[B1]) + uint32_t(fp[B2])) + A2, M, R, 3) \
  L_##name##_si : LOAD_AT(uint64_t(uint32_t((uint32_t(fp[B1]) << ip[3].u64) + B2)) + A2, M, R, 4) \
  L_##name##_step : {                                                         \
    const uint32_t stepped = uint32_t(fp[B1]) + B2;                           \
    fp[B1] = stepped;                                                         \
    LOAD_AT(uint64_t(stepped) + A2, M, R, 3)                                  \
  }                                                                           \
  L_##name##_step_loop : {                                                    \
    const uint32_t stepped = uint32_t(fp[B1]) + B2;                           \
    fp[B1] = stepped;                                                         \
    LOAD_INTO(A1, uint64_t(stepped) + A2, M, R)                               \
    BACK_EDGE(3);                                                             \
  }                                                                           \
  L_##name##_mx : {                                                           \
    LinearMemory* m = inst->memories[B2];                                     \
    const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A2;                      \
    if (ea + sizeof(M) > m->bytes()) OOB(ea, sizeof(M), m->bytes());          \
    M v;                                                                      \
    std::memcpy(&v, m->base() + ea, sizeof(M));                               \
    fp[A1] = uint64_t(R(v));                                                  \
    ip += 3;                                                                  \
    NEXT();                                                                   \
  }
#define STORE(c, name, T, M)                                                  \
  L_##name : {                                                                \
    const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A2;                      \
    if (ea + sizeof(M) > mem_size) OOB(ea, sizeof(M), mem_size);              \
    const M v = M(rd<T>(fp, A1));                                             \
    std::memcpy(mem_base + ea, &v, sizeof(M));                                \
    ip += 3;                                                                  \
    NEXT();                                                                   \
  }                                                                           \
  L_##name##_ci : {                                                           \
    const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A1;                      \
    if (ea + sizeof(M) > mem_size) OOB(ea, sizeof(M), mem_size);              \
    const M v = M(imm<T>(ip[2].u64));                                         \
    std::memcpy(mem_base + ea, &v, sizeof(M));                                \
    ip += 3;                                                                  \
    NEXT();                                                                   \
  }                                                                           \
  L_##name##_mx : {                                                           \
    LinearMemory* m = inst->memories[B2];                                     \
    const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A2;                      \
    if (ea + sizeof(M) > m->bytes()) OOB(ea, sizeof(M), m->bytes());          \
    const M v = M(rd<T>(fp, A1));                                             \
    std::memcpy(m->base() + ea, &v, sizeof(M));                               \
    ip += 3;                                                                  \
    NEXT();                                                                   \
  }
// `T var` read from memory 0 at `address` (its bounds checked; var_ea is the address).
#define READ_AT(T, var, address)                                              \
  const uint64_t var##_ea = (address);                                        \
  if (var##_ea + sizeof(T) > mem_size) OOB(var##_ea, sizeof(T), mem_size);    \
  T var;                                                                      \
  std::memcpy(&var, mem_base + var##_ea, sizeof(T));
// mem[address] = expr(a, b), b being mem[address] and a `value`; `words` long.
#define UPDATE_AT(T, value, address, expr, words)                             \
  {                                                                           \
    READ_AT(T, b, address)                                                    \
    const T a = (value);                                                      \
    const T r = T(expr);                                                      \
    std::memcpy(mem_base + b_ea, &r, sizeof(T));                              \
    ip += (words);                                                            \
    NEXT();                                                                   \
  }
#define LOAD_BIN(name, load, store, T, expr)                                  \
  L_##name##_m : {                                                            \
    READ_AT(T, b, uint64_t(uint32_t(fp[A2])) + B2)                            \
    const T a = rd<T>(fp, B1);                                                \
    wr<T>(fp, A1, T(expr));                                                   \
    ip += 3;                                                                  \
    NEXT();                                                                   \
  }                                                                           \
  L_##name##_m_store : UPDATE_AT(T, rd<T>(fp, A1), uint64_t(uint32_t(fp[B1])) + A2, expr, 3)
#define MUL_ADD_STORE(name, mul, add, T, mul_expr, add_expr)                  \
  L_##name##_store : {                                                        \
    const T a = rd<T>(fp, A1), b = rd<T>(fp, B1);                             \
    const T product = T(mul_expr);                                            \
    UPDATE_AT(T, product, uint64_t(uint32_t(fp[A2])) + B2, add_expr, 3)      \
  }                                                                           \
  L_##name##_m_store : {                                                      \
    READ_AT(T, b, uint64_t(uint32_t(fp[B1])) + A2)                            \
    const T a = rd<T>(fp, A1);                                                \
    const T product = T(mul_expr);                                            \
    UPDATE_AT(T, product, uint64_t(uint32_t(fp[B2])) + ip[3].u64, add_expr, 4) \
  }
#include "engine/fast/memory_ops.def"
#undef READ_AT
#undef UPDATE_AT

  // ---- a loop counter's step and the loop's test (step_loop.def) ----
  // The step's words, then the branch's (`br`): its operand `a` is the
  // step's result, still in a register.
#define STEP_TEST(T, value, cmp_b, expr, taken_words)             \
  {                                                               \
    const T a = (value);                                          \
    wr<T>(fp, A1, a);                                             \
    const Word* br = ip + 3;                                      \
    const T b = (cmp_b);                                          \
    if (expr) {                                                   \
      const int64_t cost = br[taken_words + 1].i64;               \
      ip = br + br[taken_words].i64;                              \
      CHARGE_AND_NEXT(cost);                                      \
    }                                                             \
    ip = br + taken_words + 2;                                    \
    NEXT();                                                       \
  }
#define STEP_LOOP(w, T, cmp, mirror, expr)                                                                    \
  L_##w##_add_ri_br_if_##cmp##_loop:                                                                      \
  STEP_TEST(T, T(rd<T>(fp, B1) + imm<T>(ip[2].u64)), rd<T>(fp, ip[4].pair.b), expr, 2)                  \
  L_##w##_add_ri_br_if_##cmp##_ri_loop:                                                                   \
  STEP_TEST(T, T(rd<T>(fp, B1) + imm<T>(ip[2].u64)), imm<T>(ip[5].u64), expr, 3)                        \
  L_##w##_add_br_if_##cmp##_loop:                                                                         \
  STEP_TEST(T, T(rd<T>(fp, B1) + rd<T>(fp, A2)), rd<T>(fp, ip[4].pair.b), expr, 2)                      \
  L_##w##_add_br_if_##cmp##_ri_loop:                                                                      \
  STEP_TEST(T, T(rd<T>(fp, B1) + rd<T>(fp, A2)), imm<T>(ip[5].u64), expr, 3)
#include "engine/fast/step_loop.def"
#undef STEP_TEST

#define WASMLET_FAST_SIMD_HANDLERS
#include "engine/fast/simd_handlers.h"

L_memory_size: {
  fp[A1] = inst->memories[B1]->pages();
  ip += 2;
  NEXT();
}
L_memory_grow: {
  s->budget = budget;
  const int64_t old = s->grow_memory(inst->memories[B1], uint32_t(fp[A1]));
  fp[A1] = uint32_t(int32_t(old));
  RELOAD_MEMORY();
  ip += 2;
  NEXT();
}
L_memory_fill: {
  LinearMemory* m = inst->memories[B1];
  uint64_t* o = fp + A1;
  const uint64_t d = uint32_t(o[0]), n = uint32_t(o[2]);
  if (d + n > m->bytes()) OOB(d + n, n, m->bytes());
  std::memset(m->base() + d, int(uint8_t(o[1])), n);
  ip += 2;
  NEXT();
}
L_memory_copy: {
  LinearMemory* dm = inst->memories[B1];
  LinearMemory* sm = inst->memories[A2];
  uint64_t* o = fp + A1;
  const uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > sm->bytes()) OOB(src + n, n, sm->bytes());
  if (d + n > dm->bytes()) OOB(d + n, n, dm->bytes());
  std::memmove(dm->base() + d, sm->base() + src, n);
  ip += 3;
  NEXT();
}
L_memory_init: {
  LinearMemory* m = inst->memories[B1];
  const uint32_t seg = A2;
  uint64_t* o = fp + A1;
  const uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  const decode::DataSegment& data = inst->code->module().data[seg];
  const uint64_t size = inst->dropped_data[seg] ? 0 : data.bytes.size;
  if (src + n > size) OOB(src + n, n, size);
  if (d + n > m->bytes()) OOB(d + n, n, m->bytes());
  if (n) std::memcpy(m->base() + d, inst->code->bytes().data() + data.bytes.offset + src, n);
  ip += 3;
  NEXT();
}
L_data_drop: {
  inst->dropped_data[A1] = true;
  ip += 2;
  NEXT();
}

  // ---- tables and references ----
#define TABLE_OOB() TRAP(TrapKind::TableOutOfBounds, "out of bounds table access")
L_table_get: {
  Table* t = inst->tables[B1];
  const uint32_t i = uint32_t(fp[A1]);
  if (i >= t->elements.size()) TABLE_OOB();
  fp[A1] = t->elements[i];
  ip += 2;
  NEXT();
}
L_table_set: {
  Table* t = inst->tables[B1];
  const uint32_t i = uint32_t(fp[A1]);
  if (i >= t->elements.size()) TABLE_OOB();
  t->elements[i] = fp[A2];
  ip += 3;
  NEXT();
}
L_table_size: {
  fp[A1] = uint32_t(inst->tables[B1]->elements.size());
  ip += 2;
  NEXT();
}
L_table_grow: {
  uint64_t* o = fp + A1;
  const int64_t old = s->grow_table(inst->tables[B1], uint32_t(o[1]), o[0]);
  o[0] = uint32_t(int32_t(old));
  ip += 2;
  NEXT();
}
L_table_fill: {
  Table* t = inst->tables[B1];
  uint64_t* o = fp + A1;
  const uint64_t i = uint32_t(o[0]), n = uint32_t(o[2]);
  if (i + n > t->elements.size()) TABLE_OOB();
  std::fill_n(t->elements.begin() + i, n, o[1]);
  ip += 2;
  NEXT();
}
L_table_copy: {
  Table* dt = inst->tables[B1];
  Table* st = inst->tables[A2];
  uint64_t* o = fp + A1;
  const uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  if (src + n > st->elements.size() || d + n > dt->elements.size()) TABLE_OOB();
  if (n) std::memmove(dt->elements.data() + d, st->elements.data() + src, n * sizeof(uint64_t));
  ip += 3;
  NEXT();
}
L_table_init: {
  Table* t = inst->tables[B1];
  const uint32_t seg = A2;
  uint64_t* o = fp + A1;
  const uint64_t d = uint32_t(o[0]), src = uint32_t(o[1]), n = uint32_t(o[2]);
  const std::vector<uint64_t>& elems = inst->element_values[seg];
  const uint64_t size = inst->dropped_elements[seg] ? 0 : elems.size();
  if (src + n > size || d + n > t->elements.size()) TABLE_OOB();
  if (n) std::memcpy(t->elements.data() + d, elems.data() + src, n * sizeof(uint64_t));
  ip += 3;
  NEXT();
}
L_elem_drop: {
  inst->dropped_elements[A1] = true;
  ip += 2;
  NEXT();
}
L_ref_func: {
  fp[A1] = reinterpret_cast<uint64_t>(inst->funcs[B1]);
  ip += 2;
  NEXT();
}
L_ref_is_null: {
  fp[A1] = fp[B1] == 0;
  ip += 2;
  NEXT();
}

  // ---- variables ----
// The copy in code word `w` (dst|src), and the first n of a run of them.
#define COPY_WORD(w) fp[ip[w].pair.a] = fp[ip[w].pair.b]
#define COPIES_1 COPY_WORD(1)
#define COPIES_2 COPIES_1; COPY_WORD(2)
#define COPIES_3 COPIES_2; COPY_WORD(3)
#define COPIES_4 COPIES_3; COPY_WORD(4)
// A run of n copies in order (copy, copy2, ...); the same, then ret; the
// same, then call: `ip` moves so that the call's operand word is ip[1] and
// its return address ip + 2, as for a call of its own.
#define COPY_RUN(n, name)   \
  L_##name:                 \
  COPIES_##n;               \
  ip += (n) + 1;            \
  NEXT();                   \
  L_##name##_ret:           \
  COPIES_##n;               \
  goto L_ret;               \
  L_##name##_call:          \
  COPIES_##n;               \
  ip += (n);                \
  goto L_call;
COPY_RUN(1, copy)
COPY_RUN(2, copy2)
COPY_RUN(3, copy3)
COPY_RUN(4, copy4)
#undef COPY_RUN
L_copy_fuel: {
  COPY_WORD(1);
  const int64_t cost = ip[2].i64;
  ip += 3;
  CHARGE_AND_NEXT(cost);
}
L_copy_br:
  COPY_WORD(1);
  ip += ip[2].i64;
  NEXT();
#undef COPIES_1
#undef COPIES_2
#undef COPIES_3
#undef COPIES_4
#undef COPY_WORD
L_i32_rsub_ri:
  fp[A1] = uint32_t(uint32_t(ip[2].u64) - uint32_t(fp[B1]));
  ip += 3;
  NEXT();
L_i32_add_ri2:
  fp[A1] = uint32_t(uint32_t(fp[B1]) + A2);
  fp[ip[3].pair.a] = uint32_t(uint32_t(fp[ip[3].pair.b]) + B2);
  ip += 4;
  NEXT();
L_i32_add_ri3:
  fp[A1] = uint32_t(uint32_t(fp[B1]) + A2);
  fp[ip[3].pair.a] = uint32_t(uint32_t(fp[ip[3].pair.b]) + B2);
  fp[ip[4].pair.a] = uint32_t(uint32_t(fp[ip[4].pair.b]) + ip[5].pair.a);
  ip += 6;
  NEXT();
L_i32_add_copy: {
  const uint64_t r = uint32_t(uint32_t(fp[B1]) + uint32_t(fp[A2]));
  fp[A1] = r;
  fp[B2] = r;
  ip += 3;
  NEXT();
}
L_i32_add_ri_copy: {
  const uint64_t r = uint32_t(uint32_t(fp[B1]) + A2);
  fp[A1] = r;
  fp[B2] = r;
  ip += 3;
  NEXT();
}
L_i32_div_u_by:
  fp[A1] = divide_by(uint32_t(fp[B1]), ip[2].u64);
  ip += 3;
  NEXT();
L_i32_rem_u_by:
  fp[A1] = remainder_by(uint32_t(fp[B1]), ip[2].u64, uint32_t(ip[3].u64));
  ip += 4;
  NEXT();
// `y - (q = y / d) * d`: the quotient is written first, as the wasm writes
// it (a local.tee) before the remainder exists, since the remainder may go
// to the same slot (a local reused for both, or slot 0 of a return).
L_i32_divrem_u_by: {
  const uint32_t a = uint32_t(fp[B1]), q = divide_by(a, ip[3].u64);
  fp[A2] = q;
  fp[A1] = uint32_t(a - q * uint32_t(ip[4].u64));
  ip += 5;
  NEXT();
}
L_i64_divrem_u_ri: {
  const uint64_t a = fp[B1], d = ip[4].u64, q = divide64_by(a, ip[3].u64, B2);  // d >= 2 (the translator checks)
  fp[A2] = q;
  fp[A1] = a - q * d;
  ip += 5;
  NEXT();
}
// A byte made from slot A1 and constant B2 by `expr`, stored at fp[B1] + A2.
#define STORE8_OF(expr)                                   \
  {                                                       \
    const uint64_t ea = uint64_t(uint32_t(fp[B1])) + A2;  \
    if (ea >= mem_size) OOB(ea, 1, mem_size);             \
    const uint32_t x = uint32_t(fp[A1]);                  \
    mem_base[ea] = uint8_t(expr);                         \
    ip += 3;                                              \
    NEXT();                                               \
  }
L_i32_or_ri_store8: STORE8_OF(x | B2)
L_i32_add_ri_store8: STORE8_OF(x + B2)
#undef STORE8_OF
// The scan (ops.def: i32_scan_loop): each iteration reads and writes the
// slots in the order the two instructions would, traps alike, and charges
// the step's back-edge, which leads here (the translator checks).
L_i32_scan_loop: {
  const Word* w = ip;
  asm("" : "+r"(w));  // as in DIGITS_LOOP below
  const Word* const step = w + w[4].i64;
  const uint32_t dst = w[1].pair.a, a = w[1].pair.b, mask = w[2].pair.a, k = w[2].pair.b;
  const uint32_t pointer = step[1].pair.b, loaded = step[1].pair.a, offset = step[2].pair.a, by = step[2].pair.b;
  const int64_t cost = step[4].i64;
  for (;;) {
    const uint32_t r = uint32_t(fp[a]) & mask;
    fp[dst] = r;
    if (r == 0) {
      ip = w + w[3].i64;
      NEXT();
    }
    if (r == k) {
      ip = w + 5;
      NEXT();
    }
    const uint32_t stepped = uint32_t(fp[pointer]) + by;
    fp[pointer] = stepped;
    LOAD_INTO(loaded, uint64_t(stepped) + offset, uint8_t, uint32_t)
    budget -= cost;
    if (budget < 0) [[unlikely]] goto refuel;  // ip is still the loop's start
  }
}
// A digit loop of just four instructions in printf's shape (ops.def:
// i32_digits_loop), their words unchanged: p and y stay in registers, and
// the loop's end and a refuel at the back-edge (which leads here) first
// leave the slots as the four instructions would; a trap writes only what
// the instructions before the store wrote (no frame is read after it). (The
// empty asm hides where `w` comes from: else GCC computes the four's
// addresses from ip before every dispatch of every handler.)
#define DIGITS_LOOP(name, T)                                                                 \
  L_##name : {                                                                               \
    const Word* w = ip;                                                                      \
    asm("" : "+r"(w));                                                                       \
    const Word *const div = w + kDigitLoopDivide, *const store = w + kDigitLoopStore,        \
               *const test = w + kDigitLoopTest;                                             \
    const uint32_t p_slot = w[1].pair.a, r_slot = div[1].pair.a, y_slot = div[1].pair.b,     \
                   q_slot = div[2].pair.a, f_slot = test[1].pair.a;                          \
    const uint32_t step = uint32_t(w[2].u64), shift = div[2].pair.b;                         \
    const uint64_t m = div[3].u64, offset = store[2].pair.a;                                 \
    const T divisor = T(div[4].u64), limit = T(test[2].u64);                                 \
    const uint8_t k = uint8_t(store[2].pair.b);                                              \
    const int64_t cost = test[kDigitLoopTestWords - 1].i64;                                  \
    uint32_t p = uint32_t(fp[p_slot]);                                                       \
    T y = T(fp[y_slot]), q, r;                                                               \
    bool more;                                                                               \
    for (;;) {                                                                               \
      p += step;                                                                             \
      if constexpr (sizeof(T) == 4) q = divide_by(y, m); else q = divide64_by(y, m, shift);  \
      r = T(y - q * divisor);                                                                \
      const uint64_t ea = p + offset;                                                        \
      if (ea >= mem_size) [[unlikely]] {                                                     \
        fp[p_slot] = p, fp[r_slot] = r, fp[q_slot] = q;                                      \
        OOB(ea, 1, mem_size);                                                                \
      }                                                                                      \
      mem_base[ea] = uint8_t(uint8_t(r) | k);                                                \
      more = y > limit;                                                                      \
      y = q;                                                                                 \
      if (!more) break;                                                                      \
      budget -= cost;                                                                        \
      if (budget < 0) [[unlikely]] break;                                                    \
    }                                                                                        \
    fp[p_slot] = p, fp[r_slot] = r, fp[q_slot] = q, fp[f_slot] = more, fp[y_slot] = y;       \
    if (more) goto refuel; /* ip is still the loop's start */                                \
    ip = test + kDigitLoopTestWords;                                                         \
    NEXT();                                                                                  \
  }
DIGITS_LOOP(i32_digits_loop, uint32_t)
DIGITS_LOOP(i64_digits_loop, uint64_t)
#undef DIGITS_LOOP
L_copy128: {
  fp[A1] = fp[B1];
  fp[A1 + 1] = fp[B1 + 1];
  ip += 2;
  NEXT();
}
L_const64: {
  fp[A1] = ip[2].u64;
  ip += 3;
  NEXT();
}
L_const128: {
  fp[A1] = ip[2].u64;
  fp[A1 + 1] = ip[3].u64;
  ip += 4;
  NEXT();
}
L_select: {
  fp[A1] = uint32_t(fp[B2]) ? fp[B1] : fp[A2];
  ip += 3;
  NEXT();
}
L_select128: {
  const uint32_t from = uint32_t(fp[B2]) ? B1 : A2;
  const uint64_t lo = fp[from], hi = fp[from + 1];
  fp[A1] = lo;
  fp[A1 + 1] = hi;
  ip += 3;
  NEXT();
}
L_global_get: {
  fp[A1] = inst->globals[B1]->value[0];
  ip += 2;
  NEXT();
}
L_global_set: {
  inst->globals[B1]->value[0] = fp[A1];
  ip += 2;
  NEXT();
}
L_global_get128: {
  Global* g = inst->globals[B1];
  fp[A1] = g->value[0];
  fp[A1 + 1] = g->value[1];
  ip += 2;
  NEXT();
}
L_global_set128: {
  Global* g = inst->globals[B1];
  g->value[0] = fp[A1];
  g->value[1] = fp[A1 + 1];
  ip += 2;
  NEXT();
}

  // ---- control ----
L_unreachable:
  TRAP(TrapKind::Unreachable, "unreachable executed");
L_native: {
  // The function runs as native code (hot/), on the same frame; then it returns.
  s->budget = budget;
  s->depth = uint32_t(top - s->frames);
  uint64_t* const saved = s->stack_top;
  s->stack_top = fp + FUNC()->code->frame_slots;
  const int ok = hot::run_native(*s, inst, FUNC()->code->native, fp);
  s->stack_top = saved;
  budget = s->budget;
  RELOAD_MEMORY();
  if (!ok) goto pending;
  goto L_ret;
}
L_unsupported:
  TRAP(TrapKind::Other, FUNC()->code->messages[A1]);
L_zero_slots: {
  // A plain loop: most runs are a few slots (the asm keeps the compiler
  // from making it a memset call).
  uint64_t* z = fp + A1;
  for (uint32_t n = B1; n != 0; --n) {
    *z++ = 0;
    asm("" : "+r"(z));
  }
  ip += 2;
  NEXT();
}
L_fuel: {
  const int64_t cost = ip[1].i64;
  ip += 2;
  CHARGE_AND_NEXT(cost);
}
refuel: {
  // A check point took the budget below zero; ip is where the guest goes on.
  s->budget = budget;
  try {
    budget = refuel(store, budget);
    s->budget = budget;
  } catch (const MeterTrap& e) {
    budget = 0;  // refuel() counted it all (engine/metering.h)
    TRAP(e.kind, e.message);
  }
  NEXT();
}
L_br:
  ip += ip[1].i64;
  NEXT();
L_br_if_test_zero:
  if ((uint32_t(fp[A1]) & B1) == 0) ip += ip[2].i64;
  else ip += 3;
  NEXT();
L_br_if_test_nonzero:
  if (uint32_t(fp[A1]) & B1) ip += ip[2].i64;
  else ip += 3;
  NEXT();
L_br_if_i32_gt_s_rsub_ri:
  if (int32_t(uint32_t(fp[A1])) > int32_t(uint32_t(ip[2].u64) - uint32_t(fp[B1]))) ip += ip[3].i64;
  else ip += 4;
  NEXT();
L_br_if_i32_add_ri_lt_u_ri:
  if (uint32_t(uint32_t(fp[A1]) + uint32_t(ip[2].u64)) < B1) ip += ip[3].i64;
  else ip += 4;
  NEXT();
L_br_unless_i32_add_ri_lt_u_ri:
  if (uint32_t(uint32_t(fp[A1]) + uint32_t(ip[2].u64)) >= B1) ip += ip[3].i64;
  else ip += 4;
  NEXT();
L_i32_mul_ri_add:
  fp[A1] = uint32_t(uint32_t(fp[B1]) + uint32_t(fp[A2]) * B2);
  ip += 3;
  NEXT();
L_i32_and_ri_br_if_zero: {
  const uint32_t r = uint32_t(fp[B1]) & A2;
  fp[A1] = r;
  if (r == 0) ip += ip[3].i64;
  else ip += 4;
  NEXT();
}
L_i32_and_ri_br_if_nonzero: {
  const uint32_t r = uint32_t(fp[B1]) & A2;
  fp[A1] = r;
  if (r) ip += ip[3].i64;
  else ip += 4;
  NEXT();
}
#define LOAD_BRANCH(name, M, taken)                                \
  L_##name : {                                                     \
    LOAD_INTO(A1, uint64_t(uint32_t(fp[B1])) + A2, M, M)           \
    if (taken) ip += ip[3].i64;                                    \
    else ip += 4;                                                  \
    NEXT();                                                        \
  }
LOAD_BRANCH(i32_load_br_if_zero, uint32_t, v == 0)
LOAD_BRANCH(i32_load_br_if_nonzero, uint32_t, v != 0)
LOAD_BRANCH(i32_load8_u_br_if_zero, uint8_t, v == 0)
LOAD_BRANCH(i32_load8_u_br_if_nonzero, uint8_t, v != 0)
#undef LOAD_BRANCH
L_i32_and_ri_br_if_zero_ne_ri: {
  const uint32_t r = uint32_t(fp[B1]) & A2;
  fp[A1] = r;
  if (r == 0) ip += ip[3].i64;
  else if (r != B2) ip += ip[4].i64;
  else ip += 5;
  NEXT();
}
#define GT_U_COPY_LOOP(name, T)                   \
  L_##name : {                                    \
    const bool more = T(fp[B1]) > T(ip[2].u64);   \
    fp[A1] = more;                                \
    fp[ip[3].pair.a] = fp[ip[3].pair.b];          \
    BACK_EDGE_IF(more, 6);                        \
  }
GT_U_COPY_LOOP(i32_gt_u_ri_copy_br_if_loop, uint32_t)
GT_U_COPY_LOOP(i64_gt_u_ri_copy_br_if_loop, uint64_t)
#undef GT_U_COPY_LOOP
L_copy_br_if_loop:
  fp[A1] = fp[B1];
  BACK_EDGE_IF(uint32_t(fp[A2]), 5);
L_br_loop:
  BACK_EDGE(1);
L_br_if_loop:
  BACK_EDGE_IF(uint32_t(fp[A1]), 4);
L_br_if:
  if (uint32_t(fp[A1])) ip += ip[2].i64;
  else ip += 3;
  NEXT();
L_br_unless:
  if (!uint32_t(fp[A1])) ip += ip[2].i64;
  else ip += 3;
  NEXT();
L_br_table: {
  const uint32_t count = B1;
  uint32_t i = uint32_t(fp[A1]);
  if (i > count) i = count;
  ip += ip[2 + i].i64;
  NEXT();
}
// Pushes the caller's frame and enters guest function `to` of the same
// instance (translated, its frame known to fit) past its entry's fuel check
// point, which the call charges itself.
#define ENTER(to, to_fp, resume)                           \
  {                                                        \
    top->ip = (resume);                                    \
    top->fp = fp;                                          \
    top->callee = (to);                                    \
    ++top;                                                 \
    fp = (to_fp);                                          \
    ip = (to)->entry;                                      \
    budget -= (to)->entry_fuel;                            \
    if (budget < 0) [[unlikely]] goto refuel;              \
    NEXT();                                                \
  }
// A call of a guest function of the same instance, already translated,
// whose frame fits, the common case, is a few compares and stores; anything
// else (a host function, whose `code` is always null, a first call, another
// instance's function, stacks to deepen or exhausted) goes through
// call_slow, so that nothing the fast path holds lives across a function
// call (which made the compiler keep it all on the machine stack).
// `other_instance` is whether `to` may be another instance's.
#define GUEST_CALL(target, frame, resume, other_instance)                           \
  {                                                                                 \
    Func* const to = (target);                                                      \
    uint64_t* const to_fp = (frame);                                                \
    const FastStore* const limits = s;                                              \
    if ((other_instance) || top >= limits->frames_end ||                            \
        bytes_between(to_fp, limits->stack_end) < to->frame_bytes) [[unlikely]] {   \
      callee = to;                                                                  \
      nfp = to_fp;                                                                  \
      return_ip = (resume);                                                         \
      goto call_slow;                                                               \
    }                                                                               \
    ENTER(to, to_fp, resume)                                                        \
  }
L_call:  // a function the module defines: one of this instance
  GUEST_CALL(inst->funcs[A1], fp + B1, ip + 2, false)
L_call_import:
  callee = inst->funcs[A1];
  nfp = fp + B1;
  return_ip = ip + 2;
  goto call_slow;
L_call_indirect: {
  Table* t = inst->tables[A2];
  const uint32_t i = uint32_t(fp[B2]);
  if (i >= t->elements.size()) TRAP(TrapKind::TableOutOfBounds, "undefined table index");
  Func* const target = reinterpret_cast<Func*>(t->elements[i]);
  if (!target) TRAP(TrapKind::UninitializedElement, "uninitialized table element");
  if (target->type_id != inst->type_ids[A1]) TRAP(TrapKind::IndirectCallTypeMismatch, "indirect call signature mismatch");
  GUEST_CALL(target, fp + B1, ip + 3, target->instance != inst)
}
L_return_call: {
  callee = inst->funcs[A1];
  std::memmove(fp, fp + B1, A2 * sizeof(uint64_t));
  goto do_tail_call;
}
L_return_call_indirect: {
  Table* t = inst->tables[A2];
  const uint32_t i = uint32_t(fp[B2]);
  if (i >= t->elements.size()) TRAP(TrapKind::TableOutOfBounds, "undefined table index");
  callee = reinterpret_cast<Func*>(t->elements[i]);
  if (!callee) TRAP(TrapKind::UninitializedElement, "uninitialized table element");
  if (callee->type_id != inst->type_ids[A1]) TRAP(TrapKind::IndirectCallTypeMismatch, "indirect call signature mismatch");
  std::memmove(fp, fp + B1, ip[3].pair.a * sizeof(uint64_t));
  goto do_tail_call;
}
L_ret: {
  if (top == bottom) {
    s->budget = budget;
    s->depth = uint32_t(bottom - s->frames);
    return true;
  }
  const Frame& f = *--top;
  ip = f.ip;
  fp = f.fp;
  NEXT();
}
L_return_to_instance: {
  // A call into another instance returned (see Frame): back to the caller's.
  const Frame& f = *--top;
  ip = f.ip;
  fp = f.fp;
  inst = f.inst;
  RELOAD_MEMORY();
  NEXT();
}

call_slow: {
  if (callee->is_host) {
    HOST_CALL(nfp, fp + FUNC()->code->frame_slots);
    ip = return_ip;
    NEXT();
  }
  // The callee's first call (translate it), or stacks to deepen; then make
  // the call (`ip` may point inside a fused copyN_call: the call is not
  // dispatched again).
  TRANSLATE_OR_TRAP(callee);
  const bool other_instance = callee->instance != inst;
  if (!s->frame_fits(top + other_instance) || !s->stack_fits(nfp + callee->code->frame_slots)) [[unlikely]]
    TRAP(TrapKind::StackExhausted, "call stack exhausted");
  if (other_instance) {
    // Returns through return_to_instance, to a frame that restores this instance.
    Func* const caller = FUNC();
    *top++ = Frame{return_ip, fp, inst, caller};
    return_ip = return_to_instance_code;
    inst = callee->instance;
    RELOAD_MEMORY();
  }
  ENTER(callee, nfp, return_ip)
}
#undef GUEST_CALL
#undef ENTER

do_tail_call: {
  // The arguments are in fp[0..]; the callee replaces this frame.
  if (callee->is_host) {
    HOST_CALL(fp, fp + std::max<uint32_t>(FUNC()->code->frame_slots, 64));
    goto L_ret;
  }
  TRANSLATE_OR_TRAP(callee);
  const Code* next = callee->code;
  if (!s->stack_fits(fp + next->frame_slots)) [[unlikely]] TRAP(TrapKind::StackExhausted, "call stack exhausted");
  if (inst != callee->instance) {
    // Into another instance: the frame this function returns through must
    // restore the caller's. Unless it does already (return_to_instance),
    // it becomes the frame that does, under one that returns there. At the
    // activation's bottom the return leaves run(), whatever the instance.
    if (top != bottom && top[-1].ip != return_to_instance_code) {
      if (!s->frame_fits(top)) [[unlikely]] TRAP(TrapKind::StackExhausted, "call stack exhausted");
      Frame& back = top[-1];
      back.inst = inst;
      back.callee = top - 1 == bottom ? entry_func : top[-2].callee;
      *top++ = Frame{return_to_instance_code, back.fp, nullptr, nullptr};
    }
    inst = callee->instance;
    RELOAD_MEMORY();
  }
  FUNC() = callee;
  ip = next->words.data();
  NEXT();
}

trap:
  s->trap(trap_kind, std::move(trap_message), FUNC()->name);
pending:
  s->note_trap_site(FUNC()->name);
  // The trap (or a host function's exit) is pending in the store; unwind
  // this activation's frames.
  s->depth = uint32_t(bottom - s->frames);
  s->budget = budget;
  return false;

#undef NEXT
#undef RELOAD_MEMORY
#undef TRAP
#undef CHARGE_AND_NEXT
#undef BACK_EDGE_IF
#undef OOB
#undef LOAD_AT
#undef LOAD_INTO
#undef BACK_EDGE
#undef TABLE_OOB
#undef FUNC
#undef TRANSLATE_OR_TRAP
#undef HOST_CALL
#undef A1
#undef B1
#undef A2
#undef B2
#undef s
}

}  // namespace

}  // namespace wasmlet::detail::fast
