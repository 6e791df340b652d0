// The differential check between the tiers: the same module, the same calls,
// in the interpreter, in the AOT tier and in the interpreter with native hot
// code for every function (src/engine/hot/), must give the same results,
// exits, traps (kind and message), fuel counts, memory contents and output. The
// modules are the fixtures (WAT modules export by export, WASI programs
// through _start), modules generated from fixed seeds (random arithmetic,
// memory, control flow and calls, traps included), and, when
// WASMLET_PARITY_CORPUS names a directory, every module in it (the module
// fuzzer's corpus: scripts/fuzz.sh --parity, docs/fuzzing.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/access.h"
#include "engine/fast/fast_tier.h"
#include "engine/hot/hot_library.h"
#include "random_program.h"
#include "support.h"
#include "temp_dir.h"
#include "zero_stubs.h"
#include "wasmlet/error.h"
#include "wasmlet/wasi.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

// What a call did, in a form two tiers can be compared by. NaNs print as
// "nan": their payload is the one thing WebAssembly leaves to the engine.
std::string describe(const Value& v) {
  switch (v.type()) {
    case ValType::I32: return "i32:" + std::to_string(v.as_i32());
    case ValType::I64: return "i64:" + std::to_string(v.as_i64());
    case ValType::F32: return std::isnan(v.as_f32()) ? "f32:nan" : "f32:" + std::to_string(std::bit_cast<uint32_t>(v.as_f32()));
    case ValType::F64: return std::isnan(v.as_f64()) ? "f64:nan" : "f64:" + std::to_string(std::bit_cast<uint64_t>(v.as_f64()));
    default: return "ref";
  }
}

std::string describe(const Outcome& o) {
  if (o.exited()) return "exit " + std::to_string(o.exit_code);
  if (o.trapped()) {
    // Where the AOT tier finds a fault or a stop (fuel, timeout, interrupt) by
    // its address, it may name an inlining caller (docs/aot.md, "Which
    // function trapped"); everything else must match word for word.
    const bool by_address = o.trap.kind == TrapKind::MemoryOutOfBounds || limit_name(o.trap.kind).has_value();
    return "trap " + std::string(to_string(o.trap.kind)) + ": " + o.trap.message + (by_address ? "" : " in " + o.trap.function);
  }
  std::string r = "returned";
  for (const Value& v : o.results) r += " " + describe(v);
  return r;
}

// FNV-1a of a guest memory: equal contents, equal hash.
uint64_t hash_of(const GuestMemory& m) {
  uint64_t h = 1469598103934665603ull;
  if (m.size() == 0) return h;
  for (uint8_t b : m.bytes(0, m.size())) h = (h ^ b) * 1099511628211ull;
  return h ^ m.size();
}

struct Call {
  std::string export_name;
  std::vector<Value> args;
};

std::string describe(const Call& c) {
  std::string r = c.export_name + "(";
  for (size_t i = 0; i < c.args.size(); ++i) r += (i ? ", " : "") + describe(c.args[i]);
  return r + ")";
}

// host.add_one, WASI, and a stub returning zeros for any other function import.
Linker linker_for(const Module& module) {
  Linker linker = compute_linker();
  add_wasi_preview1(linker);
  wasmlet::testing::define_zero_stubs(linker, module);
  return linker;
}

struct RunLimits {
  uint64_t fuel = 2'000'000;
  uint64_t max_memory = 8u << 20;
  std::optional<std::chrono::nanoseconds> timeout;  // fuel does not bound a guest blocked in poll_oneoff
};

// What one call did: its line compares everything; `trap` is kept apart
// because how deep the call stack may grow is the engine's choice.
struct CallRecord {
  std::string call;
  std::optional<TrapKind> trap;
  std::string line;
};

