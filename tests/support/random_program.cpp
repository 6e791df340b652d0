#include "random_program.h"

#include <algorithm>
#include <array>
#include <bit>

namespace wasmlet::testing {

namespace {

constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c, kEmpty = 0x40;
constexpr int kMaxFunctions = 4, kMaxDepth = 5, kInstructionBudget = 220;

// Reads the decisions; past the end every decision is 0, the simplest.
class Choices {
 public:
  explicit Choices(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t byte() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  uint32_t below(uint32_t n) { return n <= 1 ? 0 : uint32_t(byte() | byte() << 8) % n; }
  bool chance(uint32_t percent) { return !done() && byte() % 100 < percent; }
  bool done() const { return at_ >= bytes_.size(); }
  uint64_t bits64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

void uleb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
}

void sleb(std::vector<uint8_t>& out, int64_t v) {
  for (;;) {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
      out.push_back(b);
      return;
    }
    out.push_back(b | 0x80);
  }
}

void section(std::vector<uint8_t>& module, uint8_t id, const std::vector<uint8_t>& body) {
  module.push_back(id);
  uleb(module, body.size());
  module.insert(module.end(), body.begin(), body.end());
}

// Values where integer code goes wrong: signed and unsigned edges, digits,
// powers of two, shift counts, the memory's end.
constexpr std::array<int64_t, 24> kInteresting = {
    0, 1, 2, -1, 7, 8, 9, 10, 16, 31, 32, 63, 64, 100, 255, 256, 0x7fff'ffff, -0x8000'0000LL,
    0xffff, 0x10000, 0xfffc, 0xffff'ffffLL, 0x1'0000'0000LL, INT64_MIN};

struct Signature {
  std::vector<uint8_t> params, results;
};

bool is_float(uint8_t t) { return t == kF32 || t == kF64; }

// Values where float code goes wrong: signed zeros, NaNs of both signs and
// with payloads, infinities, the edges of every float-to-integer
// conversion, a subnormal, halves (rounding).
constexpr std::array<double, 18> kInterestingFloats = {
    0.0, -0.0, 1.0, -1.0, 0.5, -1.5, 2.5, 2147483647.0, 2147483648.0, -2147483649.0, 4294967296.0,
    9223372036854775808.0, -9223372036854775808.0, 18446744073709551616.0, 1e-310, 3.4028234663852886e38,
    __builtin_inf(), -__builtin_inf()};

class Generator {
 public:
  Generator(std::span<const uint8_t> bytes, ProgramShapes shapes) : in_(bytes), shapes_(shapes) {}

  RandomProgram run() {
    const int n = 1 + int(in_.below(kMaxFunctions));
    for (int i = 0; i < n; ++i) {
      Signature s;
      for (uint32_t p = in_.below(4); p > 0; --p) s.params.push_back(value_type());
      if (in_.below(4) != 0) s.results.push_back(value_type());
      signatures_.push_back(s);
    }
    std::vector<std::vector<uint8_t>> bodies;
    for (int i = 0; i < n; ++i) bodies.push_back(function(i));
    RandomProgram program;
    program.wasm = assemble(bodies);
    program.return_calls = return_calls_;
    for (int i = 0; i < n; ++i) program.calls.push_back(call_of(i));
    for (uint32_t extra = in_.below(3); extra > 0; --extra) program.calls.push_back(call_of(int(in_.below(n))));
    return program;
  }

 private:
  // An integer type; value_type() may also be a float one (ProgramShapes::floats).
  uint8_t type() { return in_.byte() & 1 ? kI64 : kI32; }
  uint8_t value_type() {
    if (!shapes_.floats || !in_.chance(40)) return type();
    return in_.byte() & 1 ? kF64 : kF32;
  }

  RandomCall call_of(int f) {
    RandomCall c{"f" + std::to_string(f), {}};
    for (uint8_t t : signatures_[f].params) {
      if (t == kF32) c.args.push_back(Value::f32(float(float_constant())));
      else if (t == kF64) c.args.push_back(Value::f64(float_constant()));
      else {
        const int64_t v = constant();
        c.args.push_back(t == kI32 ? Value::i32(int32_t(v)) : Value::i64(v));
      }
    }
    return c;
  }

  int64_t constant() {
    if (in_.chance(30)) return int64_t(in_.bits64());
    // Each value, or one off it either way (wrapping: INT64_MIN - 1 is INT64_MAX).
    return int64_t(uint64_t(kInteresting[in_.below(kInteresting.size())]) + in_.below(3) - 1);
  }
  double float_constant() {
    switch (in_.below(6)) {
      case 0: return std::bit_cast<double>(in_.bits64());  // anything, NaNs with payloads included
      case 1: return in_.chance(50) ? __builtin_nan("") : -__builtin_nan("");
      case 2: return double(constant());
      default: return kInterestingFloats[in_.below(kInterestingFloats.size())];
    }
  }

  // --- one function ---
  std::vector<uint8_t> function(int index) {
    self_ = index;
    out_.clear();
    budget_ = kInstructionBudget;
    locals_ = signatures_[index].params;
    std::vector<uint8_t> declared;
    for (uint32_t extra = in_.below(5); extra > 0; --extra) declared.push_back(value_type());
    locals_.insert(locals_.end(), declared.begin(), declared.end());
    labels_ = {signatures_[index].results};  // the function's own label: br to it returns
    statements(0);
    for (uint8_t t : signatures_[index].results) expr(t, 0);
    out_.push_back(0x0b);
    std::vector<uint8_t> body;
    uleb(body, declared.size());
    for (uint8_t t : declared) {
      body.push_back(1);
      body.push_back(t);
    }
    body.insert(body.end(), out_.begin(), out_.end());
    return body;
  }

  bool spent() const { return budget_ <= 0 || in_.done(); }
  void op(uint8_t code) {
    out_.push_back(code);
    --budget_;
  }
  void i32_const(int64_t v) {
    op(0x41);
    sleb(out_, int32_t(v));
  }
  void const_of(uint8_t t) {
    if (t == kF32) {
      op(0x43);
      const uint32_t bits = std::bit_cast<uint32_t>(float(float_constant()));
      for (int i = 0; i < 4; ++i) out_.push_back(uint8_t(bits >> (8 * i)));
      return;
    }
    if (t == kF64) {
      op(0x44);
      const uint64_t bits = std::bit_cast<uint64_t>(float_constant());
      for (int i = 0; i < 8; ++i) out_.push_back(uint8_t(bits >> (8 * i)));
      return;
    }
    if (t == kI32) return i32_const(constant());
    op(0x42);
    sleb(out_, constant());
  }
  // A local of type t (-1: none).
  int local_of(uint8_t t) {
    std::vector<int> of;
    for (size_t i = 0; i < locals_.size(); ++i)
      if (locals_[i] == t) of.push_back(int(i));
    return of.empty() ? -1 : of[in_.below(of.size())];
  }
  void local(uint8_t code, int l) {
    op(code);
    uleb(out_, l);
  }
  void global(uint8_t code, uint8_t t) {
    op(code);
    uleb(out_, t == kI32 ? 0 : 1);
  }
  void block_type(uint8_t code, const std::vector<uint8_t>& types) {
    op(code);
    out_.push_back(types.empty() ? kEmpty : types[0]);
  }

  // Leaves one value of type t.
  void expr(uint8_t t, int depth) {
    if (spent() || depth >= kMaxDepth) return leaf(t);
    // A float mostly comes from float code; the integer cases below that
    // cannot make one make a leaf instead.
    if (shapes_.floats && (is_float(t) ? !in_.chance(25) : in_.chance(8))) return float_expr(t, depth);
    switch (in_.below(16)) {
      case 0: case 1: case 2: return leaf(t);
      case 3: case 4: {  // binary: a constant right operand is the common case
        if (is_float(t)) return leaf(t);
        expr(t, depth + 1);
        if (in_.chance(50)) const_of(t); else expr(t, depth + 1);
        return op(uint8_t((t == kI32 ? 0x6a : 0x7c) + in_.below(15)));
      }
      case 5: {  // comparison
        if (t != kI32) return leaf(t);
        const uint8_t u = value_type();
        expr(u, depth + 1);
        if (in_.chance(50)) const_of(u); else expr(u, depth + 1);
        if (is_float(u)) return op(uint8_t((u == kF32 ? 0x5b : 0x61) + in_.below(6)));
        return op(uint8_t((u == kI32 ? 0x46 : 0x51) + in_.below(10)));
      }
      case 6: {  // eqz, clz/ctz/popcnt, sign extensions, conversions
        if (is_float(t)) return leaf(t);
        if (t == kI32 && in_.chance(50)) {
          const uint8_t u = type();
          expr(u, depth + 1);
          return op(u == kI32 ? 0x45 : in_.chance(50) ? 0x50 : 0xa7);  // eqz, or wrap
        }
        if (t == kI64 && in_.chance(40)) {
          expr(kI32, depth + 1);
          return op(in_.chance(50) ? 0xac : 0xad);  // extend_i32_s/u
        }
        expr(t, depth + 1);
        if (in_.chance(50)) return op(uint8_t((t == kI32 ? 0x67 : 0x79) + in_.below(3)));
        return op(uint8_t(t == kI32 ? 0xc0 + in_.below(2) : 0xc2 + in_.below(3)));
      }
      case 7: case 8: if (is_float(t)) return leaf(t); return load(t, depth);
      case 9: {  // local.tee
        const int l = local_of(t);
        if (l < 0) return leaf(t);
        expr(t, depth + 1);
        return local(0x22, l);
      }
      case 10: {
        expr(t, depth + 1);
        expr(t, depth + 1);
        expr(kI32, depth + 1);
        return op(0x1b);
      }
      case 11: {  // a stepped pointer: local.get p; const; add; local.tee p
        const int l = local_of(t);
        if (l < 0 || is_float(t)) return leaf(t);
        local(0x20, l);
        const_of(t);
        op(t == kI32 ? 0x6a : 0x7c);
        return local(0x22, l);
      }
      case 12: if (call(depth, &t)) return; return leaf(t);
      case 13: {  // block with a value, maybe leaving early
        block_type(0x02, {t});
        labels_.push_back({t});
        statements(depth + 1);
        expr(t, depth + 1);
        if (in_.chance(40)) {
          expr(kI32, depth + 1);
          op(0x0d);
          uleb(out_, 0);
        }
        labels_.pop_back();
        return op(0x0b);
      }
      case 14: {
        expr(kI32, depth + 1);
        block_type(0x04, {t});
        labels_.push_back({t});
        expr(t, depth + 1);
        op(0x05);
        expr(t, depth + 1);
        labels_.pop_back();
        return op(0x0b);
      }
      default:
        if (t != kI32) return leaf(t);
        op(0x3f);
        return out_.push_back(0);
    }
  }

  // Float arithmetic, and the conversions between floats and integers (the
  // trapping truncations included); t may be an integer type.
  void float_expr(uint8_t t, int depth) {
    const bool f32 = t == kF32;
    if (!is_float(t)) {  // an integer from a float
      const uint8_t u = in_.chance(50) ? kF32 : kF64;
      expr(u, depth + 1);
      const int from = u == kF32 ? 0 : 1;  // the opcodes' order: from f32, then f64; signed, then unsigned
      switch (in_.below(4)) {
        case 0:  // trapping: rare, as a trap ends the call
          if (in_.chance(70)) break;
          return op(uint8_t((t == kI32 ? 0xa8 : 0xae) + 2 * from + in_.below(2)));
        case 1:
          if ((t == kI32) == (u == kF32)) return op(t == kI32 ? 0xbc : 0xbd);  // reinterpret
          break;
        default: break;
      }
      op(0xfc);  // trunc_sat
      return uleb(out_, (t == kI32 ? 0 : 4) + 2 * uint32_t(from) + in_.below(2));
    }
    switch (in_.below(8)) {
      case 0: case 1: case 2:  // binary: add sub mul div min max copysign
        expr(t, depth + 1);
        if (in_.chance(40)) const_of(t); else expr(t, depth + 1);
        return op(uint8_t((f32 ? 0x92 : 0xa0) + in_.below(7)));
      case 3:  // unary: abs neg ceil floor trunc nearest sqrt
        expr(t, depth + 1);
        return op(uint8_t((f32 ? 0x8b : 0x99) + in_.below(7)));
      case 4: {  // from an integer: convert_i32_s/u, convert_i64_s/u, or reinterpret
        const uint8_t u = type();
        expr(u, depth + 1);
        if (in_.chance(20) && (u == kI32) == f32) return op(f32 ? 0xbe : 0xbf);
        return op(uint8_t((f32 ? 0xb2 : 0xb7) + (u == kI32 ? 0 : 2) + in_.below(2)));
      }
      case 5:  // from the other float: demote, promote
        expr(f32 ? kF64 : kF32, depth + 1);
        return op(f32 ? 0xb6 : 0xbb);
      case 6:
        address(depth);
        op(f32 ? 0x2a : 0x2b);
        return memarg(f32 ? 2 : 3);
      default: {
        expr(t, depth + 1);
        expr(t, depth + 1);
        expr(kI32, depth + 1);
        return op(0x1b);
      }
    }
  }

  void leaf(uint8_t t) {
    const uint32_t c = in_.below(8);
    const int l = local_of(t);
    if (c < 4 && l >= 0) return local(0x20, l);
    if (c == 4 && !is_float(t)) return global(0x23, t);
    const_of(t);
  }

  // An address: mostly inside the first page, sometimes anywhere.
  void address(int depth) {
    switch (in_.below(6)) {
      case 0: return i32_const(in_.chance(80) ? in_.below(0x10000) : constant());
      case 1: case 2: {
        const int l = local_of(kI32);
        if (l < 0) return i32_const(in_.below(0x10000));
        local(0x20, l);
        if (in_.chance(70)) {
          i32_const(0xffff);
          op(0x71);
        }
        return;
      }
      case 3: {  // a pointer stepped and used (`*++p`)
        const int l = local_of(kI32);
        if (l < 0) return i32_const(in_.below(0x10000));
        local(0x20, l);
        i32_const(1 + in_.below(8));
        op(0x6a);
        return local(0x22, l);
      }
      default:
        expr(kI32, depth + 1);
        i32_const(0xfff8);
        return op(0x71);
    }
  }
  void memarg(uint32_t natural_log2) {
    out_.push_back(uint8_t(in_.below(natural_log2 + 1)));
    uleb(out_, in_.chance(85) ? in_.below(64) : in_.chance(50) ? 0xfff0 + in_.below(32) : 0xffff'fff0u);
  }
  void load(uint8_t t, int depth) {
    address(depth);
    static constexpr std::array<std::pair<uint8_t, uint8_t>, 5> i32_loads = {
        {{0x28, 2}, {0x2c, 0}, {0x2d, 0}, {0x2e, 1}, {0x2f, 1}}};
    static constexpr std::array<std::pair<uint8_t, uint8_t>, 7> i64_loads = {
        {{0x29, 3}, {0x30, 0}, {0x31, 0}, {0x32, 1}, {0x33, 1}, {0x34, 2}, {0x35, 2}}};
    const auto [code, align] = t == kI32 ? i32_loads[in_.below(i32_loads.size())] : i64_loads[in_.below(i64_loads.size())];
    op(code);
    memarg(align);
  }
  void store(int depth) {
    const uint8_t t = value_type();
    address(depth);
    expr(t, depth + 1);
    if (is_float(t)) {
      op(t == kF32 ? 0x38 : 0x39);
      return memarg(t == kF32 ? 2 : 3);
    }
    static constexpr std::array<std::pair<uint8_t, uint8_t>, 3> i32_stores = {{{0x36, 2}, {0x3a, 0}, {0x3b, 1}}};
    static constexpr std::array<std::pair<uint8_t, uint8_t>, 4> i64_stores = {
        {{0x37, 3}, {0x3c, 0}, {0x3d, 1}, {0x3e, 2}}};
    const auto [code, align] =
        t == kI32 ? i32_stores[in_.below(i32_stores.size())] : i64_stores[in_.below(i64_stores.size())];
    op(code);
    memarg(align);
  }

  // Calls a later function (no recursion: call depth stays bounded). With
  // `want`, only one returning *want (and leaves it); else drops what it returns.
  bool call(int depth, const uint8_t* want) {
    std::vector<int> callable;
    for (int f = self_ + 1; f < int(signatures_.size()); ++f) {
      const auto& r = signatures_[f].results;
      if (!want || (r.size() == 1 && r[0] == *want)) callable.push_back(f);
    }
    if (callable.empty()) return false;
    const int f = callable[in_.below(callable.size())];
    for (uint8_t p : signatures_[f].params) expr(p, depth + 1);
    op(0x10);
    uleb(out_, f);
    if (!want)
      for (size_t i = 0; i < signatures_[f].results.size(); ++i) op(0x1a);
    return true;
  }

  // return_call of a later function with this one's results (no recursion:
  // the chain of tail calls ends); false if there is none.
  bool return_call(int depth) {
    std::vector<int> callable;
    for (int f = self_ + 1; f < int(signatures_.size()); ++f)
      if (signatures_[f].results == signatures_[self_].results) callable.push_back(f);
    if (callable.empty()) return false;
    const int f = callable[in_.below(callable.size())];
    for (uint8_t p : signatures_[f].params) expr(p, depth + 1);
    op(0x12);
    uleb(out_, f);
    ++return_calls_;
    return true;
  }

  // A branch to enclosing label `depth_up` with its values, then (br_if) the values dropped.
  void branch_if(int depth) {
    const uint32_t up = in_.below(labels_.size());
    const std::vector<uint8_t> types = labels_[labels_.size() - 1 - up];  // a copy: expr() pushes labels
    for (uint8_t t : types) expr(t, depth + 1);
    expr(kI32, depth + 1);
    op(0x0d);
    uleb(out_, up);
    for (size_t i = 0; i < types.size(); ++i) op(0x1a);
  }

  void statements(int depth) {
    for (uint32_t n = in_.below(6); n > 0 && !spent(); --n) statement(depth);
    if (spent() || !in_.chance(shapes_.tail_calls ? 20 : 12)) return;
    // An instruction after which nothing runs, last in its block.
    const uint32_t up = in_.below(labels_.size());
    const std::vector<uint8_t> types = labels_[labels_.size() - 1 - up];  // a copy: expr() pushes labels
    switch (in_.below(4)) {
      case 0:
        for (uint8_t t : types) expr(t, depth + 1);
        op(0x0c);
        return uleb(out_, up);
      case 1: {  // br_table over the labels of the same arity as `up`
        std::vector<uint32_t> same;
        for (uint32_t i = 0; i < labels_.size(); ++i)
          if (labels_[labels_.size() - 1 - i] == types) same.push_back(i);
        for (uint8_t t : types) expr(t, depth + 1);
        expr(kI32, depth + 1);
        op(0x0e);
        const uint32_t n = in_.below(5);
        uleb(out_, n);
        for (uint32_t i = 0; i <= n; ++i) uleb(out_, same[in_.below(same.size())]);
        return;
      }
      case 2:
        if (shapes_.tail_calls && return_call(depth)) return;
        for (uint8_t t : signatures_[self_].results) expr(t, depth + 1);
        return op(0x0f);
      default: return op(0x00);
    }
  }

  // An enclosing label branches reach without values (-1: none).
  int plain_label() {
    std::vector<int> ups;
    for (size_t i = 0; i < labels_.size(); ++i)
      if (labels_[labels_.size() - 1 - i].empty()) ups.push_back(int(i));
    return ups.empty() ? -1 : ups[in_.below(ups.size())];
  }
  void br_if_to(int up) {
    op(0x0d);
    uleb(out_, up);
  }
  // What compiled C does often, on random locals and constants: the shapes
  // the interpreter fuses.
  void idiom(int depth) {
    const int up = plain_label(), x = local_of(kI32), c = local_of(kI32);
    if (up < 0 || x < 0 || c < 0) return local_set(depth);
    switch (in_.below(9)) {
      case 6: return digit_by_quotient(depth);
      case 7: {  // a range check, `(unsigned)c - '0' < 10`, as br_if or as if, x often at its edge
        const int64_t c = in_.chance(60) ? -48 : constant(), k = in_.chance(60) ? 10 : constant();
        if (in_.chance(50)) {
          i32_const(int64_t(uint64_t(k) - uint64_t(c) + in_.below(3) - 1));
          local(0x21, x);
        }
        local(0x20, x);
        i32_const(c);
        op(0x6a);
        i32_const(k);
        op(0x49);
        if (in_.chance(50)) return br_if_to(up);
        block_type(0x04, {});
        labels_.push_back({});
        statements(depth + 1);
        labels_.pop_back();
        return op(0x0b);
      }
      case 8:  // a table index scaled: c = table[c + s * 58]
        local(0x20, x);
        local(0x20, c);
        i32_const(in_.chance(60) ? 58 : constant());
        op(0x6c);
        op(0x6a);
        op(0x2d);
        memarg(0);
        return local(0x21, c);
      case 0:  // if (x & mask) / if (!(x & mask)), the masked value kept or not
        local(0x20, x);
        i32_const(constant());
        op(0x71);
        if (in_.chance(50)) local(0x22, c);
        if (in_.chance(50)) op(0x45);
        return br_if_to(up);
      case 1: {  // *s && *s != '%'
        local(0x20, x);
        i32_const(in_.chance(70) ? 255 : constant());
        op(0x71);
        local(0x22, c);
        op(0x45);
        br_if_to(up);
        local(0x20, c);
        i32_const(in_.chance(70) ? 37 : constant());
        op(0x47);
        return br_if_to(plain_label());
      }
      case 2:  // a word or byte loaded and tested for zero
        address(depth);
        op(in_.chance(50) ? 0x28 : 0x2d);
        memarg(0);
        if (in_.chance(50)) local(0x22, c);
        if (in_.chance(50)) op(0x45);
        return br_if_to(up);
      case 3:  // n > INT_MAX - len
        local(0x20, x);
        i32_const(in_.chance(50) ? 0x7fff'ffff : constant());
        local(0x20, c);
        op(0x6b);
        op(0x4a);
        return br_if_to(up);
      case 4:  // a digit: y % 10 stored, y / 10 kept
        address(depth);
        local(0x20, x);
        i32_const(in_.chance(70) ? 10 : constant());
        op(0x70);
        i32_const(48);
        op(0x72);
        op(0x3a);
        memarg(0);
        local(0x20, x);
        i32_const(in_.chance(70) ? 10 : constant());
        op(0x6e);
        return local(0x21, x);
      default:  // *--p = c | '0'
        local(0x20, c);
        i32_const(-1);
        op(0x6a);
        local(0x22, c);
        local(0x20, x);
        i32_const(48);
        op(in_.chance(50) ? 0x72 : 0x6a);
        op(0x3a);
        return memarg(0);
    }
  }

  // A digit as compilers write it when the quotient is kept too:
  // *p = '0' | (y - (q = y / d) * d); y = q, over i32 or i64.
  void digit_by_quotient(int depth) {
    const uint8_t t = type();
    const int y = local_of(t), q = local_of(t);
    if (y < 0) return local_set(depth);
    const int64_t d = in_.chance(70) ? 10 : constant();
    if (in_.chance(30)) {  // the remainder kept in a local, often the quotient's own (compilers reuse it)
      remainder_keeping_quotient(t, y, q, d);
      const int to = in_.chance(70) ? q : local_of(t);
      if (in_.chance(50)) return local(0x21, to);
      local(0x22, to);
      return op(0x1a);  // drop
    }
    address(depth);
    remainder_keeping_quotient(t, y, q, d);
    const_value(t, 48);
    op(t == kI32 ? 0x72 : 0x84);  // or
    op(t == kI32 ? 0x3a : 0x3c);
    memarg(0);
    local(0x20, q);
    local(0x21, y);
  }
  // y - (q = y / d) * d, as compilers write y % d when y / d is used too.
  void remainder_keeping_quotient(uint8_t t, int y, int q, int64_t d) {
    local(0x20, y);
    local(0x20, y);
    const_value(t, d);
    op(t == kI32 ? 0x6e : 0x80);  // div_u
    local(0x22, q);
    const_value(t, d);
    op(t == kI32 ? 0x6c : 0x7e);  // mul
    op(t == kI32 ? 0x6b : 0x7d);  // sub
  }
  void const_value(uint8_t t, int64_t v) {
    if (t == kI32) return i32_const(v);
    op(0x42);
    sleb(out_, v);
  }

  void statement(int depth) {
    if (depth >= kMaxDepth) return local_set(depth);
    switch (in_.below(17)) {
      case 14: case 15: case 16: return idiom(depth);
      case 0: case 1: case 2: return local_set(depth);
      case 3: case 4: return store(depth);
      case 5: {
        const uint8_t t = type();
        expr(t, depth + 1);
        return global(0x24, t);
      }
      case 6: {
        expr(value_type(), depth + 1);
        return op(0x1a);
      }
      case 7: {
        expr(kI32, depth + 1);
        block_type(0x04, {});
        labels_.push_back({});
        statements(depth + 1);
        if (in_.chance(50)) {
          op(0x05);
          statements(depth + 1);
        }
        labels_.pop_back();
        return op(0x0b);
      }
      case 8: {
        block_type(0x02, {});
        labels_.push_back({});
        statements(depth + 1);
        labels_.pop_back();
        return op(0x0b);
      }
      case 9: return counted_loop(depth);
      case 10:
        switch (in_.below(3)) {
          case 0: return digit_loop(depth);
          case 1: return scan_loop(depth);
          default: return counted_loop(depth);
        }
      case 11: return branch_if(depth);
      case 12: if (!call(depth, nullptr)) local_set(depth); return;
      default:
        switch (in_.below(3)) {
          case 0:
            i32_const(in_.below(2));
            op(0x40);
            out_.push_back(0);
            return op(0x1a);
          case 1:  // memory.fill
            address(depth);
            expr(kI32, depth + 1);
            i32_const(in_.below(64));
            op(0xfc);
            uleb(out_, 11);
            return out_.push_back(0);
          default:  // memory.copy
            address(depth);
            address(depth);
            i32_const(in_.below(64));
            op(0xfc);
            uleb(out_, 10);
            out_.push_back(0);
            return out_.push_back(0);
        }
    }
  }

  void local_set(int depth) {
    const uint8_t t = value_type();
    const int l = local_of(t);
    expr(t, depth + 1);
    if (l < 0) return op(0x1a);
    local(0x21, l);
  }

  // block { loop { body; <loop test>; br_if loop } }: the loop tests of
  // compiled code, which the interpreter fuses most; the body may branch
  // anywhere, fuel bounds the rest.
  void counted_loop(int depth) {
    block_type(0x02, {});
    labels_.push_back({});
    block_type(0x03, {});
    labels_.push_back({});
    statements(depth + 1);
    switch (in_.below(3)) {
      case 0: step_and_test(depth); break;
      case 1: flag_and_copy(depth); break;
      default: expr(kI32, depth + 1);
    }
    op(0x0d);
    uleb(out_, 0);
    labels_.pop_back();
    op(0x0b);
    labels_.pop_back();
    op(0x0b);
  }
  // printf's digit loop, alone in its loop: p = start; do { *--p = '0' |
  // y % d; more = y > limit; y /= d } while (more), on i32 or i64, with
  // random locals (which may be the same) and constants.
  void digit_loop(int depth) {
    const uint8_t t = type();
    const int p = local_of(kI32), y = local_of(t), q = local_of(t), more = local_of(kI32);
    if (p < 0 || y < 0 || more < 0) return counted_loop(depth);
    if (in_.chance(80)) {
      i32_const(in_.chance(80) ? 32 + in_.below(0xffe0) : constant());
      local(0x21, p);
    }
    const int64_t d = in_.chance(70) ? 10 : constant();
    block_type(0x03, {});
    labels_.push_back({});
    local(0x20, p);
    i32_const(in_.chance(80) ? -1 : constant());
    op(0x6a);
    local(0x22, p);
    remainder_keeping_quotient(t, y, q, d);
    if (t == kI64) op(0xa7);  // i32.wrap_i64
    i32_const(48);
    op(0x72);
    op(0x3a);
    memarg(0);
    local(0x20, y);
    const_value(t, in_.chance(70) ? int64_t(uint64_t(d) - 1) : constant());
    op(t == kI32 ? 0x4b : 0x56);  // gt_u
    local(0x21, more);
    local(0x20, q);
    local(0x21, y);
    local(0x20, more);
    op(0x0d);
    uleb(out_, 0);
    labels_.pop_back();
    op(0x0b);
  }
  // A format string's scan: c = *s; for (;;) { c &= mask; if (!c) {...; break}
  // if (c == k) {...; break} c = *(s += step); } on random locals (which may
  // be the same) and constants, s starting in the data segment mostly.
  void scan_loop(int depth) {
    const int s = local_of(kI32), c = local_of(kI32);
    if (s < 0 || c < 0) return counted_loop(depth);
    if (in_.chance(80)) {
      i32_const(in_.chance(80) ? in_.below(80) : 0xfff0 + in_.below(16));
      local(0x21, s);
    }
    local(0x20, s);
    op(0x2d);
    memarg(0);
    local(0x21, c);
    block_type(0x02, {});  // out
    labels_.push_back({});
    block_type(0x03, {});  // the scan
    labels_.push_back({});
    block_type(0x02, {});  // to the step
    labels_.push_back({});
    block_type(0x02, {});  // c == 0
    labels_.push_back({});
    local(0x20, c);
    i32_const(in_.chance(70) ? 255 : constant());
    op(0x71);
    local(0x22, c);
    op(0x45);
    br_if_to(0);
    local(0x20, c);
    i32_const(in_.chance(50) ? in_.byte() : 37);
    op(0x47);
    br_if_to(1);
    statements(depth + 1);  // c == k
    op(0x0c);
    uleb(out_, 3);
    labels_.pop_back();
    op(0x0b);
    statements(depth + 1);  // c == 0
    op(0x0c);
    uleb(out_, 2);
    labels_.pop_back();
    op(0x0b);
    local(0x20, s);
    i32_const(in_.chance(80) ? 1 : constant());
    op(0x6a);
    local(0x22, s);
    op(0x2d);
    memarg(0);
    local(0x21, c);
    op(0x0c);
    uleb(out_, 0);
    labels_.pop_back();
    op(0x0b);
    labels_.pop_back();
    op(0x0b);
  }
  // `i += step; i <cmp> n` on an i32 or i64 local.
  void step_and_test(int depth) {
    const uint8_t t = type();
    const int i = local_of(t);
    if (i < 0) return expr(kI32, depth + 1);
    local(0x20, i);
    if (t == kI32) i32_const(int64_t(in_.below(4)) - 1); else const_of(t);
    op(t == kI32 ? 0x6a : 0x7c);
    if (in_.chance(50)) {
      local(0x22, i);
    } else {
      local(0x21, i);
      local(0x20, i);
    }
    if (in_.chance(70)) const_of(t); else expr(t, depth + 1);
    op(uint8_t((t == kI32 ? 0x46 : 0x51) + in_.below(10)));
  }
  // A digit loop's end: `flag = x <cmp> c; a = b; flag` (the locals may be the same).
  void flag_and_copy(int depth) {
    const uint8_t t = type();
    const int flag = local_of(kI32), a = local_of(t), b = local_of(t);
    if (flag < 0) return expr(kI32, depth + 1);
    expr(t, depth + 1);
    const_of(t);
    op(uint8_t((t == kI32 ? 0x46 : 0x51) + in_.below(10)));
    local(0x21, flag);
    if (a >= 0 && in_.chance(80)) {
      local(0x20, b);
      local(0x21, a);
    }
    local(0x20, flag);
  }

  std::vector<uint8_t> assemble(const std::vector<std::vector<uint8_t>>& bodies) {
    std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    std::vector<uint8_t> s;
    uleb(s, signatures_.size());
    for (const Signature& sig : signatures_) {
      s.push_back(0x60);
      uleb(s, sig.params.size());
      s.insert(s.end(), sig.params.begin(), sig.params.end());
      uleb(s, sig.results.size());
      s.insert(s.end(), sig.results.begin(), sig.results.end());
    }
    section(m, 1, s);
    s.clear();
    uleb(s, signatures_.size());
    for (size_t i = 0; i < signatures_.size(); ++i) uleb(s, i);
    section(m, 3, s);
    section(m, 5, {1, 0x01, 1, 2});  // one memory: 1 page, at most 2
    s = {2, kI32, 1, 0x41};
    sleb(s, int32_t(constant()));
    s.insert(s.end(), {0x0b, kI64, 1, 0x42});
    sleb(s, constant());
    s.push_back(0x0b);
    section(m, 6, s);
    s.clear();
    uleb(s, signatures_.size() + 1);
    for (size_t i = 0; i < signatures_.size(); ++i) {
      const std::string name = "f" + std::to_string(i);
      uleb(s, name.size());
      s.insert(s.end(), name.begin(), name.end());
      s.push_back(0x00);
      uleb(s, i);
    }
    s.insert(s.end(), {6, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0});
    section(m, 7, s);
    s.clear();
    uleb(s, bodies.size());
    for (const auto& body : bodies) {
      uleb(s, body.size());
      s.insert(s.end(), body.begin(), body.end());
    }
    section(m, 10, s);
    // 64 bytes at address 0, and the first page's last 16 bytes not zero (a
    // scan or a stepped pointer from there runs into the memory's end).
    s = {2, 0, 0x41, 0, 0x0b, 64};
    for (int i = 0; i < 64; ++i) s.push_back(in_.byte());
    s.insert(s.end(), {0, 0x41, 0xf0, 0xff, 0x03, 0x0b, 16});
    for (int i = 0; i < 16; ++i) s.push_back(uint8_t(1 + in_.below(255)));
    section(m, 11, s);
    return m;
  }

  Choices in_;
  ProgramShapes shapes_;
  std::vector<Signature> signatures_;
  int self_ = 0;
  int budget_ = 0;
  int return_calls_ = 0;
  std::vector<uint8_t> out_;
  std::vector<uint8_t> locals_;
  std::vector<std::vector<uint8_t>> labels_;  // innermost last: the types a branch to it carries
};

}  // namespace

RandomProgram random_program(std::span<const uint8_t> choices, ProgramShapes shapes) {
  return Generator(choices, shapes).run();
}

}  // namespace wasmlet::testing
