// Native code for hot functions (src/engine/hot/): the interpreter runs a
// function's native code instead of its own, and nothing a guest can see
// changes. Each test runs the same module twice, interpreted and with
// native code, and compares results, traps (kind, message, function) and
// the fuel used.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/fast/fast_tier.h"
#include "engine/hot/hot_library.h"
#include "engine/tier.h"
#include "support.h"
#include "temp_dir.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

class HotCode : public ::testing::Test {
 protected:
  // The module with native code for every function it can compile.
  Module native_module(const std::vector<uint8_t>& wasm, size_t* compiled = nullptr) {
    Module module = Module::compile(engine_, wasm, "test.wasm");
    auto library = detail::use_hot_code(module, {}, dir_.path() / fmt::format("lib{}", libraries_++));
    for (const auto& why : library->left_out()) std::printf("left out: %s\n", why.c_str());
    if (compiled) *compiled = library->compiled_count();
    return module;
  }

  // Public: a test runs them on a thread of its own.
 public:
  struct Run {
    Outcome outcome;
    uint64_t fuel;
  };
  Run run(const Module& module, const std::string& name, const std::vector<Value>& args, uint64_t fuel,
          const Linker& linker = {}) {
    Store store(engine_, StoreLimits{std::nullopt, fuel, std::nullopt});
    Instance instance = Instance::create(store, module, linker);
    Outcome o = instance.call(name, args);
    return Run{o, store.fuel_consumed()};
  }

  // Runs export `name` both ways and expects the same outcome.
  void expect_same(const Module& interpreted, const Module& native, const std::string& name,
                   const std::vector<Value>& args, uint64_t fuel = 1'000'000'000, const Linker& linker = {}) {
    const Run a = run(interpreted, name, args, fuel, linker);
    const Run b = run(native, name, args, fuel, linker);
    std::string call = name + "(";
    for (const Value& v : args) call += v.to_string() + " ";
    call += ")";
    ASSERT_EQ(int(a.outcome.kind), int(b.outcome.kind)) << call << ": " << a.outcome.trap.to_string() << " vs "
                                                        << b.outcome.trap.to_string();
    if (a.outcome.trapped()) {
      EXPECT_EQ(a.outcome.trap.kind, b.outcome.trap.kind) << call;
      EXPECT_EQ(a.outcome.trap.message, b.outcome.trap.message) << call;
      EXPECT_EQ(a.outcome.trap.function, b.outcome.trap.function) << call;
    }
    ASSERT_EQ(a.outcome.results.size(), b.outcome.results.size()) << call;
    for (size_t i = 0; i < a.outcome.results.size(); ++i)
      EXPECT_EQ(a.outcome.results[i].to_string(), b.outcome.results[i].to_string()) << call << " result " << i;
    EXPECT_EQ(a.fuel, b.fuel) << call << ": fuel";
  }

  Engine engine_;
  TempDir dir_;
  int libraries_ = 0;
};

const char* kArithmetic = R"(
(module
  (memory 1 10)
  (global $counter (mut i32) (i32.const 0))
  (global $big (mut i64) (i64.const 0))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.mul (local.get $i) (local.get $i)))))
        (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "sat") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))
  (func (export "fmin") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
  (func (export "bits") (param i64) (result i64)
    (i64.add (i64.clz (local.get 0)) (i64.add (i64.ctz (local.get 0)) (i64.popcnt (local.get 0)))))
  (func (export "rot") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
  (func (export "store_load") (param $a i32) (param $v i64) (result i64)
    (i64.store offset=3 (local.get $a) (local.get $v))
    (i64.add (i64.load8_s offset=3 (local.get $a)) (i64.load32_u offset=4 (local.get $a))))
  (func (export "grow") (param i32) (result i32 i32)
    (memory.grow (local.get 0)) (memory.size))
  (func (export "fill_copy") (param $d i32) (param $s i32) (param $n i32) (result i32)
    (memory.fill (local.get $s) (i32.const 7) (local.get $n))
    (memory.copy (local.get $d) (local.get $s) (local.get $n))
    (i32.load8_u (local.get $d)))
  (func (export "unreachable") (unreachable))
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "multi") (param i32) (result i32)
    (block $out (result i32 i32)
      (i32.const 5) (local.get 0)
      (br_if $out (i32.eqz (local.get 0)))
      (drop) (drop) (i32.const 6) (i32.const 7))
    (i32.mul))
  (func (export "select") (param i32 f64 f64) (result f64)
    (select (local.get 1) (local.get 2) (local.get 0)))
  (func (export "count") (result i32) (global.get $counter)))
)";