// Runs each call in a fresh Store and instance of `module`.
std::vector<CallRecord> run_calls(Tier tier, const Module& module, const std::vector<Call>& calls,
                                  const WasiConfig& wasi, RunLimits limits = {}) {
  std::vector<CallRecord> records;
  for (const Call& call : calls) {
    Store store(engine_for(tier),
                StoreLimits{.max_memory_bytes = limits.max_memory, .fuel = limits.fuel, .timeout = limits.timeout});
    std::string output;
    WasiConfig config = wasi;
    config.output = [&output](OutputStream s, std::span<const uint8_t> bytes) {
      output += s == OutputStream::Stdout ? "[out]" : "[err]";
      output.append(bytes.begin(), bytes.end());
    };
    attach_wasi(store, std::move(config));
    CallRecord record{describe(call), std::nullopt, ""};
    try {
      Instance instance = Instance::create(store, module, linker_for(module));
      const Outcome& start = instance.start_outcome();
      if (!start.returned()) {
        record.line = "start " + describe(start);
        if (start.trapped()) record.trap = start.trap.kind;
      } else {
        const Outcome o = instance.call(call.export_name, call.args);
        record.line = describe(o) + " memory " + std::to_string(hash_of(instance.memory()));
        if (o.trapped()) record.trap = o.trap.kind;
      }
    } catch (const Error& e) {
      record.line = std::string("error ") + e.what();
    }
    record.line += " fuel " + std::to_string(store.fuel_consumed()) + " limit_hit " +
                   std::to_string(store.memory_limit_hit()) + " output " + output;
    records.push_back(std::move(record));
  }
  return records;
}

// Arguments for every exported function: zeros, then a few telling values.
std::vector<Call> calls_for_exports(const Module& module) {
  static const int64_t kValues[] = {0, 1, -1, 7, 65535, 0x7fffffff, INT64_MIN};
  std::vector<Call> calls;
  for (const ExportInfo& e : module.exports()) {
    if (e.kind != ExternKind::Func) continue;
    const size_t variants = e.type.params.empty() ? 1 : std::size(kValues);
    for (size_t k = 0; k < variants; ++k) {
      Call call{e.name, {}};
      for (size_t p = 0; p < e.type.params.size(); ++p) {
        const int64_t v = kValues[(k + p) % std::size(kValues)];
        switch (e.type.params[p]) {
          case ValType::I32: call.args.push_back(Value::i32(static_cast<int32_t>(v))); break;
          case ValType::I64: call.args.push_back(Value::i64(v)); break;
          case ValType::F32: call.args.push_back(Value::f32(static_cast<float>(v) / 3)); break;
          case ValType::F64: call.args.push_back(Value::f64(static_cast<double>(v) / 3)); break;
          default: call.args.push_back(Value::zero(e.type.params[p])); break;
        }
      }
      calls.push_back(std::move(call));
    }
  }
  return calls;
}

// Compiles in both tiers; false (with the reason in *why) when the AOT tier
// would not compile the module natively (it would run in the interpreter).
bool compile_both(std::span<const uint8_t> wasm, const std::string& name, std::optional<Module>& interp,
                  std::optional<Module>& aot, std::string* why) {
  interp.emplace(compile_for(Tier::Interpreter, wasm, name));
  try {
    aot.emplace(compile_for(Tier::Aot, wasm, name));
  } catch (const std::runtime_error& e) {
    *why = e.what();
    return false;
  }
  return true;
}

// Differences the tiers still have, each with the reason; the comparison
// expects them to persist, so fixing one fails here until its entry goes
// (the list only shrinks).
struct KnownDifference {
  const char* module;
  const char* call;
  const char* reason;
};
// None today: wabt's interpreter had one (memory_limit_hit on a refusal by
// the module's own maximum); wasmlet's interpreter agrees with the AOT tier.
constexpr std::array<KnownDifference, 0> kKnownDifferences{};

// Compares another way of running (`tier`: "the AOT tier", "hot code") with
// the interpreter, call by call.
void expect_same(const std::vector<CallRecord>& interp, const std::vector<CallRecord>& other, const std::string& what,
                 const std::string& tier = "the AOT tier") {
  ASSERT_EQ(interp.size(), other.size());
  for (size_t i = 0; i < interp.size(); ++i) {
    const CallRecord &a = other[i], &b = interp[i];
    // Call-stack exhaustion depends on each tier's frame sizes: the AOT tier
    // may run out of fuel first where the interpreter runs out of stack.
    if (a.trap == TrapKind::StackExhausted || b.trap == TrapKind::StackExhausted) {
      auto exhausted = [](const CallRecord& r) { return r.trap == TrapKind::StackExhausted || r.trap == TrapKind::FuelExhausted; };
      EXPECT_TRUE(exhausted(a) && exhausted(b)) << what << ": " << a.call << "\n  " << tier << ": " << a.line
                                                << "\n  interp: " << b.line;
      continue;
    }
    const KnownDifference* known = nullptr;
    for (const auto& k : kKnownDifferences)
      if (what == k.module && a.call == k.call) known = &k;
    if (known) {
      EXPECT_NE(a.line, b.line) << what << ": " << a.call << " is listed as a known difference (" << known->reason
                                << ") but both tiers now agree: remove it from kKnownDifferences";
      continue;
    }
    EXPECT_EQ(a.line, b.line) << what << ": " << a.call << ": " << tier << " (first) differs from the interpreter (second)";
  }
}

