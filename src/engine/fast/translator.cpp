#include "engine/fast/translator.h"

#include <algorithm>
#include <cstring>
#include <array>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "engine/decode/function_validator.h"
#include "engine/metering.h"
#include "engine/fast/reciprocal_division.h"
#include "engine/fast/zeroed_locals.h"

namespace wasmlet::detail::fast {

namespace {

using decode::Instruction;
using decode::OpKind;
using decode::ValType;

constexpr size_t kNone = SIZE_MAX;
// A run of copies in one instruction, by how many (move_to merges them),
// and the fused forms a run of copies becomes before what follows it
// (Translator::fuse_copies).
constexpr Op kCopies[] = {Op::copy, Op::copy2, Op::copy3, Op::copy4};
constexpr Op kCopyRet[] = {Op::copy_ret, Op::copy2_ret, Op::copy3_ret, Op::copy4_ret};
constexpr Op kCopyCall[] = {Op::copy_call, Op::copy2_call, Op::copy3_call, Op::copy4_call};
constexpr Op kCopyBr[] = {Op::copy_br};
constexpr Op kCopyBrIfLoop[] = {Op::copy_br_if_loop};

uint32_t width(ValType t) { return t == ValType::V128 ? 2 : 1; }

// What the numeric opcodes translate to.
struct NumericOps {
  std::array<std::optional<Op>, 256> plain{};
  std::array<std::optional<Op>, 8> misc{};
  std::array<bool, size_t(Op::count_)> has_ri{}, is_cmp{}, is_ucmp{}, commutative{};
  std::array<std::optional<Op>, 256> load{}, store{};
  std::array<std::optional<std::pair<Op, Op>>, size_t(Op::count_)> load_bin{};  // op -> (its load, op_m)
  std::array<std::optional<std::pair<Op, Op>>, size_t(Op::count_)> bin_store{};  // op_m -> (its store, op_m_store)
  // add_m_store -> the multiplications whose product it may take, and the fused ops.
  struct MulAdd {
    Op mul, mul_m;      // the product's instruction (of two slots, of a slot and a load)
    Op fused, fused_m;  // <name>_store, <name>_m_store
  };
  std::array<std::optional<MulAdd>, size_t(Op::count_)> mul_add{};
  std::array<std::array<std::optional<Op>, 3>, size_t(Op::count_)> shift_bin{};  // bin -> [rotl, shl, shr_u] -> fused
  // A loop test (br_if_<cmp>[_ri]_loop) and the steps it fuses with (step_loop.def).
  struct StepLoop {
    Op add_ri, add;              // the steps: <w>_add_ri, <w>_add
    Op after_add_ri, after_add;  // the fused ops
    std::optional<Op> mirrored;  // the test with its operands swapped (not for the _ri forms)
  };
  std::array<std::optional<StepLoop>, size_t(Op::count_)> step_loop{};
  static int shift_index(Op op) {
    return op == Op::i32_rotl_ri ? 0 : op == Op::i32_shl_ri ? 1 : op == Op::i32_shr_u_ri ? 2 : -1;
  }
  NumericOps() {
#define BIN(p, c, name, ...) set(p, c, Op::name, true);
#define CMP(p, c, name, ...) set(p, c, Op::name, true), is_cmp[size_t(Op::name)] = true;
#define UN(p, c, name, ...) set(p, c, Op::name, false);
#define UCMP(p, c, name, ...) set(p, c, Op::name, false), is_ucmp[size_t(Op::name)] = true;
#define TBIN(p, c, name, ...) set(p, c, Op::name, true);
#define TUN(p, c, name, ...) set(p, c, Op::name, false);
#define SHIFT_BIN(name, bin, shift, ...) shift_bin[size_t(Op::bin)][size_t(shift_index(Op::shift))] = Op::name;
#include "engine/fast/numeric.def"
#define LOAD(c, name, ...) load[c] = Op::name;
#define STORE(c, name, ...) store[c] = Op::name;
#define LOAD_BIN(name, load, store, ...) load_bin[size_t(Op::name)] = std::pair{Op::load, Op::name##_m}, \
                                          bin_store[size_t(Op::name##_m)] = std::pair{Op::store, Op::name##_m_store};
#define MUL_ADD_STORE(name, mul, add, ...) \
  mul_add[size_t(Op::add##_m_store)] = MulAdd{Op::mul, Op::mul##_m, Op::name##_store, Op::name##_m_store};
#include "engine/fast/memory_ops.def"
#define STEP_LOOP(w, T, cmp, mirror, ...)                                                                   \
  step_loop[size_t(Op::br_if_##cmp##_loop)] =                                                              \
      StepLoop{Op::w##_add_ri, Op::w##_add, Op::w##_add_ri_br_if_##cmp##_loop, Op::w##_add_br_if_##cmp##_loop, \
               Op::br_if_##mirror##_loop};                                                                 \
  step_loop[size_t(Op::br_if_##cmp##_ri_loop)] = StepLoop{Op::w##_add_ri, Op::w##_add,                       \
                                                          Op::w##_add_ri_br_if_##cmp##_ri_loop,               \
                                                          Op::w##_add_br_if_##cmp##_ri_loop, std::nullopt};
#include "engine/fast/step_loop.def"
    for (Op op : {Op::i32_add, Op::i32_mul, Op::i32_and, Op::i32_or, Op::i32_xor, Op::i32_eq, Op::i32_ne, Op::i64_add,
                  Op::i64_mul, Op::i64_and, Op::i64_or, Op::i64_xor, Op::i64_eq, Op::i64_ne})
      commutative[size_t(op)] = true;
  }
  void set(int prefix, int code, Op op, bool ri) {
    (prefix == 0 ? plain[size_t(code)] : misc[size_t(code)]) = op;
    has_ri[size_t(op)] = ri;
  }
};

const NumericOps& numeric_ops() {
  static const NumericOps ops;
  return ops;
}

// What the SIMD instructions translate to (simd_list.h), by sub-opcode.
enum class SimdShape : uint8_t { None, Unary, Binary, Ternary, Test, Shift, Splat, Extract, Replace, Load, Store,
                                 LoadLane, StoreLane, Shuffle };
struct SimdOps {
  std::array<std::pair<Op, SimdShape>, 256> by_code{};
  SimdOps() {
    by_code.fill({Op::unsupported, SimdShape::None});
#define SIMD_UNARY(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Unary};
#define SIMD_BINARY(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Binary};
#define SIMD_TERNARY(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Ternary};
#define SIMD_TEST(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Test};
#define SIMD_SHIFT(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Shift};
#define SIMD_SPLAT(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::Splat};
#define SIMD_EXTRACT(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::Extract};
#define SIMD_REPLACE(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::Replace};
#define SIMD_LOAD(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::Load};
#define SIMD_STORE(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::Store};
#define SIMD_LOAD_LANE(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::LoadLane};
#define SIMD_STORE_LANE(c, fn, ...) by_code[c] = {Op::simd_##fn, SimdShape::StoreLane};
#define SIMD_SHUFFLE(c, fn) by_code[c] = {Op::simd_##fn, SimdShape::Shuffle};
#include "engine/fast/simd_list.h"
  }
};

const SimdOps& simd_ops() {
  static const SimdOps ops;
  return ops;
}

Op offset(Op op, int by) { return Op(uint16_t(int(op) + by)); }

class Translator {
 public:
  Translator(const decode::Module& module, std::span<const uint8_t> bytes, uint32_t defined_index, Code& out,
             bool fuse)
      : module_(module), validator_(module, bytes), index_(defined_index), out_(out), code_(out.words),
        handlers_(handler_table()), ops_(numeric_ops()), fuse_(fuse) {}

  void run() {
    validator_.begin(index_);
    const decode::FunctionBody& body = module_.bodies[index_];
    type_ = &module_.types[body.type_index];
    // Code comes to about half a word per byte of wasm (wasi-libc's printf):
    // reserving that saves most of the vector's regrowth and copies.
    code_.reserve(code_.size() + body.code.size / 2 + 16);
    uint32_t slot = 0;
    auto locals = validator_.locals();
    local_slot_.reserve(locals.size());
    for (size_t i = 0; i < locals.size(); ++i) {
      local_slot_.push_back(slot);
      slot += width(locals[i]);
    }
    locals_end_ = slot;
    local_written_.assign(locals.size(), false);
    for (ValType t : type_->results) result_slots_ += width(t);
    max_slot_ = std::max(locals_end_, result_slots_);

    zeroed_.emplace(uint32_t(type_->params.size()), uint32_t(locals.size()));
    controls_.push_back(Control{0, false, false, 0, locals_end_, {}, type_->results, kNone, {}, std::nullopt, {}});
    fuel_.push_back(FuelScope{emit_fuel(), 0});
    Instruction ins;
    while (validator_.next(ins)) {
      const bool counted = !(ins.prefix == 0 && (ins.code == 0x0b || ins.code == 0x05));
      if (counted) ++fuel_.back().cost;
      // The metering rewrite follows each memory.grow with 8 instructions
      // (it notes a refused grow), which its cost model counts.
      if (ins.prefix == 0 && ins.code == 0x40) fuel_.back().cost += kMemoryGrowExtraCost;
      translate(ins);
    }
    out_.frame_slots = max_slot_ + 2;
    zero_locals_at_entry(locals);
  }

 private:
  enum class Kind : uint8_t { Slot, Const };
  struct Entry {
    ValType type;
    Kind kind;
    uint32_t slot;  // Slot: where the value is (its home, or a local's slot)
    uint32_t home;  // the slot this stack position owns
    uint64_t bits;  // Const: the value
  };
  struct Fixup {
    size_t instr;  // the branch's first word
    size_t word;   // the word holding its offset
  };
  struct Control {
    uint8_t opcode;  // 0 function, 2 block, 3 loop, 4 if (also after else)
    bool dead;       // the code here is unreachable: nothing is emitted
    bool entered_dead;
    uint32_t stack_size;  // entries below its parameters
    uint32_t home;        // the home slot of its first parameter / result
    std::span<const ValType> params, results;
    size_t loop_start;
    std::vector<Fixup> fixups;          // branches to its end
    std::optional<Fixup> else_fixup;    // if: the jump over the then-branch
    std::vector<size_t> back_edge_costs;  // loop: the cost words of its back-edges (see jump_to)
    bool header_fused = false;  // loop: its fuel check point is part of a copy_fuel (not a branch target)
    std::span<const ValType> label_types() const { return opcode == 3 ? params : results; }
  };
  struct FuelScope {
    size_t word;  // the cost word of its fuel instruction (kNone in dead code)
    uint64_t cost;
  };
  // The last instruction emitted, if it computed a value into a fresh home:
  // local.set can retarget it and br_if/if can fuse with a comparison.
  struct Producer {
    size_t start = kNone;
    Op op{};
    uint32_t home = 0;
    uint32_t a = 0;
    uint64_t b = 0;  // slot, or the immediate of an _ri form
    bool ri = false;
  };

  // --- emission ---
  size_t emit(Op op) {
    producer_.start = kNone;
    prev_start_ = last_start_;
    last_start_ = code_.size();
    code_.push_back(Word{.handler = handlers_[size_t(op)]});
    return code_.size() - 1;
  }
  // Drops the last instruction, to emit a fused one instead.
  void drop_last() {
    code_.resize(last_start_);
    last_start_ = prev_start_;
    prev_start_ = kNone;
  }
  // The producer is always the last instruction (emit() forgets it).
  void drop_producer() { drop_last(); }
  // Drops the instructions from `at` on (the last two), to emit a fused one instead.
  void drop_from(size_t at) {
    code_.resize(at);
    last_start_ = prev_start_ = kNone;
    producer_.start = kNone;
  }
  // Plain translation (fusion off): before each instruction, nothing emitted
  // so far may merge with what comes next, as if a branch landed there.
  void forget_neighbours() {
    label_ = code_.size();
    last_start_ = prev_start_ = kNone;
    last_copy_ = kNone;
    producer_.start = kNone;
  }
  void word(uint32_t a, uint32_t b = 0) { code_.push_back(Word{.pair = {a, b}}); }
  void word64(uint64_t v) { code_.push_back(Word{.u64 = v}); }
  // The locals the function may read before writing them (zeroed_locals.h)
  // start at zero: a `zero_slots` for each run of them, right after the
  // entry's fuel check point, where every call enters. A function with none
  // (most: they write their locals first) pays nothing. Inserted after
  // translation, when the set is known; branch offsets are relative, so the
  // body moves as a whole.
  void zero_locals_at_entry(std::span<const ValType> locals) {
    std::vector<Word> zeroing;
    for (size_t i = type_->params.size(); i < locals.size(); ++i) {
      if (!zeroed_->must_zero(uint32_t(i))) continue;
      const uint32_t first = local_slot_[i], count = width(locals[i]);
      if (!zeroing.empty() && zeroing.back().pair.a + zeroing.back().pair.b == first) {
        zeroing.back().pair.b += count;
        continue;
      }
      zeroing.push_back(Word{.handler = handlers_[size_t(Op::zero_slots)]});
      zeroing.push_back(Word{.pair = {first, count}});
    }
    code_.insert(code_.begin() + kEntryWords, zeroing.begin(), zeroing.end());
  }

  size_t emit_fuel() {
    emit(Op::fuel);
    word64(0);
    return code_.size() - 1;
  }
  void patch(const Fixup& f, size_t target) {
    code_[f.word].i64 = int64_t(target) - int64_t(f.instr);
    label_at(target);
  }
  // A branch lands at `target`: nothing may fuse across it.
  void label_at(size_t target) {
    if (target == code_.size()) label_ = target;
  }
  void note_slot(uint32_t end) { max_slot_ = std::max(max_slot_, end); }

  // --- the operand stack ---
  Control& top() { return controls_.back(); }
  bool dead() const { return controls_.back().dead; }
  uint32_t next_home() const { return stack_.empty() ? locals_end_ : stack_.back().home + width(stack_.back().type); }
  Entry& push_home(ValType t) {
    uint32_t h = next_home();
    note_slot(h + width(t));
    stack_.push_back(Entry{t, Kind::Slot, h, h, 0});
    return stack_.back();
  }
  void push_local(ValType t, uint32_t slot) {
    uint32_t h = next_home();
    note_slot(h + width(t));
    stack_.push_back(Entry{t, Kind::Slot, slot, h, 0});
  }
  void push_const(ValType t, uint64_t bits) {
    uint32_t h = next_home();
    note_slot(h + width(t));
    stack_.push_back(Entry{t, Kind::Const, h, h, bits});
  }
  Entry pop() {
    Entry e = stack_.back();
    stack_.pop_back();
    return e;
  }

  void move_to(const Entry& e, uint32_t dst) {
    if (e.kind == Kind::Const) {
      if (e.type == ValType::V128) {
        emit(Op::const128);
        word(dst);
        word64(e.bits);
        word64(0);
      } else {
        emit(Op::const64);
        word(dst);
        word64(e.bits);
      }
    } else if (e.slot != dst) {
      if (e.type != ValType::V128 && copy_into_add(e.slot, dst)) return;
      if (fuse_ && e.type != ValType::V128 && last_copy_ != kNone && last_copy_ + 1 + copies_ == code_.size() &&
          copies_ < 4 && label_ != code_.size()) {
        // Right after other copies (and no branch lands between): one copy2, copy3 or copy4.
        code_[last_copy_].handler = handlers_[size_t(kCopies[copies_])];
        word(dst, e.slot);
        ++copies_;
        producer_.start = kNone;
        return;
      }
      size_t at = emit(e.type == ValType::V128 ? Op::copy128 : Op::copy);
      word(dst, e.slot);
      if (e.type != ValType::V128) {
        last_copy_ = at;
        copies_ = 1;
      }
    }
  }
  // A copy of what the i32.add just before made (`local.tee x; local.set y`,
  // a loop's moves from one iteration to the next), with no branch landing
  // between: the add writes both slots (i32_add_copy, i32_add_ri_copy).
  bool copy_into_add(uint32_t src, uint32_t dst) {
    const size_t at = last_start_;
    if (!fuse_ || at == kNone || at + 3 != code_.size() || label_ == code_.size() || code_[at + 1].pair.a != src)
      return false;
    const void* handler = code_[at].handler;
    if (handler == handlers_[size_t(Op::i32_add_ri)]) {
      code_[at].handler = handlers_[size_t(Op::i32_add_ri_copy)];
      code_[at + 2].pair = {uint32_t(code_[at + 2].u64), dst};
    } else if (handler == handlers_[size_t(Op::i32_add)]) {
      code_[at].handler = handlers_[size_t(Op::i32_add_copy)];
      code_[at + 2].pair.b = dst;
    } else {
      return false;
    }
    producer_.start = kNone;
    last_copy_ = kNone;
    return true;
  }
  void materialize(Entry& e) {
    if (e.kind == Kind::Slot && e.slot == e.home) return;
    move_to(e, e.home);
    e.kind = Kind::Slot;
    e.slot = e.home;
  }
  void materialize_all() {
    for (Entry& e : stack_) materialize(e);
  }
  // The slot of an operand already popped (a constant is put in its home).
  uint32_t slot_of(Entry& e) {
    materialize_const(e);
    return e.slot;
  }
  void materialize_const(Entry& e) {
    if (e.kind == Kind::Const) materialize(e);
  }
  // Before local `slot` is written: entries that read it now get a copy.
  void detach_local(uint32_t slot) {
    for (Entry& e : stack_)
      if (e.kind == Kind::Slot && e.slot == slot && e.home != slot) materialize(e);
  }
  bool local_referenced(uint32_t slot) const {
    for (const Entry& e : stack_)
      if (e.kind == Kind::Slot && e.slot == slot && e.home != slot) return true;
    return false;
  }

  // --- control flow ---
  // A branch to a loop is a back-edge: it charges the loop header's fuel
  // check point itself and jumps past it (one dispatch less per iteration;
  // the count is the same, as nothing runs between the branch and the header).
  void back_edge_to(Control& loop, size_t at) {
    code_[code_.size() - 1].i64 = int64_t(loop.loop_start + 2) - int64_t(at);
    word64(0);
    loop.back_edge_costs.push_back(code_.size() - 1);
  }
  void jump_to(Control& target) {
    if (target.opcode == 3 && last_is(3) && stepped_load_into_loop()) {  // `p += c; x = *p`, then the back-edge
      word64(0);
      back_edge_to(target, last_start_);
      whole_scan_loop(target, last_start_);
    } else if (target.opcode == 3) {
      size_t at = emit(Op::br_loop);
      word64(0);
      back_edge_to(target, at);
    } else if (size_t copy = fuse_copies(kCopyBr); copy != kNone) {  // the values carried out, then the branch
      word64(0);
      target.fixups.push_back(Fixup{copy, copy + 2});
    } else {
      size_t at = emit(Op::br);
      word64(0);
      target.fixups.push_back(Fixup{at, at + 1});
    }
  }
  // A digit loop's end, `more = y > 9; y = q; br_if more`: an unsigned
  // compare with a constant into `cond`, one copy, and now the back-edge on
  // `cond` become one instruction, its offset word last (back_edge_to adds
  // the cost). Returns its start, or kNone if the code is not that.
  size_t compare_copy_loop(uint32_t cond) {
    const size_t cmp = prev_start_, copy = last_start_;
    if (cmp == kNone || copy != last_copy_ || copies_ != 1 || !last_is(2) || cmp + 3 != copy || label_ == copy ||
        code_[copy].handler != handlers_[size_t(Op::copy)] || code_[cmp + 1].pair.a != cond ||
        code_[copy + 1].pair.a == cond)  // the copy overwrites the tested local: the branch tests the copy
      return kNone;
    const void* h = code_[cmp].handler;
    const bool i32 = h == handlers_[size_t(Op::i32_gt_u_ri)];
    if (!i32 && h != handlers_[size_t(Op::i64_gt_u_ri)]) return kNone;
    code_[cmp].handler = handlers_[size_t(i32 ? Op::i32_gt_u_ri_copy_br_if_loop : Op::i64_gt_u_ri_copy_br_if_loop)];
    code_[copy] = code_[copy + 1];  // the copy's dst|src follows the constant
    code_.resize(copy + 1);
    word64(0);
    last_start_ = cmp;
    prev_start_ = kNone;
    last_copy_ = kNone;
    producer_.start = kNone;
    return cmp;
  }
  // A format string's scan (ops.def: i32_scan_loop): the loop's first
  // instruction an i32_and_ri_br_if_zero_ne_ri whose second branch leads to
  // the i32_load8_u_step_loop at `step`, just made: the first's handler
  // becomes the one that runs both.
  void whole_scan_loop(const Control& loop, size_t step) {
    const size_t first = loop.loop_start + 2;  // where back-edges land
    if (!fuse_ || first + 5 > step || code_[first].handler != handlers_[size_t(Op::i32_and_ri_br_if_zero_ne_ri)] ||
        code_[step].handler != handlers_[size_t(Op::i32_load8_u_step_loop)] ||
        int64_t(first) + code_[first + 4].i64 != int64_t(step))
      return;
    code_[first].handler = handlers_[size_t(Op::i32_scan_loop)];
  }
  // A loop whose body is exactly a digit loop in printf's shape (ops.def:
  // i32_digits_loop), the back-edge its test's, just fused: the first
  // instruction's handler becomes the one that runs the whole loop, the
  // four's words staying as they are.
  void whole_digit_loop(const Control& loop) {
    if (!fuse_) return;
    const size_t first = loop.loop_start + 2;  // where back-edges land
    if (first + kDigitLoopWords != code_.size()) return;
    const Word* w = &code_[first];
    const Word *div = w + kDigitLoopDivide, *store = w + kDigitLoopStore, *test = w + kDigitLoopTest;
    const bool wide = div->handler == handlers_[size_t(Op::i64_divrem_u_ri)];
    if (w->handler != handlers_[size_t(Op::i32_add_ri)] ||
        (!wide && div->handler != handlers_[size_t(Op::i32_divrem_u_by)]) ||
        store->handler != handlers_[size_t(Op::i32_or_ri_store8)] ||
        test->handler != handlers_[size_t(wide ? Op::i64_gt_u_ri_copy_br_if_loop : Op::i32_gt_u_ri_copy_br_if_loop)] ||
        test[4].i64 != -int64_t(kDigitLoopTest))  // the back-edge leads to the first
      return;
    const uint32_t p = w[1].pair.a, r = div[1].pair.a, y = div[1].pair.b, q = div[2].pair.a, f = test[1].pair.a;
    if (w[1].pair.b != p || store[1].pair.b != p || store[1].pair.a != r || test[1].pair.b != y ||
        test[3].pair.a != y || test[3].pair.b != q)
      return;
    const std::array<uint32_t, 5> slots = {p, r, q, f, y};
    for (size_t i = 0; i < slots.size(); ++i)
      for (size_t j = i + 1; j < slots.size(); ++j)
        if (slots[i] == slots[j]) return;
    code_[first].handler = handlers_[size_t(wide ? Op::i64_digits_loop : Op::i32_digits_loop)];
  }
  // If the last instruction is a stepping load (`<load>_step`), it becomes
  // its _step_loop form, which also makes the back-edge whose words follow.
  bool stepped_load_into_loop() {
    for (uint8_t code = 0x28; code <= 0x35; ++code) {
      const Op step = offset(*ops_.load[code], 5);
      if (code_[last_start_].handler != handlers_[size_t(step)]) continue;
      code_[last_start_].handler = handlers_[size_t(offset(step, 1))];
      producer_.start = kNone;
      return true;
    }
    return false;
  }
  // If the last instruction is a run of n copies (copy, copy2, ...), n at
  // most forms.size(), and no branch lands after it: it becomes forms[n - 1]
  // (the copies, then what that form does; its further words follow) and
  // its start is returned. Else kNone.
  size_t fuse_copies(std::span<const Op> forms) {
    const size_t at = last_start_;
    if (!fuse_ || at == kNone || at != last_copy_ || copies_ > forms.size() || !last_is(1 + copies_) ||
        code_[at].handler != handlers_[size_t(kCopies[copies_ - 1])])
      return kNone;
    code_[at].handler = handlers_[size_t(forms[copies_ - 1])];
    last_copy_ = kNone;
    producer_.start = kNone;
    return at;
  }
  // Moves the top values to `target`'s label slots.
  void move_label_values(const Control& target) {
    auto types = target.label_types();
    const size_t n = types.size();
    uint32_t dst = target.home;
    for (size_t i = 0; i < n; ++i) {
      Entry& e = stack_[stack_.size() - n + i];
      move_to(e, dst);
      dst += width(e.type);
    }
  }
  bool label_values_in_place(const Control& target) const {
    auto types = target.label_types();
    const size_t n = types.size();
    uint32_t dst = target.home;
    for (size_t i = 0; i < n; ++i) {
      const Entry& e = stack_[stack_.size() - n + i];
      if (e.kind != Kind::Slot || e.slot != dst) return false;
      dst += width(e.type);
    }
    return true;
  }
  // Moves the results to slots 0.. and returns. Works on copies of the
  // entries: a conditional return must not change the fallthrough's stack.
  void emit_return() {
    const size_t n = type_->results.size();
    std::vector<Entry> results(stack_.end() - n, stack_.end());
    // A single result computed just now is computed into slot 0 instead.
    if (n == 1 && producer_.start != kNone && results[0].kind == Kind::Slot && results[0].slot == producer_.home &&
        results[0].home == producer_.home) {
      code_[producer_.start + 1].pair.a = 0;
      emit(Op::ret);
      return;
    }
    // A local among slots 0.. could be overwritten by an earlier result: copy it first.
    for (Entry& e : results)
      if (e.kind == Kind::Slot && e.slot != e.home && e.slot < result_slots_) materialize(e);
    uint32_t dst = 0;
    for (const Entry& e : results) {
      move_to(e, dst);
      dst += width(e.type);
    }
    if (fuse_copies(kCopyRet) == kNone) emit(Op::ret);  // the results' copies return too
  }
  // An unconditional branch to the label `depth` levels out.
  void branch(uint32_t depth) {
    Control& target = controls_[controls_.size() - 1 - depth];
    if (target.opcode == 0) return emit_return();
    move_label_values(target);
    jump_to(target);
  }
  void set_dead() {
    top().dead = true;
    stack_.resize(top().stack_size + 0);
  }

  void push_control(uint8_t opcode, const decode::BlockType& bt) {
    const bool was_dead = dead();
    Control c{opcode, was_dead, was_dead, 0, 0, bt.params, bt.results, kNone, {}, std::nullopt, {}};
    if (!was_dead) {
      materialize_all();
      c.stack_size = uint32_t(stack_.size() - bt.params.size());
      c.home = bt.params.empty() ? next_home() : stack_[c.stack_size].home;
      note_slot(c.home + [&] {
        uint32_t s = 0, r = 0;
        for (ValType t : bt.params) s += width(t);
        for (ValType t : bt.results) r += width(t);
        return std::max(s, r);
      }());
    } else {
      c.stack_size = uint32_t(stack_.size());
    }
    controls_.push_back(std::move(c));
  }

  // Whether the instruction right before the comparison `p`, no branch
  // landing between, is `op` (an _ri form) writing stack slot `slot`: a
  // value only the comparison reads, which it may compute itself.
  bool made_just_before(const Producer& p, Op op, uint32_t slot) const {
    return slot >= locals_end_ && prev_start_ != kNone && prev_start_ + 3 == p.start && label_ != p.start &&
           code_[prev_start_].handler == handlers_[size_t(op)] && code_[prev_start_ + 1].pair.a == slot;
  }
  // Fuses the comparison that produced `cond` (the last instruction) into a
  // conditional branch; returns the branch's first word, or kNone.
  size_t fused_branch(const Entry& cond, bool if_true, bool loop) {
    if (producer_.start == kNone || cond.kind != Kind::Slot || cond.slot != producer_.home ||
        producer_.home != cond.home)
      return kNone;
    const Producer p = producer_;
    if (!loop) {
      // `x & c` (then i32.eqz) consumed by the branch: one test-and-branch.
      if (p.op == Op::i32_and_ri) {
        drop_producer();
        return emit_test_branch(!if_true, p.a, uint32_t(p.b));
      }
      const size_t and_at = prev_start_;
      if (p.op == Op::i32_eqz && and_at != kNone && and_at + 3 == p.start && label_ != p.start && p.a == p.home &&
          code_[and_at].handler == handlers_[size_t(Op::i32_and_ri)] && code_[and_at + 1].pair.a == p.a) {
        const uint32_t x = code_[and_at + 1].pair.b, c = uint32_t(code_[and_at + 2].u64);
        drop_from(and_at);
        return emit_test_branch(if_true, x, c);
      }
      // The same with `x & c` kept in a local (local.tee): the and branches itself.
      if (p.op == Op::i32_eqz && p.a != p.home && and_at + 3 == p.start && label_ != p.start &&
          and_into(and_at, p.a)) {
        drop_producer();
        return branch_on_and(and_at, if_true);
      }
      // Right after that and branched on zero, its result compared with a
      // constant (a format string's scan, `*s && *s != '%'`): one
      // instruction with both branches (the first keeps its fixup).
      if (if_true && p.ri && p.op == Op::i32_ne_ri && and_at != kNone && and_at + 4 == p.start &&
          label_ != p.start && code_[and_at].handler == handlers_[size_t(Op::i32_and_ri_br_if_zero)] &&
          code_[and_at + 1].pair.a == p.a) {
        drop_producer();
        code_[and_at].handler = handlers_[size_t(Op::i32_and_ri_br_if_zero_ne_ri)];
        code_[and_at + 2].pair.b = uint32_t(p.b);
        word64(0);
        producer_.start = kNone;
        return and_at;
      }
      // A word or byte loaded just now (kept in a local or not), then tested
      // for zero: the load branches itself.
      if (p.op == Op::i32_eqz && and_at + 3 == p.start && label_ != p.start && load_into(and_at, p.a)) {
        drop_producer();
        return branch_on_load(and_at, if_true);
      }
    }
    // `x + c <u k` (a range check, `c - '0' < 10`), the sum unkept: one instruction.
    if (!loop && p.ri && p.op == Op::i32_lt_u_ri && made_just_before(p, Op::i32_add_ri, p.a)) {
      const size_t add = prev_start_;
      const uint32_t x = code_[add + 1].pair.b;
      const uint64_t c = code_[add + 2].u64;
      drop_from(add);
      const size_t at = emit(if_true ? Op::br_if_i32_add_ri_lt_u_ri : Op::br_unless_i32_add_ri_lt_u_ri);
      word(x, uint32_t(p.b));
      word64(c);
      word64(0);
      return at;
    }
    // `x > c - y` (an overflow check, `n > INT_MAX - len`), the difference
    // used only by the comparison: one instruction.
    if (!loop && if_true && p.op == Op::i32_gt_s && !p.ri && p.a != p.b &&
        made_just_before(p, Op::i32_rsub_ri, p.b)) {
      const size_t rsub = prev_start_;
      const uint32_t y = code_[rsub + 1].pair.b;
      const uint64_t c = code_[rsub + 2].u64;
      drop_from(rsub);
      const size_t at = emit(Op::br_if_i32_gt_s_rsub_ri);
      word(p.a, y);
      word64(c);
      word64(0);
      return at;
    }
    if (ops_.is_cmp[size_t(p.op)] || (p.ri && ops_.is_cmp[size_t(p.op) - 1])) {
      Op base = p.ri ? offset(p.op, -1) : p.op;
      Op fused = offset(base, (loop ? 6 : if_true ? 2 : 4) + (p.ri ? 1 : 0));
      drop_producer();
      size_t at = emit(fused);
      word(p.a, uint32_t(p.b));
      if (p.ri) word64(p.b);
      word64(0);
      if (loop) fuse_step(fused, at, p.a);
      return at;
    }
    if (ops_.is_ucmp[size_t(p.op)]) {
      Op fused = offset(p.op, loop ? 3 : if_true ? 1 : 2);
      drop_producer();
      size_t at = emit(fused);
      word(p.a);
      word64(0);
      return at;
    }
    return kNone;
  }
  // The loop test `test` at `at` compares `a`: if the instruction just
  // before it stepped `a` (an add), that one becomes the fused step-and-test
  // (step_loop.def). The test's own words stay as they are.
  void fuse_step(Op test, size_t at, uint32_t a) {
    const size_t step = prev_start_;
    const auto& fused = ops_.step_loop[size_t(test)];
    if (step == kNone || step + 3 != at || !fused) return;
    const void* h = code_[step].handler;
    const bool after_add_ri = h == handlers_[size_t(fused->add_ri)];
    if (!after_add_ri && h != handlers_[size_t(fused->add)]) return;
    const uint32_t stepped = code_[step + 1].pair.a;
    Op test_op = test;
    if (stepped != a) {
      // `n > i` after stepping i: the same test as `i < n`.
      Word& operands = code_[at + 1];
      if (!fused->mirrored || operands.pair.b != stepped) return;
      test_op = *fused->mirrored;
      code_[at].handler = handlers_[size_t(test_op)];
      operands.pair = {operands.pair.b, operands.pair.a};
    }
    const NumericOps::StepLoop& chosen = *ops_.step_loop[size_t(test_op)];
    code_[step].handler = handlers_[size_t(after_add_ri ? chosen.after_add_ri : chosen.after_add)];
  }
  // The instruction at `at` is an i32.and of a constant into `slot`.
  bool and_into(size_t at, uint32_t slot) const {
    return at != kNone && code_[at].handler == handlers_[size_t(Op::i32_and_ri)] && code_[at + 1].pair.a == slot;
  }
  // That and, the last instruction, becomes one that also branches on its result.
  size_t branch_on_and(size_t at, bool if_zero) {
    code_[at].handler = handlers_[size_t(if_zero ? Op::i32_and_ri_br_if_zero : Op::i32_and_ri_br_if_nonzero)];
    code_[at + 2].pair = {uint32_t(code_[at + 2].u64), 0};
    word64(0);
    producer_.start = kNone;
    return at;
  }
  // The instruction at `at` is an i32.load or i32.load8_u of memory 0 into `slot`.
  bool load_into(size_t at, uint32_t slot) const {
    if (at == kNone || code_[at + 1].pair.a != slot) return false;
    const void* h = code_[at].handler;
    return h == handlers_[size_t(Op::i32_load)] || h == handlers_[size_t(Op::i32_load8_u)];
  }
  // That load, the last instruction, becomes one that also branches on the value.
  size_t branch_on_load(size_t at, bool if_zero) {
    const bool word = code_[at].handler == handlers_[size_t(Op::i32_load)];
    const Op fused = word ? (if_zero ? Op::i32_load_br_if_zero : Op::i32_load_br_if_nonzero)
                          : (if_zero ? Op::i32_load8_u_br_if_zero : Op::i32_load8_u_br_if_nonzero);
    code_[at].handler = handlers_[size_t(fused)];
    word64(0);
    producer_.start = kNone;
    return at;
  }
  // The last instruction is `words` long and no branch lands after it.
  bool last_is(size_t words) const {
    return last_start_ != kNone && last_start_ + words == code_.size() && label_ != code_.size();
  }
  size_t emit_test_branch(bool if_zero, uint32_t x, uint32_t c) {
    size_t at = emit(if_zero ? Op::br_if_test_zero : Op::br_if_test_nonzero);
    word(x, c);
    word64(0);
    return at;
  }
  // A branch taken if `cond` (or its negation); returns the fixup of its
  // offset. `loop`: a back-edge taken if `cond` (back_edge_to completes it).
  Fixup conditional_branch(Entry cond, bool if_true, bool loop = false) {
    unwrap(cond);
    size_t at = fused_branch(cond, if_true, loop);
    if (at == kNone) {
      const uint32_t s = slot_of(cond);
      if (!loop && last_is(3) && and_into(last_start_, s)) {
        at = branch_on_and(last_start_, !if_true);  // `local.tee x (i32.and ...)`, then a branch on x
      } else if (!loop && last_is(3) && load_into(last_start_, s)) {
        at = branch_on_load(last_start_, !if_true);  // `local.tee x (i32.load ...)`, then a branch on x
      } else if (loop && (at = compare_copy_loop(s)) != kNone) {
        // `more = y > 9; y = q; br_if more`: done, its offset word last.
      } else if (loop && (at = fuse_copies(kCopyBrIfLoop)) != kNone) {
        // A loop's moves end in one copy just before its back-edge: one instruction.
        word(s);
        word64(0);
      } else {
        at = emit(loop ? Op::br_if_loop : if_true ? Op::br_if : Op::br_unless);
        word(s);
        word64(0);
      }
    }
    return Fixup{at, code_.size() - 1};
  }

  // --- instructions ---
  void translate(const Instruction& ins) {
    if (!fuse_) forget_neighbours();
    if (ins.prefix == 0) {
      switch (ins.code) {
        case 0x02: case 0x03: case 0x04: case 0x05: case 0x0b: return control(ins);
        default: break;
      }
    }
    if (dead()) return;
    if (ins.prefix == decode::kPrefixSimd) return simd(ins);
    if (ins.prefix == decode::kPrefixMisc) return misc(ins);
    const uint8_t op = uint8_t(ins.code);
    if (auto num = ops_.plain[op]) return numeric(*num, ins);
    if (auto load = ops_.load[op]) return memory_load(*load, ins);
    if (auto store = ops_.store[op]) return memory_store(*store, ins);
    switch (op) {
      case 0x00: emit(Op::unreachable); return set_dead();
      case 0x01: return;
      case 0x0c: zeroed_->branch(ins.index); branch(ins.index); return set_dead();
      case 0x0d: zeroed_->branch(ins.index); return br_if(ins.index);
      case 0x0e: return br_table(ins);
      case 0x0f: emit_return(); return set_dead();
      case 0x10: return call(ins.index, false);
      case 0x11: return call_indirect(ins.index, ins.index2, false);
      case 0x12: return call(ins.index, true);
      case 0x13: return call_indirect(ins.index, ins.index2, true);
      case 0x1a: pop(); return;
      case 0x1b: case 0x1c: return select();
      case 0x20:
        zeroed_->read(ins.index);
        push_local(validator_.locals()[ins.index], local_slot_[ins.index]);
        return;
      case 0x21: case 0x22: return local_set(ins.index, op == 0x22);
      case 0x23: {
        ValType t = module_.globals[ins.index].type;
        Entry& e = push_home(t);
        size_t at = emit(t == ValType::V128 ? Op::global_get128 : Op::global_get);
        word(e.home, ins.index);
        produced(at, Op::global_get, e.home);
        return;
      }
      case 0x24: {
        Entry e = pop();
        uint32_t s = slot_of(e);
        emit(e.type == ValType::V128 ? Op::global_set128 : Op::global_set);
        word(s, ins.index);
        return;
      }
      case 0x25: {  // table.get
        Entry i = pop();
        uint32_t s = slot_of(i);
        Entry& r = push_home(module_.tables[ins.index].element);
        if (s != r.home) {
          emit(Op::copy);
          word(r.home, s);
        }
        emit(Op::table_get);
        word(r.home, ins.index);
        return;
      }
      case 0x26: {  // table.set
        Entry v = pop(), i = pop();
        uint32_t si = slot_of(i), sv = slot_of(v);
        emit(Op::table_set);
        word(si, ins.index);
        word(sv);
        return;
      }
      case 0x3f: {
        Entry& r = push_home(ValType::I32);
        emit(Op::memory_size);
        word(r.home, ins.index);
        return;
      }
      case 0x40: {
        Entry n = pop();
        Entry& r = push_home(ValType::I32);
        move_to(n, r.home);
        emit(Op::memory_grow);
        word(r.home, ins.index);
        return;
      }
      case 0x41: case 0x42: push_const(op == 0x41 ? ValType::I32 : ValType::I64, op == 0x41 ? uint32_t(ins.bits) : ins.bits); return;
      case 0x43: push_const(ValType::F32, ins.bits); return;
      case 0x44: push_const(ValType::F64, ins.bits); return;
      case 0xd0: push_const(ins.type, 0); return;
      case 0xd1: {
        Entry e = pop();
        uint32_t s = slot_of(e);
        Entry& r = push_home(ValType::I32);
        emit(Op::ref_is_null);
        word(r.home, s);
        return;
      }
      case 0xd2: {
        Entry& r = push_home(ValType::FuncRef);
        emit(Op::ref_func);
        word(r.home, ins.index);
        return;
      }
      default: unsupported(ins);
    }
  }

  void produced(size_t at, Op op, uint32_t home, uint32_t a = 0, uint64_t b = 0, bool ri = false) {
    producer_ = Producer{at, op, home, a, b, ri};
  }
  // `e` (just popped) is the result of the last instruction, in its own home.
  bool just_produced(const Entry& e) const {
    return producer_.start != kNone && e.kind == Kind::Slot && e.slot == producer_.home && e.home == producer_.home;
  }
  // An i32 operand that i32.wrap_i64 made just now: every instruction
  // taking an i32 reads only the low half of its slot, so it reads the i64
  // itself and the wrap is dropped (a loop's `(int)i` costs nothing).
  void unwrap(Entry& e) {
    if (!just_produced(e) || producer_.op != Op::i32_wrap_i64 || label_ == producer_.start) return;
    e.slot = producer_.a;
    drop_producer();
    producer_.start = kNone;
  }

  void unsupported(const Instruction& ins) {
    out_.messages.push_back(fmt::format("the fast interpreter cannot run {} yet (at byte offset {})",
                                        ins.info && ins.info->name ? ins.info->name : "this instruction", ins.offset));
    emit(Op::unsupported);
    word(uint32_t(out_.messages.size() - 1));
    set_dead();
  }

  void numeric(Op op, const Instruction& ins) {
    const decode::Signature& sig = decode::signature(ins.info->sig);
    if (sig.num_params == 2) {
      Entry b = pop(), a = pop();
      unwrap(b);
      unwrap(a);
      if (a.kind == Kind::Const && b.kind != Kind::Const) {
        if (ops_.commutative[size_t(op)]) {
          std::swap(a, b);  // the constant becomes the immediate of an _ri form
        } else if (op == Op::i32_sub) {
          const uint32_t sb = slot_of(b);
          Entry& r = push_home(sig.result);
          size_t at = emit(Op::i32_rsub_ri);
          word(r.home, sb);
          word64(a.bits);
          produced(at, Op::i32_rsub_ri, r.home);
          return;
        }
      }
      if (a.kind == Kind::Slot && b.kind == Kind::Slot && producer_.start != kNone) {
        // One operand shifted or rotated by a constant just now: one instruction.
        const int shift = NumericOps::shift_index(producer_.op);
        const std::optional<Op> fused = shift >= 0 ? ops_.shift_bin[size_t(op)][size_t(shift)] : std::nullopt;
        const bool b_shifted = fused && just_produced(b), a_shifted = fused && !b_shifted && just_produced(a);
        if (b_shifted || a_shifted) {
          const Producer p = producer_;
          drop_producer();
          Entry& r = push_home(sig.result);
          size_t at = emit(*fused);
          word(r.home, b_shifted ? a.slot : b.slot);
          word(p.a, uint32_t(p.b));
          produced(at, *fused, r.home);
          return;
        }
      }
      if (op == Op::i32_add && a.kind == Kind::Slot && b.kind == Kind::Slot && producer_.op == Op::i32_mul_ri) {
        // One operand multiplied by a constant just now (an index scaled): one instruction.
        const bool b_scaled = just_produced(b), a_scaled = !b_scaled && just_produced(a);
        if (b_scaled || a_scaled) {
          const Producer p = producer_;
          drop_producer();
          Entry& r = push_home(sig.result);
          size_t at = emit(Op::i32_mul_ri_add);
          word(r.home, b_scaled ? a.slot : b.slot);
          word(p.a, uint32_t(p.b));
          produced(at, Op::i32_mul_ri_add, r.home);
          return;
        }
      }
      if (const auto& m = ops_.load_bin[size_t(op)]; m && a.kind == Kind::Slot && b.kind == Kind::Slot &&
                                                        producer_.op == m->first) {
        // One operand was loaded just now: the operation reads memory itself.
        const bool b_loaded = just_produced(b), a_loaded = !b_loaded && just_produced(a);
        if (b_loaded || a_loaded) {
          const uint32_t other = b_loaded ? a.slot : b.slot;
          const uint32_t addr = code_[producer_.start + 1].pair.b, off = code_[producer_.start + 2].pair.a;
          drop_producer();
          Entry& r = push_home(sig.result);
          size_t at = emit(m->second);
          word(r.home, other);
          word(addr, off);
          produced(at, m->second, r.home);
          return;
        }
      }
      if ((op == Op::i32_sub || op == Op::i64_sub) && a.kind == Kind::Slot && just_produced(b) && remainder(op, a))
        return;
      const uint32_t sa = slot_of(a);
      Entry& r = push_home(sig.result);
      size_t at;
      if (const uint32_t d = uint32_t(b.bits);
          b.kind == Kind::Const && (op == Op::i32_div_u || op == Op::i32_rem_u) && d >= 2) {
        // Division by a constant: a multiplication (reciprocal_division.h).
        const Op by = op == Op::i32_div_u ? Op::i32_div_u_by : Op::i32_rem_u_by;
        at = emit(by);
        word(r.home, sa);
        word64(reciprocal_of(d));
        if (by == Op::i32_rem_u_by) word64(d);
        produced(at, by, r.home, sa);
      } else if (b.kind == Kind::Const && ops_.has_ri[size_t(op)]) {
        Op ri = offset(op, 1);
        at = emit(ri);
        word(r.home, sa);
        word64(b.bits);
        produced(at, ri, r.home, sa, b.bits, true);
      } else {
        const uint32_t sb = slot_of(b);
        at = emit(op);
        word(r.home, sa);
        word(sb);
        produced(at, op, r.home, sa, sb);
      }
      return;
    }
    Entry a = pop();
    unwrap(a);
    const uint32_t sa = slot_of(a);
    Entry& r = push_home(sig.result);
    size_t at = emit(op);
    word(r.home, sa);
    produced(at, op, r.home, sa);
  }

  // `a - (a / d) * d` with the quotient kept (a digit loop: the digit, then
  // the rest): the division (just before the multiplication that made the
  // subtrahend `b`, just produced) computes the remainder too.
  bool remainder(Op sub, const Entry& a) {
    const bool wide = sub == Op::i64_sub;
    const Producer mul = producer_;
    const size_t div = prev_start_;
    if (mul.op != (wide ? Op::i64_mul_ri : Op::i32_mul_ri) || div == kNone || div + 3 != mul.start ||
        label_ == mul.start || code_[div].handler != handlers_[size_t(wide ? Op::i64_div_u_ri : Op::i32_div_u_by)])
      return false;
    const uint32_t quotient = code_[div + 1].pair.a, dividend = code_[div + 1].pair.b;
    const uint64_t d = wide ? mul.b : uint32_t(mul.b);
    const uint64_t divided_by = code_[div + 2].u64;  // i64: the divisor; i32: its reciprocal
    if (quotient != mul.a || dividend != a.slot || quotient == dividend || d < 2 ||
        divided_by != (wide ? d : reciprocal_of(uint32_t(d))))
      return false;
    drop_from(div);
    Entry& r = push_home(wide ? ValType::I64 : ValType::I32);
    const Op fused = wide ? Op::i64_divrem_u_ri : Op::i32_divrem_u_by;
    const size_t at = emit(fused);
    word(r.home, dividend);
    if (wide) {
      const Reciprocal64 reciprocal = reciprocal64_of(d);
      word(quotient, reciprocal.shift);
      word64(reciprocal.m);
    } else {
      word(quotient);
      word64(reciprocal_of(uint32_t(d)));
    }
    word64(d);
    produced(at, fused, r.home);
    return true;
  }

  void memory_load(Op op, const Instruction& ins) {
    Entry addr = pop();
    unwrap(addr);
    const ValType result = decode::signature(ins.info->sig).result;
    const bool other = ins.memarg.memory != 0;
    // An i32.add computing the address just now is done by the load (the
    // _ri and _rr forms): the sum is used nowhere else.
    if (!other && just_produced(addr) && (producer_.op == Op::i32_add_ri || producer_.op == Op::i32_add)) {
      const Producer p = producer_;
      // (index << k) + c, the shift made just before the add into the add's
      // operand: one scaled-index load.
      const size_t shl = prev_start_;
      if (p.ri && shl != kNone && shl + 3 == p.start && label_ != p.start && p.a == p.home &&
          code_[shl].handler == handlers_[size_t(Op::i32_shl_ri)] && code_[shl + 1].pair.a == p.a) {
        const uint32_t index = code_[shl + 1].pair.b;
        const uint64_t k = code_[shl + 2].u64 & 31;
        drop_from(shl);
        Entry& r = push_home(result);
        const Op fused = offset(op, 4);
        size_t at = emit(fused);
        word(r.home, index);
        word(ins.memarg.offset, uint32_t(p.b));
        word64(k);
        produced(at, fused, r.home);
        return;
      }
      drop_producer();
      Entry& r = push_home(result);
      const Op fused = offset(op, p.op == Op::i32_add_ri ? 2 : 3);
      size_t at = emit(fused);
      word(r.home, p.a);
      word(ins.memarg.offset, uint32_t(p.b));
      produced(at, fused, r.home);
      return;
    }
    // A pointer stepped in its local just now (`p += c`), then read: the load steps it.
    if (!other && addr.kind == Kind::Slot && last_is(3) &&
        code_[last_start_].handler == handlers_[size_t(Op::i32_add_ri)] &&
        code_[last_start_ + 1].pair.a == addr.slot && code_[last_start_ + 1].pair.b == addr.slot) {
      const uint32_t c = uint32_t(code_[last_start_ + 2].u64);
      drop_last();
      producer_.start = kNone;
      Entry& r = push_home(result);
      const Op fused = offset(op, 5);
      size_t at = emit(fused);
      word(r.home, addr.slot);
      word(ins.memarg.offset, c);
      produced(at, fused, r.home);
      return;
    }
    const uint32_t s = slot_of(addr);
    Entry& r = push_home(result);
    size_t at = emit(other ? offset(op, 1) : op);
    word(r.home, s);
    word(ins.memarg.offset, ins.memarg.memory);
    if (!other) produced(at, op, r.home, s);
  }

  void memory_store(Op op, const Instruction& ins) {
    Entry v = pop(), addr = pop();
    unwrap(v);
    unwrap(addr);
    // `x[i] = x[i] op a` with the load fused into op just now: one read-modify-write.
    if (const auto& rmw = ops_.bin_store[size_t(producer_.op)];
        rmw && rmw->first == op && ins.memarg.memory == 0 && just_produced(v) && addr.kind == Kind::Slot) {
      const uint32_t a = code_[producer_.start + 1].pair.b;
      const Word where = code_[producer_.start + 2];  // addr|offset of the load
      if (addr.slot == where.pair.a && ins.memarg.offset == where.pair.b) {
        const bool after_label = label_ == producer_.start;
        drop_producer();
        if (!after_label && add_product(rmw->second, a, addr.slot, ins.memarg.offset)) return;
        emit(rmw->second);
        word(a, addr.slot);
        word(ins.memarg.offset);
        return;
      }
    }
    // A byte made by `x | c` or `x + c` just now (a digit, a flag) and stored: one instruction.
    if (op == Op::i32_store8 && ins.memarg.memory == 0 && addr.kind == Kind::Slot && just_produced(v) &&
        (producer_.op == Op::i32_or_ri || producer_.op == Op::i32_add_ri)) {
      const Producer p = producer_;
      drop_producer();
      emit(p.op == Op::i32_or_ri ? Op::i32_or_ri_store8 : Op::i32_add_ri_store8);
      word(p.a, addr.slot);
      word(ins.memarg.offset, uint32_t(p.b));
      return;
    }
    if (v.kind == Kind::Const && ins.memarg.memory == 0) {  // a constant value: the _ci form
      const uint32_t sa = slot_of(addr);
      emit(offset(op, 2));
      word(ins.memarg.offset, sa);
      word64(v.bits);
      return;
    }
    const uint32_t sa = slot_of(addr), sv = slot_of(v);
    emit(ins.memarg.memory != 0 ? offset(op, 1) : op);
    word(sv, sa);
    word(ins.memarg.offset, ins.memarg.memory);
  }

  // `mem += value` (the add_m_store op `rmw`) where the instruction just
  // before made `value` by a multiplication into a stack slot nothing else
  // reads: one instruction (mul_add in NumericOps).
  bool add_product(Op rmw, uint32_t value, uint32_t addr, uint32_t offset) {
    const auto& fuse = ops_.mul_add[size_t(rmw)];
    const size_t mul = last_start_;
    if (!fuse || mul == kNone || mul + 3 != code_.size() || value < locals_end_ || code_[mul + 1].pair.a != value)
      return false;
    const void* handler = code_[mul].handler;
    const bool loaded = handler == handlers_[size_t(fuse->mul_m)];
    if (!loaded && handler != handlers_[size_t(fuse->mul)]) return false;
    const Word w1 = code_[mul + 1], w2 = code_[mul + 2];  // dst|a, then b|- or addr2|offset2
    drop_last();
    emit(loaded ? fuse->fused_m : fuse->fused);
    word(w1.pair.b, w2.pair.a);
    if (loaded) {
      word(w2.pair.b, addr);
      word64(offset);
    } else {
      word(addr, offset);
    }
    return true;
  }

  void local_set(uint32_t index, bool tee) {
    const uint32_t slot = local_slot_[index];
    Entry e = pop();
    if (index >= type_->params.size() && !local_written_[index]) {
      // `i32.const 0; local.set x` right after entry, at the function's top
      // level: x is zero already (the call must zero it: as if it were
      // read). Inside a block the store may be on a rare path (musl's
      // __fwritex), where eliding it would make every call zero x.
      if (straight_from_entry_ && controls_.size() == 1 && e.kind == Kind::Const && e.bits == 0) {
        zeroed_->read(index);
        if (tee) push_local(e.type, slot);
        return;
      }
      local_written_[index] = true;
    }
    zeroed_->write(index);
    const bool retarget = producer_.start != kNone && e.kind == Kind::Slot && e.slot == producer_.home &&
                          e.home == producer_.home && !local_referenced(slot);
    if (retarget) {
      code_[producer_.start + 1].pair.a = slot;
      merge_add_ri();
      producer_.start = kNone;
    } else {
      detach_local(slot);
      move_to(e, slot);
    }
    if (tee) push_local(e.type, slot);
  }

  // `local.set x (x + c)` right after another i32.add of a constant (loop
  // counters and pointers stepping together): one i32_add_ri2; after two,
  // one i32_add_ri3 (`*d++ = *s++` counting n down).
  void merge_add_ri() {
    const size_t first = prev_start_, second = last_start_;
    if (second != producer_.start || first == kNone || label_ == second) return;
    const void* add_ri = handlers_[size_t(Op::i32_add_ri)];
    if (code_[second].handler != add_ri) return;
    const Word dst_a = code_[second + 1], c = code_[second + 2];
    if (first + 3 == second && code_[first].handler == add_ri) {
      code_[first].handler = handlers_[size_t(Op::i32_add_ri2)];
      code_[first + 2].pair = {uint32_t(code_[first + 2].u64), uint32_t(c.u64)};
      code_[first + 3] = dst_a;
      code_.resize(first + 4);
    } else if (first + 4 == second && code_[first].handler == handlers_[size_t(Op::i32_add_ri2)]) {
      code_[first].handler = handlers_[size_t(Op::i32_add_ri3)];
      code_[first + 4] = dst_a;
      code_.resize(first + 5);
      word(uint32_t(c.u64));
    } else {
      return;
    }
    last_start_ = first;
    prev_start_ = kNone;
    producer_.start = kNone;
  }

  void select() {
    Entry c = pop(), b = pop(), a = pop();
    const uint32_t sa = slot_of(a), sb = slot_of(b), sc = slot_of(c);
    Entry& r = push_home(a.type);
    const Op op = a.type == ValType::V128 ? Op::select128 : Op::select;
    size_t at = emit(op);
    word(r.home, sa);
    word(sb, sc);
    produced(at, op, r.home);
  }

  void br_if(uint32_t depth) {
    Entry cond = pop();
    Control& target = controls_[controls_.size() - 1 - depth];
    if (target.opcode != 0 && label_values_in_place(target)) {
      if (target.opcode == 3) {
        Fixup f = conditional_branch(cond, true, true);
        back_edge_to(target, f.instr);
        whole_digit_loop(target);
      } else {
        target.fixups.push_back(conditional_branch(cond, true));
      }
      return;
    }
    Fixup skip = conditional_branch(cond, false);
    branch(depth);
    patch(skip, code_.size());
  }

  void br_table(const Instruction& ins) {
    auto targets = validator_.br_table_targets();
    for (uint32_t depth : targets) zeroed_->branch(depth);
    Entry index = pop();
    unwrap(index);
    const uint32_t s = slot_of(index);
    const size_t at = emit(Op::br_table);
    word(s, uint32_t(targets.size() - 1));
    const size_t table = code_.size();
    for (size_t i = 0; i < targets.size(); ++i) word64(0);
    std::vector<std::pair<uint32_t, size_t>> stubs;  // depth -> stub position
    for (size_t i = 0; i < targets.size(); ++i) {
      const uint32_t depth = targets[i];
      Control& target = controls_[controls_.size() - 1 - depth];
      const Fixup f{at, table + i};
      if (target.opcode != 0 && !target.header_fused && label_values_in_place(target)) {
        if (target.opcode == 3) code_[f.word].i64 = int64_t(target.loop_start) - int64_t(at);
        else target.fixups.push_back(f);
        continue;
      }
      auto known = std::find_if(stubs.begin(), stubs.end(), [&](const auto& p) { return p.first == depth; });
      if (known != stubs.end()) {
        patch(f, known->second);
        continue;
      }
      const size_t stub = code_.size();
      stubs.emplace_back(depth, stub);
      patch(f, stub);
      branch(depth);
    }
    (void)ins;
    set_dead();
  }

  // Materializes the top `n` entries (arguments) and returns the slot of the first.
  uint32_t arguments(size_t n, uint32_t fallback_base) {
    for (size_t i = stack_.size() - n; i < stack_.size(); ++i) materialize(stack_[i]);
    return n ? stack_[stack_.size() - n].home : fallback_base;
  }

  void call(uint32_t function, bool tail) {
    const decode::FuncType& callee = module_.function_type(function);
    const uint32_t base = arguments(callee.params.size(), next_home());
    uint32_t param_slots = 0;
    for (ValType t : callee.params) param_slots += width(t);
    if (tail) {
      emit(Op::return_call);
      word(function, base);
      word(param_slots);
      return set_dead();
    }
    if (function < module_.num_imported_functions) emit(Op::call_import);
    else if (fuse_copies(kCopyCall) == kNone) emit(Op::call);  // the arguments' copies, then the call
    word(function, base);
    after_call(callee, base);
  }

  void call_indirect(uint32_t type_index, uint32_t table, bool tail) {
    const decode::FuncType& callee = module_.types[type_index];
    Entry index = pop();
    const uint32_t fallback = index.home;
    // The index is read before the callee's frame (from `base`) is entered.
    const uint32_t s = slot_of(index);
    const uint32_t base = arguments(callee.params.size(), fallback);
    uint32_t param_slots = 0;
    for (ValType t : callee.params) param_slots += width(t);
    if (tail) {
      emit(Op::return_call_indirect);
      word(type_index, base);
      word(table, s);
      word(param_slots);
      return set_dead();
    }
    emit(Op::call_indirect);
    word(type_index, base);
    word(table, s);
    after_call(callee, base);
  }

  void after_call(const decode::FuncType& callee, uint32_t base) {
    stack_.resize(stack_.size() - callee.params.size());
    uint32_t h = base;
    for (ValType t : callee.results) {
      stack_.push_back(Entry{t, Kind::Slot, h, h, 0});
      h += width(t);
    }
    note_slot(h);
  }

  // memory.fill/copy/init and table.fill/copy/init: three i32 operands,
  // moved to their homes and popped; the instruction's first word is the
  // first one's slot and `index`, its second `second` if it has one.
  void three_operand_op(Op op, uint32_t index, std::optional<uint32_t> second = std::nullopt) {
    const uint32_t base = arguments(3, 0);
    stack_.resize(stack_.size() - 3);
    emit(op);
    word(base, index);
    if (second) word(*second);
  }

  void misc(const Instruction& ins) {
    if (ins.code < 8) return numeric(*ops_.misc[ins.code], ins);
    switch (ins.code) {
      case 8: return three_operand_op(Op::memory_init, ins.index2, ins.index);
      case 9: emit(Op::data_drop); word(ins.index); return;
      case 10: return three_operand_op(Op::memory_copy, ins.index, ins.index2);
      case 11: return three_operand_op(Op::memory_fill, ins.index);
      case 12: return three_operand_op(Op::table_init, ins.index2, ins.index);
      case 13: emit(Op::elem_drop); word(ins.index); return;
      case 14: return three_operand_op(Op::table_copy, ins.index, ins.index2);
      case 15: {  // table.grow: (init, n) -> old size
        uint32_t base = arguments(2, 0);
        stack_.resize(stack_.size() - 2);
        push_home(ValType::I32);
        emit(Op::table_grow);
        word(base, ins.index);
        return;
      }
      case 16: {
        Entry& r = push_home(ValType::I32);
        emit(Op::table_size);
        word(r.home, ins.index);
        return;
      }
      case 17: return three_operand_op(Op::table_fill, ins.index);
      default: unsupported(ins);
    }
  }

  // SIMD instructions (simd_handlers.h has the matching operand layouts).
  void simd(const Instruction& ins) {
    if (ins.code == 12) {  // v128.const
      Entry& r = push_home(ValType::V128);
      uint64_t lo, hi;
      std::memcpy(&lo, ins.bytes16, 8);
      std::memcpy(&hi, ins.bytes16 + 8, 8);
      const size_t at = emit(Op::const128);
      word(r.home);
      word64(lo);
      word64(hi);
      produced(at, Op::const128, r.home);
      return;
    }
    const auto [op, shape] = ins.code < 256 ? simd_ops().by_code[ins.code] : std::pair{Op::unsupported, SimdShape::None};
    const ValType result = decode::signature(ins.info->sig).result;
    switch (shape) {
      case SimdShape::None: return unsupported(ins);
      case SimdShape::Unary: case SimdShape::Test: case SimdShape::Splat: {
        Entry a = pop();
        const uint32_t sa = slot_of(a);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        return;
      }
      case SimdShape::Binary: case SimdShape::Shift: case SimdShape::Shuffle: {
        Entry b = pop(), a = pop();
        const uint32_t sa = slot_of(a), sb = slot_of(b);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        word(sb);
        if (shape == SimdShape::Shuffle) {
          uint64_t lo, hi;
          std::memcpy(&lo, ins.bytes16, 8);
          std::memcpy(&hi, ins.bytes16 + 8, 8);
          word64(lo);
          word64(hi);
        }
        return;
      }
      case SimdShape::Ternary: {
        Entry c = pop(), b = pop(), a = pop();
        const uint32_t sa = slot_of(a), sb = slot_of(b), sc = slot_of(c);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        word(sb, sc);
        return;
      }
      case SimdShape::Extract: {
        Entry a = pop();
        const uint32_t sa = slot_of(a);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        word(ins.index);
        return;
      }
      case SimdShape::Replace: {
        Entry b = pop(), a = pop();
        const uint32_t sa = slot_of(a), sb = slot_of(b);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        word(sb, ins.index);
        return;
      }
      case SimdShape::Load: {
        Entry addr = pop();
        const uint32_t s = slot_of(addr);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, s);
        produced(at, op, r.home);
        word(ins.memarg.offset, ins.memarg.memory);
        return;
      }
      case SimdShape::Store: {
        Entry v = pop(), addr = pop();
        const uint32_t sa = slot_of(addr), sv = slot_of(v);
        emit(op);
        word(sv, sa);
        word(ins.memarg.offset, ins.memarg.memory);
        return;
      }
      case SimdShape::LoadLane: {
        Entry v = pop(), addr = pop();
        const uint32_t sa = slot_of(addr), sv = slot_of(v);
        Entry& r = push_home(result);
        const size_t at = emit(op);
        word(r.home, sa);
        produced(at, op, r.home);
        word(ins.memarg.offset, ins.memarg.memory);
        word(sv, ins.index);
        return;
      }
      case SimdShape::StoreLane: {
        Entry v = pop(), addr = pop();
        const uint32_t sa = slot_of(addr), sv = slot_of(v);
        emit(op);
        word(sv, sa);
        word(ins.memarg.offset, ins.memarg.memory);
        word(ins.index);
        return;
      }
    }
  }

  void control(const Instruction& ins) {
    if (ins.code != 0x02 && ins.code != 0x04) straight_from_entry_ = false;
    switch (ins.code) {
      case 0x02: push_control(2, ins.block); zeroed_->enter(false); return;
      case 0x03: {
        push_control(3, ins.block);
        zeroed_->enter(true);
        if (top().dead) {
          fuel_.push_back(FuelScope{kNone, 0});
        } else if (last_is(2) && last_start_ == last_copy_ && copies_ == 1 &&
                   code_[last_start_].handler == handlers_[size_t(Op::copy)]) {
          // A value moved in just before: the copy also makes the check
          // point. Back-edges land after it, as ever (loop_start + 2); a
          // br_table goes through a br_loop stub (it cannot land on it).
          code_[last_start_].handler = handlers_[size_t(Op::copy_fuel)];
          word64(0);
          last_copy_ = kNone;
          top().loop_start = code_.size() - 2;
          top().header_fused = true;
          fuel_.push_back(FuelScope{code_.size() - 1, 0});
          label_at(code_.size());
        } else {
          top().loop_start = code_.size();
          fuel_.push_back(FuelScope{emit_fuel(), 0});
          label_at(code_.size());
        }
        return;
      }
      case 0x04: {
        zeroed_->enter(false);
        if (dead()) return push_control(4, ins.block);
        Entry cond = pop();
        // Parameters and everything below go to their homes before the branch.
        materialize_all();
        Fixup f = conditional_branch(cond, false);
        push_control(4, ins.block);
        top().else_fixup = f;
        return;
      }
      case 0x05: {  // else
        Control& c = top();
        zeroed_->enter_else(!c.dead);
        if (!c.dead) {
          move_label_values(c);
          jump_to(c);
        }
        if (c.else_fixup) patch(*c.else_fixup, code_.size());
        c.else_fixup.reset();
        c.dead = c.entered_dead;
        stack_.resize(c.stack_size);
        if (!c.dead) restore_entries(c.home, c.params);
        producer_.start = kNone;
        return;
      }
      case 0x0b: return end();
    }
  }

  void restore_entries(uint32_t home, std::span<const ValType> types) {
    for (ValType t : types) {
      stack_.push_back(Entry{t, Kind::Slot, home, home, 0});
      home += width(t);
    }
  }

  void end() {
    Control& c = top();
    if (c.opcode == 0) {
      if (!c.dead) emit_return();
      code_[fuel_.back().word].u64 = fuel_.back().cost + 1;
      out_.entry_fuel = int64_t(fuel_.back().cost + 1);
      fuel_.pop_back();
      controls_.pop_back();
      return;
    }
    zeroed_->leave(!c.dead, c.opcode == 4 && c.else_fixup.has_value());
    if (!c.dead) move_label_values(Control{c.opcode == 3 ? uint8_t(2) : c.opcode, false, false, c.stack_size, c.home,
                                           c.params, c.results, kNone, {}, std::nullopt, {}});
    if (c.opcode == 3) {
      if (fuel_.back().word != kNone) code_[fuel_.back().word].u64 = fuel_.back().cost + 1;
      for (size_t w : c.back_edge_costs) code_[w].u64 = fuel_.back().cost + 1;
      fuel_.pop_back();
    }
    const size_t here = code_.size();
    bool reachable = !c.dead;
    if (c.else_fixup) {
      patch(*c.else_fixup, here);
      reachable = true;
    }
    for (const Fixup& f : c.fixups) patch(f, here);
    if (!c.fixups.empty()) reachable = true;
    const uint32_t stack_size = c.stack_size, home = c.home;
    const auto results = c.results;
    const bool entered_dead = c.entered_dead;
    controls_.pop_back();
    producer_.start = kNone;
    if (entered_dead) return;
    stack_.resize(stack_size);
    if (reachable) {
      restore_entries(home, results);
    } else {
      set_dead();
    }
  }

  const decode::Module& module_;
  decode::FunctionValidator validator_;
  uint32_t index_;
  Code& out_;
  std::vector<Word>& code_;
  const void* const* handlers_;
  const NumericOps& ops_;
  const bool fuse_;  // false: each wasm instruction on its own (PlainTranslation)
  const decode::FuncType* type_ = nullptr;
  std::vector<uint32_t> local_slot_;
  uint32_t locals_end_ = 0, result_slots_ = 0, max_slot_ = 0;
  std::vector<Entry> stack_;
  std::vector<Control> controls_;
  std::vector<FuelScope> fuel_;
  Producer producer_;
  size_t label_ = 0;  // the last position a branch lands at
  size_t last_copy_ = kNone;  // the last copy emitted (the next ones merge into it: copy2, copy3, copy4)
  uint32_t copies_ = 0;       // how many it holds
  size_t last_start_ = kNone, prev_start_ = kNone;  // the last two instructions (kNone: not known)
  // Until the first join point (loop, else, end) the code runs once per
  // call, in order: a local not yet written there still holds its zero.
  bool straight_from_entry_ = true;
  std::vector<bool> local_written_;
  std::optional<ZeroedLocals> zeroed_;
};

thread_local int g_plain_translations = 0;

}  // namespace

PlainTranslation::PlainTranslation() { ++g_plain_translations; }
PlainTranslation::~PlainTranslation() { --g_plain_translations; }

void translate_function(const decode::Module& module, std::span<const uint8_t> bytes, uint32_t defined_index,
                        Code& out) {
  Translator(module, bytes, defined_index, out, g_plain_translations == 0).run();
}

}  // namespace wasmlet::detail::fast