TEST_F(HotCode, NumericMemoryAndControlMatchTheInterpreter) {
  const auto wasm = wat_to_wasm(kArithmetic, "--enable-all");
  Module interpreted = Module::compile(engine_, wasm, "test.wasm");
  size_t compiled = 0;
  Module native = native_module(wasm, &compiled);
  EXPECT_EQ(compiled, 18u) << "every function";
  expect_same(interpreted, native, "fib", {Value::i32(20)});
  expect_same(interpreted, native, "sum", {Value::i32(1000)});
  expect_same(interpreted, native, "div", {Value::i32(7), Value::i32(-2)});
  expect_same(interpreted, native, "div", {Value::i32(7), Value::i32(0)});
  expect_same(interpreted, native, "div", {Value::i32(INT32_MIN), Value::i32(-1)});
  expect_same(interpreted, native, "rem", {Value::i64(INT64_MIN), Value::i64(-1)});
  expect_same(interpreted, native, "trunc", {Value::f64(-3.9)});
  expect_same(interpreted, native, "trunc", {Value::f64(1e10)});
  expect_same(interpreted, native, "trunc", {Value::f64(std::nan(""))});
  expect_same(interpreted, native, "sat", {Value::f32(-5.0f)});
  expect_same(interpreted, native, "sat", {Value::f32(1e30f)});
  expect_same(interpreted, native, "fmin", {Value::f64(-0.0), Value::f64(0.0)});
  expect_same(interpreted, native, "fmin", {Value::f64(std::nan("")), Value::f64(1.0)});
  expect_same(interpreted, native, "nearest", {Value::f32(2.5f)});
  expect_same(interpreted, native, "bits", {Value::i64(0)});
  expect_same(interpreted, native, "bits", {Value::i64(0x00f0'0000'0000'0100)});
  expect_same(interpreted, native, "rot", {Value::i32(0x12345678), Value::i32(36)});
  expect_same(interpreted, native, "store_load", {Value::i32(100), Value::i64(-2)});
  expect_same(interpreted, native, "store_load", {Value::i32(65530), Value::i64(1)});
  expect_same(interpreted, native, "grow", {Value::i32(2)});
  expect_same(interpreted, native, "grow", {Value::i32(100)});
  expect_same(interpreted, native, "fill_copy", {Value::i32(10), Value::i32(1000), Value::i32(50)});
  expect_same(interpreted, native, "fill_copy", {Value::i32(65530), Value::i32(1000), Value::i32(50)});
  expect_same(interpreted, native, "unreachable", {});
  for (int i = -1; i < 5; ++i) expect_same(interpreted, native, "switch", {Value::i32(i)});
  expect_same(interpreted, native, "multi", {Value::i32(0)});
  expect_same(interpreted, native, "multi", {Value::i32(3)});
  expect_same(interpreted, native, "select", {Value::i32(0), Value::f64(1.5), Value::f64(2.5)});
  expect_same(interpreted, native, "select", {Value::i32(9), Value::f64(1.5), Value::f64(2.5)});
}

TEST_F(HotCode, FuelRunsOutAtTheSameCount) {
  const auto wasm = wat_to_wasm(kArithmetic, "--enable-all");
  Module interpreted = Module::compile(engine_, wasm, "test.wasm");
  Module native = native_module(wasm);
  for (uint64_t fuel : {1ull, 5ull, 100ull, 1000ull, 12345ull}) {
    expect_same(interpreted, native, "sum", {Value::i32(1000)}, fuel);
    expect_same(interpreted, native, "fib", {Value::i32(15)}, fuel);
  }
}

TEST_F(HotCode, CallsReachHostFunctionsTablesAndInterpretedCode) {
  const char* wat = R"(
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (type $un (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $inc $simd $twice)
  (func $inc (type $un) (i32.add (local.get 0) (i32.const 1)))
  ;; SIMD: stays interpreted
  (func $simd (type $un)
    (i32x4.extract_lane 1 (i32x4.splat (i32.mul (local.get 0) (i32.const 3)))))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $un) (local.get 1) (local.get 0)))
  (func (export "wrong_type") (result i64)
    (call_indirect (result i64) (i32.const 0)))
  (func (export "chain") (param i32) (result i32)
    (call $twice (call $simd (call $inc (local.get 0))))))
)";
  const auto wasm = wat_to_wasm(wat, "--enable-all");
  Module interpreted = Module::compile(engine_, wasm, "test.wasm");
  size_t compiled = 0;
  Module native = native_module(wasm, &compiled);
  EXPECT_EQ(compiled, 4u) << "all but the SIMD function";
  Linker linker;
  linker.define("env", "twice", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller&, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(args[0].as_i32() * 2);
                });
  expect_same(interpreted, native, "chain", {Value::i32(4)}, 1'000'000, linker);
  for (int i = 0; i < 5; ++i) expect_same(interpreted, native, "indirect", {Value::i32(i), Value::i32(10)}, 1'000'000, linker);
  expect_same(interpreted, native, "wrong_type", {}, 1'000'000, linker);
}