// The module in the interpreter with native hot code for `functions` (all
// when empty) as far as the emitter can compile them, built into `directory`
// (as `wasmlet wast --hot-code-dir` does): the third way a function runs.
// *compiled says how many it compiled.
Module with_hot_code(std::span<const uint8_t> wasm, const std::string& name, std::vector<uint32_t> functions,
                     const std::filesystem::path& directory, size_t* compiled) {
  Module module = Module::compile(engine_for(Tier::Interpreter), wasm, name);
  *compiled = detail::use_hot_code(module, std::move(functions), directory)->compiled_count();
  return module;
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// --------------------------------------------------------- generated modules

// Random but valid modules from a seed: i32/i64/f64 arithmetic (traps
// included: division by zero, overflow, bad conversions), loads and stores
// anywhere in one page (out of bounds too), memory.grow, bounded loops,
// br_if/br_table, direct calls to earlier functions and call_indirect
// through a table (wrong type and empty slots too). Only the engine's own
// output (std::mt19937's numbers) is used, so a seed means the same module everywhere.
class ModuleGenerator {
 public:
  explicit ModuleGenerator(uint32_t seed) : rng_(seed) {}

  std::string module(int functions) {
    std::ostringstream w;
    w << "(module\n  (type $ii2i (func (param i32 i32) (result i32)))\n  (memory (export \"memory\") 1)\n"
      << "  (table 8 funcref)\n  (global $g (mut i32) (i32.const 5))\n";
    for (functions_ = 0; functions_ < functions; ++functions_) {
      w << "  (func $f" << functions_ << " (export \"f" << functions_ << "\") (type $ii2i) (local $a i32) (local $i i32) (local $w i64)\n";
      for (int s = 0, n = 1 + pick(4); s < n; ++s) w << "    " << statement(0) << "\n";
      w << "    " << i32(0) << ")\n";
    }
    // Slots 0..functions-1 of a table of 8: the rest stay empty (uninitialized element traps).
    w << "  (elem (i32.const 0)";
    for (int f = 0; f < std::min(functions, 6); ++f) w << " $f" << f;
    w << ")\n  (func $other (param i64) (result i64) (local.get 0))\n  (elem (i32.const 7) $other))\n";
    return w.str();
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string constant() {
    static const char* kInteresting[] = {"0", "1", "-1", "2", "31", "32", "0x7fffffff", "-2147483648", "65532", "65536", "100"};
    if (pick(2)) return std::to_string(static_cast<int32_t>(rng_()) % 1000);
    return kInteresting[pick(std::size(kInteresting))];
  }

  std::string i32(int depth) {
    if (depth > 4) return pick(2) ? "(i32.const " + constant() + ")" : leaf();
    static const char* kBinary[] = {"add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor",
                                    "shl", "shr_s", "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "ge_s", "gt_u"};
    static const char* kUnary[] = {"clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"};
    switch (pick(14)) {
      case 0: case 1: return leaf();
      case 2: case 3: case 4: {
        const std::string op = kBinary[pick(std::size(kBinary))];
        return "(i32." + op + " " + i32(depth + 1) + " " + divisor(op, i32(depth + 1), "i32") + ")";
      }
      case 5: return std::string("(i32.") + kUnary[pick(std::size(kUnary))] + " " + i32(depth + 1) + ")";
      case 6: {
        static const char* kLoads[] = {"i32.load", "i32.load8_s", "i32.load16_u", "i32.load offset=65530"};
        return std::string("(") + kLoads[pick(16) ? pick(3) : 3] + " " + address(depth) + ")";
      }
      case 7: return "(select " + i32(depth + 1) + " " + i32(depth + 1) + " " + i32(depth + 1) + ")";
      case 8: return "(i32.wrap_i64 " + i64(depth + 1) + ")";
      case 9: {
        // A trap anywhere ends every caller too: the trapping forms are rare.
        static const char* kConv[] = {"i32.trunc_f64_s", "i32.trunc_f64_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u"};
        return std::string("(") + kConv[pick(16) == 0 ? pick(2) : 2 + pick(2)] + " " + f64(depth + 1) + ")";
      }
      case 10:
        return "(if (result i32) " + i32(depth + 1) + " (then " + i32(depth + 1) + ") (else " + i32(depth + 1) + "))";
      case 11:
        // Calls only go to earlier functions: no unbounded recursion.
        if (functions_ > 0) return "(call $f" + std::to_string(pick(functions_)) + " " + i32(depth + 1) + " " + i32(depth + 1) + ")";
        return leaf();
      case 12:
        // Slots past the generated functions are empty or of another type: traps. Earlier slots only, else recursion.
        if (functions_ == 0) return leaf();
        return "(call_indirect (type $ii2i) " + i32(depth + 1) + " " + i32(depth + 1) + " (i32.const " +
               std::to_string(pick(32) ? pick(std::min(functions_, 6)) : 6 + pick(2)) + "))";
      default:
        return "(block $b (result i32) (br_if $b " + i32(depth + 1) + " " + i32(depth + 1) + ") (drop) " + i32(depth + 1) + ")";
    }
  }
  std::string leaf() {
    switch (pick(5)) {
      case 0: return "(local.get 0)";
      case 1: return "(local.get 1)";
      case 2: return "(local.get $a)";
      case 3: return "(global.get $g)";
      default: return "(i32.const " + constant() + ")";
    }
  }
  // Mostly in bounds.
  std::string address(int depth) { return pick(16) ? "(i32.and " + i32(depth + 1) + " (i32.const 0xfffc))" : i32(depth + 1); }
  // A divisor that is mostly not zero.
  std::string divisor(const std::string& op, const std::string& operand, const char* type) {
    const bool divides = op.rfind("div", 0) == 0 || op.rfind("rem", 0) == 0;
    return divides && pick(16) ? std::string("(") + type + ".or " + operand + " (" + type + ".const 1))" : operand;
  }
  std::string i64(int depth) {
    static const char* kBinary[] = {"add", "mul", "div_s", "rem_u", "shl", "rotr", "xor"};
    switch (pick(4)) {
      case 0: return "(i64.extend_i32_s " + i32(depth + 1) + ")";
      case 1: return "(local.get $w)";
      case 2: return "(i64.const " + std::to_string(static_cast<int64_t>((uint64_t(rng_()) << 32) | rng_())) + ")";
      default: {
        const std::string op = kBinary[pick(std::size(kBinary))];
        return "(i64." + op + " " + i64(depth + 1) + " " + divisor(op, i64(depth + 1), "i64") + ")";
      }
    }
  }
  std::string f64(int depth) {
    static const char* kConstants[] = {"nan", "inf", "-0", "1e10", "-3.5", "2147483647.5", "4294967296"};
    switch (pick(4)) {
      case 0: return std::string("(f64.const ") + kConstants[pick(std::size(kConstants))] + ")";
      case 1: return "(f64.convert_i32_s " + i32(depth + 1) + ")";
      case 2: return "(f64.div " + f64(depth + 1) + " " + f64(depth + 1) + ")";
      default: return "(f64.sqrt " + f64(depth + 1) + ")";
    }
  }
  std::string statement(int depth) {
    switch (pick(depth > 1 ? 5 : 7)) {
      case 0: return "(local.set $a " + i32(depth + 1) + ")";
      case 1: return "(local.set $w " + i64(depth + 1) + ")";
      case 2: {
        static const char* kStores[] = {"i32.store", "i32.store8", "i32.store16 offset=65534"};
        return std::string("(") + kStores[pick(16) ? pick(2) : 2] + " " + address(depth) + " " + i32(depth + 1) + ")";
      }
      case 3: return "(global.set $g " + i32(depth + 1) + ")";
      case 4: return "(drop (memory.grow (i32.and " + i32(depth + 1) + " (i32.const 3))))";
      case 5:
        // A loop of at most 64 rounds (fuel counts every round).
        return "(local.set $i (i32.and " + i32(depth + 1) + " (i32.const 63))) (block $done (loop $again " +
               "(br_if $done (i32.eqz (local.get $i))) " + statement(depth + 1) +
               " (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br $again)))";
      default:
        return "(block $x (block $y (block $z (br_table $x $y $z " + i32(depth + 1) + ")) " + statement(depth + 1) + ") " +
               statement(depth + 1) + ")";
    }
  }

  std::mt19937 rng_;
  int functions_ = 0;
};

class TierParity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!have_c_compiler(&why)) GTEST_SKIP() << why;
  }

  // Runs `calls` with hot code for `wasm` and compares with `expected`, the
  // interpreter's records; the code covers the functions `interp` (the
  // interpreter's module, after its runs) called, as a run's profile does,
  // or all functions with `all`. Returns how many functions had hot code.
  size_t expect_same_with_hot_code(std::span<const uint8_t> wasm, const std::string& name, const Module& interp,
                                   bool all, const std::vector<Call>& calls, const std::vector<CallRecord>& expected,
                                   const WasiConfig& wasi = {}, RunLimits limits = {}) {
    std::vector<uint32_t> functions;
    if (!all) {
      functions = detail::fast_interp_used_functions(*detail::Access::impl(interp).tier);
      if (functions.empty()) return 0;  // nothing ran (a start-up trap): nothing to compare
    }
    size_t compiled = 0;
    // A directory per build: a path dlopen has loaded stays that library.
    const Module hot = with_hot_code(wasm, name, std::move(functions), hot_code_.path() / std::to_string(builds_++), &compiled);
    expect_same(expected, run_calls(Tier::Interpreter, hot, calls, wasi, limits), name, "hot code");
    return compiled;
  }

  TempDir hot_code_;
  int builds_ = 0;
};

}  // namespace

TEST_F(TierParity, WatFixturesExportByExport) {
  for (const char* name : {"compute", "tier_compute", "trap_kinds", "start_modes", "start_trap", "main_only", "features"}) {
    SCOPED_TRACE(name);
    const auto wasm = read_file(fixture(name));
    std::optional<Module> interp, aot;
    std::string why;
    const bool native = compile_both(wasm, name, interp, aot, &why);
    const auto calls = calls_for_exports(*interp);
    const auto expected = run_calls(Tier::Interpreter, *interp, calls, {});
    if (native)
      expect_same(expected, run_calls(Tier::Aot, *aot, calls, {}), name);
    else
      std::cerr << "  " << name << ": not compared with the AOT tier, " << why << "\n";
    const size_t hot = expect_same_with_hot_code(wasm, name, *interp, true, calls, expected);
    std::cerr << "  " << name << ": hot code for " << hot << " functions\n";
  }
}

// min and max of a NaN: the spec allows any arithmetic NaN; every tier
// gives the positive canonical one, so a NaN's bits do not depend on the tier.
TEST_F(TierParity, MinAndMaxOfANaNAreTheCanonicalNaNInEveryTier) {
  const auto wasm = wat_to_wasm(R"((module
    (func (export "f32_min") (param i32 i32) (result i32)
      (i32.reinterpret_f32 (f32.min (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
    (func (export "f32_max") (param i32 i32) (result i32)
      (i32.reinterpret_f32 (f32.max (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
    (func (export "f64_min") (param i64 i64) (result i64)
      (i64.reinterpret_f64 (f64.min (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
    (func (export "f64_max") (param i64 i64) (result i64)
      (i64.reinterpret_f64 (f64.max (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))))",
                                "--enable-all");
  std::optional<Module> interp, aot;
  std::string why;
  ASSERT_TRUE(compile_both(wasm, "min_max_nan", interp, aot, &why)) << why;
  // A negative NaN, one with a payload, a signalling one; the other operand a number.
  const int32_t f32_nans[] = {int32_t(0xffc00000), 0x7fc01234, 0x7f800001};
  const int64_t f64_nans[] = {int64_t(0xfff8000000000000), 0x7ff8000000001234, 0x7ff0000000000001};
  std::vector<Call> calls;
  for (const char* f : {"f32_min", "f32_max"})
    for (int32_t nan : f32_nans) {
      calls.push_back({f, {Value::i32(nan), Value::i32(0)}});
      calls.push_back({f, {Value::i32(0x3f800000), Value::i32(nan)}});
    }
  for (const char* f : {"f64_min", "f64_max"})
    for (int64_t nan : f64_nans) {
      calls.push_back({f, {Value::i64(nan), Value::i64(0)}});
      calls.push_back({f, {Value::i64(0x3ff0000000000000), Value::i64(nan)}});
    }
  const auto expected = run_calls(Tier::Interpreter, *interp, calls, {});
  for (const auto& r : expected)
    EXPECT_TRUE(r.line.rfind("returned i32:2143289344 ", 0) == 0 || r.line.rfind("returned i64:9221120237041090560 ", 0) == 0)
        << r.call << ": " << r.line;
  expect_same(expected, run_calls(Tier::Aot, *aot, calls, {}), "min_max_nan");
  EXPECT_EQ(expect_same_with_hot_code(wasm, "min_max_nan", *interp, true, calls, expected), 4u);
}

// A memory fault right after a function's entry refuelled, before a loop:
// the AOT fuel build must have stored the refuelled budget by then, or the
// run is charged a whole refuel's worth (100,000) too much.
TEST_F(TierParity, FuelAfterAMemoryFaultIsCountedAlike) {
  const auto wasm = wat_to_wasm(R"((module (memory (export "memory") 1 2)
    (func (export "fault_before_loop") (result i64) (local f64)
      f64.const -1 local.set 0
      i32.const 65528 f64.const 2 f64.store offset=12 align=1
      (block (loop (br_if 0 (i32.load16_u (i32.const 100)))))
      i64.const 0)
    (func (export "fault_in_loop") (param i32) (result i32)
      (loop (local.set 0 (i32.add (local.get 0) (i32.const 4096)))
            (i32.store (local.get 0) (local.get 0))
            (br 0))
      (local.get 0))))",
                                "--enable-all");
  std::optional<Module> interp, aot;
  std::string why;
  ASSERT_TRUE(compile_both(wasm, "fuel_fault", interp, aot, &why)) << why;
  const std::vector<Call> calls = {{"fault_before_loop", {}}, {"fault_in_loop", {Value::i32(0)}}};
  const auto expected = run_calls(Tier::Interpreter, *interp, calls, {});
  for (const auto& r : expected) EXPECT_EQ(r.trap, TrapKind::MemoryOutOfBounds) << r.line;
  expect_same(expected, run_calls(Tier::Aot, *aot, calls, {}), "fuel_fault");
}

TEST_F(TierParity, WasiProgramsThroughStart) {
  struct Program {
    const char* fixture;
    std::vector<std::string> args;
    RunLimits limits;
  };
  const std::vector<Program> programs = {
      {"hello_stdio", {}, {}},
      {"exit_code", {"7"}, {}},
      {"traps", {"unreachable"}, {}},
      {"traps", {"divide"}, {}},
      {"traps", {"oob"}, {}},
      {"traps", {"none"}, {}},
      {"wasi_args_env", {"a", "b c"}, {}},
      {"wasi_stdio", {"interleave"}, {}},
      {"memory_hog", {}, {.fuel = 50'000'000, .max_memory = 8u << 20}},
      {"exit_code", {"0"}, {.fuel = 2000}},  // fuel runs out in libc's start-up
  };
  for (const Program& p : programs) {
    const std::string what = std::string(p.fixture) + (p.args.empty() ? "" : " " + p.args[0]);
    SCOPED_TRACE(what);
    const auto wasm = read_file(fixture(p.fixture));
    std::optional<Module> interp, aot;
    std::string why;
    ASSERT_TRUE(compile_both(wasm, p.fixture, interp, aot, &why)) << why;
    WasiConfig wasi;
    wasi.args = {p.fixture};
    wasi.args.insert(wasi.args.end(), p.args.begin(), p.args.end());
    wasi.env = {"PARITY=1"};
    const std::vector<Call> start = {{"_start", {}}};
    const auto expected = run_calls(Tier::Interpreter, *interp, start, wasi, p.limits);
    expect_same(expected, run_calls(Tier::Aot, *aot, start, wasi, p.limits), what);
    // The functions the run called (a whole wasi-libc at -O2 would take a minute).
    EXPECT_GT(expect_same_with_hot_code(wasm, p.fixture, *interp, false, start, expected, wasi, p.limits), 0u) << what;
  }
}

TEST_F(TierParity, GeneratedModules) {
  // 8 modules of 10 functions, each function called 7 times per tier (and with hot code).
  std::map<std::string, int> seen;  // how the calls ended, so that a generator that only traps shows
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    const std::string text = ModuleGenerator(seed).module(10);
    const std::string name = "generated_" + std::to_string(seed);
    SCOPED_TRACE(name + ":\n" + text);
    std::vector<uint8_t> wasm;
    ASSERT_NO_THROW(wasm = wat_to_wasm(text, "--enable-all")) << "the generator wrote invalid WAT";
    std::optional<Module> interp, aot;
    std::string why;
    ASSERT_TRUE(compile_both(wasm, name, interp, aot, &why)) << why;
    const auto calls = calls_for_exports(*interp);
    const auto expected = run_calls(Tier::Interpreter, *interp, calls, {});
    for (const auto& r : expected) ++seen[r.trap ? to_string(*r.trap) : "returned"];
    expect_same(expected, run_calls(Tier::Aot, *aot, calls, {}), name);
    // All 11 functions (10 and $other) are within what the emitter compiles.
    EXPECT_EQ(expect_same_with_hot_code(wasm, name, *interp, true, calls, expected), 11u) << name;
  }
  std::cerr << " ";
  for (const auto& [how, n] : seen) std::cerr << " " << how << ": " << n;
  std::cerr << "\n";
  EXPECT_GT(seen["returned"], 100) << "the generated functions should mostly return";
}

TEST_F(TierParity, GeneratedProgramsWithFloats) {
  // The fusion differential's programs with floats (tests/support/random_program.h:
  // NaNs, signed zeros, the conversions' edges and their traps) through all
  // three: a float operation wrong in one tier shows here.
  std::mt19937 rng(20261207);
  int floats_returned = 0;
  for (int i = 0; i < 8; ++i) {
    std::vector<uint8_t> choices(600 + rng() % 1400);
    for (uint8_t& b : choices) b = uint8_t(rng());
    const RandomProgram program = random_program(choices, {.floats = true});
    const std::string name = "random_floats_" + std::to_string(i);
    SCOPED_TRACE(name);
    std::optional<Module> interp, aot;
    std::string why;
    ASSERT_TRUE(compile_both(program.wasm, name, interp, aot, &why)) << why;
    std::vector<Call> calls;
    for (const RandomCall& c : program.calls) calls.push_back({c.export_name, c.args});
    const auto expected = run_calls(Tier::Interpreter, *interp, calls, {});
    for (const auto& r : expected) floats_returned += r.line.find("returned f") != std::string::npos;
    expect_same(expected, run_calls(Tier::Aot, *aot, calls, {}), name);
    EXPECT_GT(expect_same_with_hot_code(program.wasm, name, *interp, true, calls, expected), 0u) << name;
  }
  std::cerr << "  " << floats_returned << " calls returned a float\n";
  EXPECT_GT(floats_returned, 0) << "no call returned a float: the generator lost its floats";
}

// The module fuzzer's corpus (or any directory of modules): every module that
// validates and links is run export by export in both tiers.
TEST_F(TierParity, CorpusFromWasmletParityCorpus) {
  const char* dir = std::getenv("WASMLET_PARITY_CORPUS");
  if (!dir || !*dir) GTEST_SKIP() << "set WASMLET_PARITY_CORPUS to a directory of modules (scripts/fuzz.sh --parity does)";
  // Fuzzed modules may sleep in poll_oneoff (for hours): each call also gets
  // a deadline, which ends such a sleep with the same timeout trap in both tiers.
  const RunLimits limits{.timeout = std::chrono::seconds(2)};
  size_t compared = 0, skipped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto wasm = read_file(entry.path());
    std::optional<Module> interp, aot;
    std::string why;
    try {
      if (!compile_both(wasm, entry.path().filename().string(), interp, aot, &why)) {
        ++skipped;
        continue;
      }
    } catch (const CompileError&) {
      ++skipped;  // invalid: the fuzzer keeps those too
      continue;
    }
    const auto calls = calls_for_exports(*interp);
    expect_same(run_calls(Tier::Interpreter, *interp, calls, {}, limits), run_calls(Tier::Aot, *aot, calls, {}, limits),
                entry.path().string());
    ++compared;
  }
  std::cerr << "  compared " << compared << " modules in both tiers, " << skipped << " invalid or interpreter-only\n";
}