TEST_F(HotCode, DeepRecursionTrapsInsteadOfOverflowingTheHostStack) {
  const char* wat = R"(
(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))
)";
  Module native = native_module(wat_to_wasm(wat, "--enable-all"));
  Run shallow = run(native, "down", {Value::i32(1000)}, 1'000'000'000);
  ASSERT_TRUE(shallow.outcome.returned()) << shallow.outcome.trap.to_string();
  EXPECT_EQ(shallow.outcome.results.at(0).as_i32(), 1000);
  Run deep = run(native, "down", {Value::i32(100'000'000)}, 1'000'000'000'000);
  ASSERT_TRUE(deep.outcome.trapped());
  EXPECT_EQ(deep.outcome.trap.kind, TrapKind::StackExhausted) << deep.outcome.trap.to_string();
}

TEST_F(HotCode, RecursionWithoutArgumentsStopsAtTheHostStackLimit) {
  // No arguments, no results: the value stack never grows, only the host stack.
  Module native = native_module(wat_to_wasm("(module (func $f (export \"f\") call $f))", "--enable-all"));
  Run r = run(native, "f", {}, 1'000'000'000'000);
  ASSERT_TRUE(r.outcome.trapped());
  EXPECT_EQ(r.outcome.trap.kind, TrapKind::StackExhausted) << r.outcome.trap.to_string();
}

TEST_F(HotCode, AThreadWithASmallStackTrapsInsteadOfRunningNativeCode) {
  Module native = native_module(wat_to_wasm(kArithmetic, "--enable-all"));
  Outcome o;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  struct Args {
    HotCode* self;
    const Module* module;
    Outcome* out;
  } args{this, &native, &o};
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, [](void* p) -> void* {
    auto* a = static_cast<Args*>(p);
    *a->out = a->self->run(*a->module, "fib", {Value::i32(10)}, 1'000'000).outcome;
    return nullptr;
  }, &args), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::StackExhausted);
  EXPECT_NE(o.trap.message.find("at least 2 MiB"), std::string::npos) << o.trap.message;
}

}  // namespace
