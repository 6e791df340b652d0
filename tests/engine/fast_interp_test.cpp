// The fast interpreter (src/engine/fast/): what its design promises beyond
// running code correctly, which the spec suite and the TierTest suites check
// — lazy translation, memory reserved rather than committed, stacks that
// trap instead of overflowing, tail calls in constant space.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/access.h"
#include "engine/fast/fast_tier.h"
#include "engine/fast/reciprocal_division.h"
#include "engine/fast/reservation_pool.h"
#include "engine/fast/zeroed_locals.h"
#include "engine/tier.h"
#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

class FastInterp : public ::testing::Test {
 protected:
  Module compile(const std::string& wat) {
    return Module::compile(engine_, wat_to_wasm(wat, "--enable-all --debug-names"), "test.wasm");
  }

  // Resident memory of this process, in bytes.
  static uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * uint64_t(sysconf(_SC_PAGESIZE));
  }

  // The first result of a call that must return (a failure names the call).
  static Value result_of(Instance& instance, const std::string& name, std::vector<Value> args) {
    Outcome o = instance.call(name, args);
    EXPECT_TRUE(o.returned()) << name << ": " << o.trap.to_string();
    return o.returned() && !o.results.empty() ? o.results.at(0) : Value::i32(-12345);
  }

  // The trap of a call that must run out of stack (a failure names the call).
  static TrapInfo stack_trap_of(Instance& instance, const std::string& name, std::vector<Value> args) {
    Outcome o = instance.call(name, args);
    EXPECT_TRUE(o.trapped()) << name << " returned";
    EXPECT_EQ(o.trap.kind, TrapKind::StackExhausted) << name << ": " << o.trap.to_string();
    return o.trap;
  }

  Engine engine_;
};

TEST_F(FastInterp, TranslatesOnlyTheFunctionsARunCalls) {
  // 5000 functions; main calls f0, which calls f1; nothing else runs.
  std::string wat = "(module\n";
  constexpr int kFunctions = 5000;
  for (int i = 0; i < kFunctions; ++i) {
    wat += "(func $f" + std::to_string(i) + " (param i32) (result i32) local.get 0 i32.const " + std::to_string(i) +
           " i32.add";
    if (i + 1 < kFunctions && i < 1) wat += " call $f" + std::to_string(i + 1);
    wat += ")\n";
  }
  wat += "(func (export \"main\") (result i32) i32.const 1 call $f0))";
  Module module = compile(wat);
  const detail::TierModule& tier = *detail::Access::impl(module).tier;
  EXPECT_EQ(detail::fast_interp_translated_functions(tier), 0u) << "nothing runs at compile time";
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  EXPECT_EQ(detail::fast_interp_translated_functions(tier), 0u) << "instantiating translates nothing";
  Outcome o = instance.call("main");
  ASSERT_TRUE(o.returned()) << o.trap.to_string();
  EXPECT_EQ(o.results.at(0).as_i32(), 1 + 0 + 1);
  EXPECT_EQ(detail::fast_interp_translated_functions(tier), 3u) << "main, f0 and f1";
  // A second instance shares the translated code.
  Store other(engine_);
  Instance again = Instance::create(other, module, Linker{});
  ASSERT_TRUE(again.call("main").returned());
  EXPECT_EQ(detail::fast_interp_translated_functions(tier), 3u);
}

TEST_F(FastInterp, ALargeDeclaredMemoryIsReservedNotCommitted) {
  Module module = compile(R"((module (memory (export "memory") 65536)
      (func (export "touch") (param i32) (local.get 0) (i32.const 7) (i32.store8))))");
  const uint64_t before = resident_bytes();
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  std::vector<Value> far = {Value::i32(int32_t(0xfffff000u))};
  ASSERT_TRUE(instance.call("touch", far).returned());
  EXPECT_EQ(instance.memory().size(), uint64_t{65536} * 65536);
  EXPECT_LT(resident_bytes() - before, uint64_t{64} << 20) << "4 GiB of memory must not be resident";
}

TEST_F(FastInterp, RecursionThroughCallIndirectIsAStackTrap) {
  Module module = compile(R"((module
      (type $t (func (param i32) (result i32)))
      (table 1 funcref) (elem (i32.const 0) $down)
      (func $down (export "down") (type $t)
        (call_indirect (type $t) (i32.add (local.get 0) (i32.const 1)) (i32.const 0)))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  EXPECT_EQ(stack_trap_of(instance, "down", {Value::i32(0)}).function, "down");
  // The instance is sound afterwards.
  stack_trap_of(instance, "down", {Value::i32(0)});
}

// Frames of 4,000 slots reach the value stack's end (64 MiB) long before
// the call depth limit: the call's bound check, not the guard after the
// stack, must stop them, the highest slot of each frame written.
TEST_F(FastInterp, RecursionWithLargeFramesIsAStackTrapAtTheValueStacksEnd) {
  std::string locals;
  for (int i = 0; i < 3999; ++i) locals += " i64";
  Module module = compile(R"((module
      (func $down (export "down") (param i32) (local)" + locals + R"()
        (local.set 3999 (i64.extend_i32_u (local.get 0)))
        (call $down (i32.add (local.get 0) (i32.const 1))))
      (func (export "top") (param i32) (result i64) (local)" + locals + R"()
        (local.set 3999 (i64.extend_i32_u (local.get 0)))
        (local.get 3999))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  stack_trap_of(instance, "down", {Value::i32(0)});
  // The instance is sound afterwards.
  EXPECT_EQ(result_of(instance, "top", {Value::i32(7)}).as_i64(), 7);
}

TEST_F(FastInterp, TailCallsRunInConstantSpace) {
  Module module = compile(R"((module
      (func $count (export "count") (param i64 i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
          (else (return_call $count (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2))))))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  std::vector<Value> args = {Value::i64(3'000'000), Value::i64(0)};
  Outcome o = instance.call("count", args);
  ASSERT_TRUE(o.returned()) << o.trap.to_string();
  EXPECT_EQ(o.results.at(0).as_i64(), 6'000'000);
}

TEST_F(FastInterp, CallsIntoAnotherInstanceReturnToTheCallersInstance) {
  // Each instance reads byte 0 of its own memory: 'A' (65) or 'B' (66). A
  // call into another instance pushes a frame that switches back on return
  // (direct, indirect, and a tail call out of a function called within the
  // instance); tail calls back and forth across instances keep one such
  // frame (a million of them run where the call depth limit is 100,000).
  Module a_module = compile(R"((module
      (memory (export "mem") 1) (data (i32.const 0) "A")
      (type $i (func (param i32) (result i32)))
      (table (export "table") 2 funcref)
      (func (export "read") (type $i) (i32.load8_u (i32.const 0)))
      (func (export "pong") (type $i)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.load8_u (i32.const 0)))
          (else (return_call_indirect (type $i) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0)))))
      (func (export "deep") (type $i) (call_indirect (type $i) (local.get 0) (i32.const 1)))))");
  Module b_module = compile(R"((module
      (type $i (func (param i32) (result i32)))
      (import "a" "read" (func $read (type $i)))
      (import "a" "pong" (func $pong (type $i)))
      (import "a" "deep" (func $a_deep (type $i)))
      (import "a" "table" (table $a_table 2 funcref))
      (memory 1) (data (i32.const 0) "B")
      (table $own 1 funcref) (elem (table $own) (i32.const 0) func $read)
      (elem (table $a_table) (i32.const 0) func $ping $deep)
      (func $mine (result i32) (i32.load8_u (i32.const 0)))
      (func $tail (type $i) (return_call $read (local.get 0)))
      (func $ping (type $i)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.load8_u (i32.const 0)))
          (else (return_call $pong (i32.sub (local.get 0) (i32.const 1))))))
      (func $deep (type $i) (call $a_deep (i32.add (local.get 0) (i32.const 1))))
      (func (export "direct") (result i32) (i32.add (i32.shl (call $read (i32.const 0)) (i32.const 8)) (call $mine)))
      (func (export "indirect") (result i32)
        (i32.add (i32.shl (call_indirect $own (type $i) (i32.const 0) (i32.const 0)) (i32.const 8)) (call $mine)))
      (func (export "tail") (result i32) (i32.add (i32.shl (call $tail (i32.const 0)) (i32.const 8)) (call $mine)))
      (func (export "ping_pong") (type $i) (i32.add (i32.shl (call $ping (local.get 0)) (i32.const 8)) (call $mine)))
      (func (export "deep") (type $i) (call $deep (local.get 0)))))");
  Store store(engine_);
  Instance a = Instance::create(store, a_module, Linker{});
  Linker linker;
  for (const auto& e : a_module.exports()) linker.define("a", e.name, *a.get_export(e.name));
  Instance b = Instance::create(store, b_module, linker);
  constexpr int32_t kA = 'A' << 8 | 'B', kB = 'B' << 8 | 'B';
  EXPECT_EQ(result_of(b, "direct", {}).as_i32(), kA);
  EXPECT_EQ(result_of(b, "indirect", {}).as_i32(), kA);
  EXPECT_EQ(result_of(b, "tail", {}).as_i32(), kA);
  EXPECT_EQ(result_of(b, "ping_pong", {Value::i32(0)}).as_i32(), kB);
  EXPECT_EQ(result_of(b, "ping_pong", {Value::i32(1)}).as_i32(), kA);
  EXPECT_EQ(result_of(b, "ping_pong", {Value::i32(1'000'000)}).as_i32(), kB);
  EXPECT_EQ(result_of(b, "ping_pong", {Value::i32(1'000'001)}).as_i32(), kA);
  // Recursion back and forth (call, call_indirect) is a stack trap, and
  // both instances run normally after it.
  stack_trap_of(b, "deep", {Value::i32(0)});
  EXPECT_EQ(result_of(b, "direct", {}).as_i32(), kA);
  EXPECT_EQ(result_of(a, "read", {Value::i32(0)}).as_i32(), 'A');
}

TEST_F(FastInterp, FuelCountsOfLoopsBranchesAndGrowMatchTheCostModel) {
  // Function entry: 1 + 13 instructions of the body (the loop counts as one);
  // each iteration: 1 + 9 instructions of the loop body.
  Module module = compile(R"((module (memory 1)
      (func (export "run") (param $n i32) (result i32)
        (i32.const 0) (memory.grow) (drop)
        (block $done
          (loop $again
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $again)))
        (local.get $n))))");
  StoreLimits limits;
  limits.fuel = 1'000'000;
  Store store(engine_, limits);
  Instance instance = Instance::create(store, module, Linker{});
  std::vector<Value> ten = {Value::i32(10)};
  ASSERT_TRUE(instance.call("run", ten).returned());
  // Entry: 1 + (const, grow (+8 noted by the rewrite), drop, block, loop, local.get) = 1 + 14;
  // loop: 1 + (local.get, eqz, br_if, local.get, const, sub, local.set, br) = 9, run 11 times.
  EXPECT_EQ(store.fuel_consumed(), 15u + 11u * 9u);
}

TEST_F(FastInterp, FusedInstructionsKeepWasmSemantics) {
  // Each function is a sequence the translator fuses (docs/engine-interpreter.md);
  // the arguments reach the edges: 32-bit address wrap-around, traps, a branch
  // landing between two fusable instructions.
  Module module = compile(R"((module (memory 1)
      (data (i32.const 0) "\01\02\03\04\05\06\07\08")
      (func $load_ri (export "load_ri") (param i32) (result i32)
        (i32.load (i32.add (local.get 0) (i32.const 4))))
      (func (export "load_rr") (param i32 i32) (result i32)
        (i32.load8_u offset=1 (i32.add (local.get 0) (local.get 1))))
      (func (export "store_ci") (param i32) (result i32)
        (i32.store8 (local.get 0) (i32.const 0x1ff))
        (i32.load (local.get 0)))
      (func (export "add_loaded") (param i32 i32) (result i32)
        (i32.add (i32.load (local.get 0)) (local.get 1)))
      (func (export "mul_loaded") (param i32 f64) (result f64)
        (f64.store (i32.const 16) (f64.const 1.5))
        (f64.mul (local.get 1) (f64.load offset=16 (local.get 0))))
      (func (export "test_branches") (param i32) (result i32)
        (local $r i32)
        (block $a (br_if $a (i32.eqz (i32.and (local.get 0) (i32.const 4))))
          (local.set $r (i32.const 1)))
        (block $b (br_if $b (i32.and (local.get 0) (i32.const 8)))
          (local.set $r (i32.add (local.get $r) (i32.const 10))))
        (if (i32.and (local.get 0) (i32.const 1)) (then (local.set $r (i32.add (local.get $r) (i32.const 100)))))
        (local.get $r))
      (func (export "add_to") (param i32 i32 i32) (result i32)
        ;; x[p] += a (fused), then x[q] = x[p] + a: not the address loaded from, not fused
        (i32.store offset=8 (local.get 0) (i32.add (i32.load offset=8 (local.get 0)) (local.get 2)))
        (i32.store offset=8 (local.get 1) (i32.add (i32.load offset=8 (local.get 0)) (local.get 2)))
        (f64.store offset=32 (local.get 0) (f64.const 2.5))
        (f64.store offset=32 (local.get 0) (f64.mul (f64.load offset=32 (local.get 0)) (f64.const 2)))
        (i32.add (i32.load offset=8 (local.get 1))
                 (i32.trunc_f64_s (f64.load offset=32 (local.get 0)))))
      (func (export "shifted") (param i32 i32) (result i32)
        (i32.xor (i32.add (i32.shr_u (local.get 1) (i32.const 36)) (local.get 0))
                 (i32.or (local.get 0) (i32.shl (local.get 1) (i32.const 35))))
        (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 33)))
        (i32.add))
      (func (export "rsub") (param i32) (result i32)
        (i32.sub (i32.const 10) (local.get 0)))
      (func (export "steps_and_rotations") (param $n i32) (result i32)
        (local $i i32) (local $p i32) (local $a i32) (local $b i32) (local $c i32)
        (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3))
        (loop $again
          (local.set $a (local.get $b))
          (local.set $b (local.get $c))
          (local.set $c (i32.add (local.get $a) (local.get $b)))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (local.get $c) (local.get $p)))
      (func (export "zero_after_write") (result i32)
        (local $x i32)
        (local.set $x (i32.const 5))
        (local.set $x (i32.const 0))
        (local.get $x))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto i32 = [&](const char* name, std::vector<Value> args) { return result_of(instance, name, std::move(args)).as_i32(); };
  // x + 4 wraps to 0 before the (zero) offset is added: no trap.
  EXPECT_EQ(i32("load_ri", {Value::i32(-4)}), 0x04030201);
  EXPECT_EQ(i32("load_ri", {Value::i32(0)}), 0x08070605);
  Outcome oob = instance.call("load_ri", std::vector<Value>{Value::i32(65533)});
  ASSERT_TRUE(oob.trapped());
  EXPECT_EQ(oob.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(oob.trap.function, "load_ri");
  // 0xffffffff + 2 wraps to 1, then offset 1: byte 2.
  EXPECT_EQ(i32("load_rr", {Value::i32(-1), Value::i32(2)}), 3);
  // The offset is added after the wrap, as a 33-bit sum: past the end.
  Outcome wrapped = instance.call("load_rr", std::vector<Value>{Value::i32(-1), Value::i32(0)});
  ASSERT_TRUE(wrapped.trapped());
  EXPECT_EQ(wrapped.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(i32("store_ci", {Value::i32(100)}), 0xff);
  EXPECT_EQ(i32("add_loaded", {Value::i32(4), Value::i32(1)}), 0x08070606);
  Outcome add_oob = instance.call("add_loaded", std::vector<Value>{Value::i32(65535), Value::i32(1)});
  ASSERT_TRUE(add_oob.trapped());
  EXPECT_EQ(add_oob.trap.kind, TrapKind::MemoryOutOfBounds);
  // x[8] = 0 + 1; x[12] = x[8] + 1 = 2; the f64 at 32: 2.5 * 2 = 5.
  EXPECT_EQ(i32("add_to", {Value::i32(0), Value::i32(4), Value::i32(1)}), 2 + 5);
  Outcome rmw_oob = instance.call("add_to", std::vector<Value>{Value::i32(65530), Value::i32(0), Value::i32(1)});
  ASSERT_TRUE(rmw_oob.trapped());
  EXPECT_EQ(rmw_oob.trap.kind, TrapKind::MemoryOutOfBounds);
  Outcome mul = instance.call("mul_loaded", std::vector<Value>{Value::i32(0), Value::f64(3.0)});
  ASSERT_TRUE(mul.returned()) << mul.trap.to_string();
  EXPECT_EQ(mul.results.at(0).as_f64(), 4.5);
  EXPECT_EQ(i32("test_branches", {Value::i32(0)}), 10);
  EXPECT_EQ(i32("test_branches", {Value::i32(4)}), 11);
  EXPECT_EQ(i32("test_branches", {Value::i32(8)}), 0);
  EXPECT_EQ(i32("test_branches", {Value::i32(13)}), 101);
  // Shift counts are taken mod 32: ((y >> 4) + x) ^ (x | (y << 3)) + (x ^ rotl(y, 1)).
  const uint32_t x = 0x12345678u, y = 0x9abcdef1u;
  const uint32_t shifted = (((y >> 4) + x) ^ (x | (y << 3))) + (x ^ ((y << 1) | (y >> 31)));
  EXPECT_EQ(uint32_t(i32("shifted", {Value::i32(int32_t(x)), Value::i32(int32_t(y))})), shifted);
  EXPECT_EQ(i32("rsub", {Value::i32(3)}), 7);
  EXPECT_EQ(i32("rsub", {Value::i32(11)}), -1);
  // a, b, c run along the Fibonacci numbers; p steps by 8.
  EXPECT_EQ(i32("steps_and_rotations", {Value::i32(1)}), 5 + 8);
  EXPECT_EQ(i32("steps_and_rotations", {Value::i32(5)}), 34 + 40);
  EXPECT_EQ(i32("zero_after_write", {}), 0);
}

// The fusions made for formatting code (musl's printf): a flag kept in a
// local and tested, a pointer stepped and read, a digit loop's quotient and
// remainder, a digit stored, a loop's last copy and its back-edge. Each
// function also has a variant the translator must not fuse (a branch landing
// between, the quotient overwriting the dividend, another multiplier), and
// every result is computed here too.
TEST_F(FastInterp, FormattingLoopFusionsKeepWasmSemantics) {
  Module module = compile(R"((module (memory 1)
      (data (i32.const 0) "ab%cd%%e\00")
      (data (i32.const 65535) "x")
      ;; r = x & mask kept, then tested three ways; r is returned with the path taken
      (func (export "kept_flag") (param $x i32) (result i32) (local $r i32) (local $path i32)
        (block $zero (br_if $zero (i32.eqz (local.tee $r (i32.and (local.get $x) (i32.const 0x50)))))
          (local.set $path (i32.const 1)))
        (block $set (br_if $set (local.tee $r (i32.and (local.get $r) (i32.const 0x40))))
          (local.set $path (i32.add (local.get $path) (i32.const 10))))
        (if (local.tee $r (i32.and (local.get $x) (i32.const 0x10)))
          (then (local.set $path (i32.add (local.get $path) (i32.const 100)))))
        (i32.or (i32.shl (local.get $path) (i32.const 16)) (local.get $r)))
      ;; the and's block ends between it and the test: a branch lands there
      (func (export "flag_after_label") (param $x i32) (param $skip i32) (result i32) (local $r i32)
        (local.set $r (i32.const 7))
        (block $b (br_if $b (local.get $skip)) (local.set $r (i32.and (local.get $x) (i32.const 3))))
        (block $z (br_if $z (i32.eqz (local.get $r))) (return (i32.add (local.get $r) (i32.const 1000))))
        (i32.const -1))
      ;; strlen and strchr by a stepped pointer (offset 0 and a memarg offset)
      (func (export "length") (param $p i32) (result i32) (local $s i32) (local $c i32)
        (local.set $s (local.get $p))
        (local.set $c (i32.load8_u (local.get $s)))
        (block $done (loop $scan
          (br_if $done (i32.eqz (local.get $c)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $s)))
          (br $scan)))
        (i32.sub (local.get $s) (local.get $p)))
      (func (export "next_percent") (param $p i32) (result i32)
        (loop $scan
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $scan (i32.ne (i32.load8_u offset=1 (local.get $p)) (i32.const 37))))
        (local.get $p))
      ;; the load's result goes into the pointer itself; a step that wraps
      (func (export "chase") (param $p i32) (result i32)
        (local.set $p (i32.add (local.get $p) (i32.const -4)))
        (local.tee $p (i32.load (local.get $p))))
      ;; utoa: digits stored backwards from 64, returns the first digit's address
      (func (export "utoa32") (param $y i32) (result i32) (local $s i32) (local $q i32) (local $more i32)
        (local.set $s (i32.const 64))
        (loop $digit
          (local.set $s (i32.add (local.get $s) (i32.const -1)))
          (i32.store8 (local.get $s)
            (i32.or (i32.sub (local.get $y) (i32.mul (local.tee $q (i32.div_u (local.get $y) (i32.const 10))) (i32.const 10)))
                    (i32.const 48)))
          (local.set $more (i32.gt_u (local.get $y) (i32.const 9)))
          (local.set $y (local.get $q))
          (br_if $digit (local.get $more)))
        (local.get $s))
      (func (export "utoa64") (param $y i64) (result i32) (local $s i32) (local $q i64) (local $more i32)
        (local.set $s (i32.const 128))
        (loop $digit
          (local.set $s (i32.add (local.get $s) (i32.const -1)))
          (i32.store8 (local.get $s)
            (i32.add (i32.wrap_i64 (i64.sub (local.get $y) (i64.mul (local.tee $q (i64.div_u (local.get $y) (i64.const 10)))
                                                                     (i64.const 10))))
                     (i32.const 48)))
          (local.set $more (i64.gt_u (local.get $y) (i64.const 9)))
          (local.set $y (local.get $q))
          (br_if $digit (local.get $more)))
        (local.get $s))
      ;; not a remainder: the quotient overwrites the dividend, or is multiplied by another constant
      (func (export "not_remainders") (param $y i32) (result i32)
        (local $a i32) (local $q i32)
        (local.set $y (i32.div_u (local.get $y) (i32.const 10)))
        (local.set $a (i32.sub (local.get $y) (i32.mul (local.get $y) (i32.const 10))))
        (local.set $q (i32.div_u (local.get $a) (i32.const 7)))
        (i32.sub (local.get $a) (i32.mul (local.get $q) (i32.const 5))))
      ;; the stored byte's address past the end of memory
      (func (export "store_digit") (param $at i32) (param $d i32)
        (i32.store8 offset=2 (local.get $at) (i32.or (local.get $d) (i32.const 48))))
      (func (export "byte") (param $at i32) (result i32) (i32.load8_u (local.get $at)))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto i32 = [&](const char* name, std::vector<Value> args) { return result_of(instance, name, std::move(args)).as_i32(); };
  for (int32_t x : {0, 0x10, 0x40, 0x50, 0x7f, -1}) {
    int32_t path = 0, r = x & 0x50;
    if (r != 0) path = 1;
    r &= 0x40;
    if (r == 0) path += 10;
    r = x & 0x10;
    if (r != 0) path += 100;
    EXPECT_EQ(i32("kept_flag", {Value::i32(x)}), (path << 16) | r) << x;
  }
  EXPECT_EQ(i32("flag_after_label", {Value::i32(6), Value::i32(0)}), 1002);
  EXPECT_EQ(i32("flag_after_label", {Value::i32(4), Value::i32(0)}), -1);
  EXPECT_EQ(i32("flag_after_label", {Value::i32(4), Value::i32(1)}), 1007);
  EXPECT_EQ(i32("length", {Value::i32(0)}), 8);
  EXPECT_EQ(i32("length", {Value::i32(3)}), 5);
  EXPECT_EQ(i32("next_percent", {Value::i32(-1)}), 1);  // -1 + 1 wraps to 0; byte 2 is '%'
  EXPECT_EQ(i32("next_percent", {Value::i32(2)}), 4);
  Outcome past = instance.call("length", std::vector<Value>{Value::i32(65535)});  // "x", then the end
  ASSERT_TRUE(past.trapped());
  EXPECT_EQ(past.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(i32("chase", {Value::i32(4)}), 0x63256261);  // "ab%c" read from 0
  Outcome wrapped = instance.call("chase", std::vector<Value>{Value::i32(2)});  // 2 - 4 wraps to 0xfffffffe
  ASSERT_TRUE(wrapped.trapped());
  EXPECT_EQ(wrapped.trap.kind, TrapKind::MemoryOutOfBounds);
  auto digits = [&](int32_t first, int32_t end) {
    std::string text;
    for (int32_t at = first; at < end; ++at) text += char(i32("byte", {Value::i32(at)}));
    return text;
  };
  for (uint32_t y : {0u, 7u, 9u, 10u, 99u, 100u, 4294967295u, 1000000000u, 123456789u}) {
    const int32_t first = i32("utoa32", {Value::i32(int32_t(y))});
    EXPECT_EQ(digits(first, 64), std::to_string(y));
  }
  for (uint64_t y : {uint64_t(0), uint64_t(10), uint64_t(18446744073709551615u), uint64_t(5000000000u)}) {
    Outcome o = instance.call("utoa64", std::vector<Value>{Value::i64(int64_t(y))});
    ASSERT_TRUE(o.returned()) << o.trap.to_string();
    EXPECT_EQ(digits(o.results.at(0).as_i32(), 128), std::to_string(y));
  }
  for (uint32_t y : {0u, 57u, 12345u, 4294967295u}) {
    const uint32_t q = y / 10, a = q - q * 10;  // the quotient replaced y before the subtraction
    EXPECT_EQ(uint32_t(i32("not_remainders", {Value::i32(int32_t(y))})), a - (a / 7) * 5) << y;
  }
  Outcome stored = instance.call("store_digit", std::vector<Value>{Value::i32(200), Value::i32(0x31)});
  ASSERT_TRUE(stored.returned()) << stored.trap.to_string();
  EXPECT_EQ(i32("byte", {Value::i32(202)}), 0x31);  // 0x31 | 0x30 (an add would make 0x61)
  Outcome beyond = instance.call("store_digit", std::vector<Value>{Value::i32(65534), Value::i32(5)});
  ASSERT_TRUE(beyond.trapped());
  EXPECT_EQ(beyond.trap.kind, TrapKind::MemoryOutOfBounds);
}

// Copies right before a return or a branch run in the same instruction
// (copy_ret ... copy4_ret, copy_br): results returned from locals, in order
// (a multi-value return swaps two locals through slots 0 and 1, another
// returns one local twice), and values
// carried out of blocks, by br and through br_table's stubs.
TEST_F(FastInterp, CopiesBeforeReturnsAndBranchesKeepWasmSemantics) {
  Module module = compile(R"((module
      (func $swap (param $a i64) (param $b i64) (result i64 i64) (local.get $b) (local.get $a))
      (func $five (param $a i32) (result i32 i32 i32 i32 i32) (local $b i32) (local $c i32)
        (local.set $b (i32.add (local.get $a) (i32.const 1)))
        (local.set $c (i32.add (local.get $a) (i32.const 2)))
        (local.get $c) (local.get $b) (local.get $a) (local.get $c) (local.get $b))
      (func $twice (param i32 i32 i32) (result i32 i32) (local.get 2) (local.get 2))
      (func (export "twice") (param i32 i32 i32) (result i32)
        (call $twice (local.get 0) (local.get 1) (local.get 2))
        (local.set 1) (local.set 0)
        (i32.add (i32.mul (local.get 0) (i32.const 10)) (local.get 1)))
      (func (export "swapped") (param i64 i64) (result i64)
        (call $swap (local.get 0) (local.get 1))
        (local.set 1) (local.set 0)
        (i64.sub (i64.mul (local.get 0) (i64.const 1000)) (local.get 1)))
      (func (export "five") (param i32) (result i32)
        (local $1 i32) (local $2 i32) (local $3 i32) (local $4 i32) (local $5 i32)
        (call $five (local.get 0))
        (local.set 5) (local.set 4) (local.set 3) (local.set 2) (local.set 1)
        (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul
          (local.get 1) (i32.const 10)) (local.get 2)) (i32.const 10)) (local.get 3)) (i32.const 10))
          (local.get 4)) (i32.const 10)) (local.get 5)))
      (func (export "carried") (param $x i32) (param $k i32) (result i32) (local $y i32)
        (local.set $y (i32.mul (local.get $x) (i32.const 3)))
        (i32.add
          (block $out (result i32)
            (block $two (block $one (block $zero
              (br_table $zero $one $two (local.get $k)))
              (br $out (local.get $x)))
            (br $out (local.get $y)))
            (drop (br_if $out (local.get $y) (local.get $x)))
            (local.get $k))
          (i32.const 1000)))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  Outcome swapped = instance.call("swapped", std::vector<Value>{Value::i64(7), Value::i64(9)});
  ASSERT_TRUE(swapped.returned()) << swapped.trap.to_string();
  EXPECT_EQ(swapped.results.at(0).as_i64(), 9 * 1000 - 7);
  EXPECT_EQ(result_of(instance, "five", {Value::i32(3)}).as_i32(), 54354);
  EXPECT_EQ(result_of(instance, "twice", {Value::i32(1), Value::i32(2), Value::i32(3)}).as_i32(), 33);
  auto carried = [&](int32_t x, int32_t k) { return result_of(instance, "carried", {Value::i32(x), Value::i32(k)}).as_i32(); };
  EXPECT_EQ(carried(5, 0), 1005);  // $zero: x
  EXPECT_EQ(carried(5, 1), 1015);  // $one: y
  EXPECT_EQ(carried(5, 2), 1015);  // $two: br_if taken with y
  EXPECT_EQ(carried(0, 2), 1002);  // $two: not taken, k
  EXPECT_EQ(carried(5, 7), 1015);  // the default is $two
}

// The copies of a call's arguments run in the call's instruction
// (copy_call ... copy4_call). A callee's first call (translated then) and
// a host callee both leave that instruction mid-way; each returns to the
// instruction after it.
TEST_F(FastInterp, ArgumentCopiesFusedIntoCallsKeepWasmSemantics) {
  std::string wat = R"((module
      (import "host" "mix" (func $mix (param i32 i32 i32) (result i32)))
      (func $digits (param i32 i32 i32 i32) (result i32)
        (i32.add (i32.add (i32.mul (local.get 0) (i32.const 1000)) (i32.mul (local.get 1) (i32.const 100)))
                 (i32.add (i32.mul (local.get 2) (i32.const 10)) (local.get 3))))
      (func (export "calls") (param $a i32) (param $b i32) (result i32) (local $c i32) (local $d i32) (local $sum i32)
        (local.set $c (i32.add (local.get $a) (i32.const 1)))
        (local.set $d (i32.add (local.get $b) (i32.const 1)))
        ;; arguments copied from locals, in a different order each time
        (local.set $sum (call $digits (local.get $d) (local.get $c) (local.get $b) (local.get $a)))
        (local.set $sum (i32.add (local.get $sum) (call $digits (local.get $a) (local.get $b) (local.get $c) (local.get $d))))
        (local.set $sum (i32.add (local.get $sum) (call $mix (local.get $b) (local.get $a) (local.get $d))))
        (i32.add (local.get $sum) (call $mix (local.get $d) (local.get $d) (local.get $c))))))";
  Module module = compile(wat);
  Linker linker;
  linker.define("host", "mix", FuncType{{ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}},
                [](Caller&, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(args[0].as_i32() * 10000 + args[1].as_i32() * 100 + args[2].as_i32());
                });
  Store store(engine_);
  Instance instance = Instance::create(store, module, linker);
  auto digits = [](int a, int b, int c, int d) { return a * 1000 + b * 100 + c * 10 + d; };
  auto mix = [](int a, int b, int c) { return a * 10000 + b * 100 + c; };
  for (int round = 0; round < 3; ++round) {  // the first translates $digits on its first call
    const int a = 1 + round, b = 5, c = a + 1, d = b + 1;
    const int expected = digits(d, c, b, a) + digits(a, b, c, d) + mix(b, a, d) + mix(d, d, c);
    EXPECT_EQ(result_of(instance, "calls", {Value::i32(a), Value::i32(b)}).as_i32(), expected) << round;
  }
}

// Fusions found in musl's printf and memcpy: a stepped load that ends a
// loop (`<load>_step_loop`), an overflow check `n > INT_MAX - len`
// (br_if_i32_gt_s_rsub_ri), three counters stepped together (i32_add_ri3),
// a load tested for zero (i32_load_br_if_zero ...), a byte tested for zero
// and then for '%' (i32_and_ri_br_if_zero_ne_ri), a digit loop's end
// (i32_gt_u_ri_copy_br_if_loop),
// a copy just before a loop fused with the loop's fuel check point
// (copy_fuel; a br_table to that loop goes through a stub). Results at the
// edges of the signed range, the trap of a stepped load, and fuel counts
// from the cost model (entry: 1 + the function's instructions outside
// loops; each loop entry and back-edge: 1 + the loop body's).
TEST_F(FastInterp, LoopAndOverflowCheckFusionsKeepWasmSemantics) {
  Module module = compile(R"((module (memory 1)
      (data (i32.const 16) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\00\00\00\00")
      (data (i32.const 65528) "\01\00\00\00\01\00\00\00")
      (data (i32.const 400) "ab%cd\00xyz\00%")
      ;; printf's scan of its format string: to the end or to a '%'; returns s * 256 + the byte there
      (func (export "scan") (param $s i32) (result i32) (local $x i32) (local $c i32)
        (local.set $x (i32.load8_u (local.get $s)))
        (block $found
          (loop $next
            (block $step
              (br_if $found (i32.eqz (local.tee $c (i32.and (local.get $x) (i32.const 255)))))
              (br_if $step (i32.ne (local.get $c) (i32.const 37)))
              (br $found))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (local.set $x (i32.load8_u (local.get $s)))
            (br $next)))
        (i32.add (i32.mul (local.get $s) (i32.const 256)) (local.get $c)))
      ;; sums words from p up to a zero word
      (func (export "sum_words") (param $p i32) (result i32) (local $x i32) (local $sum i32)
        (local.set $x (i32.load (local.get $p)))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $x)))
          (local.set $sum (i32.add (local.get $sum) (local.get $x)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $x (i32.load offset=0 (local.get $p)))
          (br $next)))
        (local.get $sum))
      (func (export "add_checked") (param $n i32) (param $len i32) (result i32)
        (block $overflow
          (br_if $overflow (i32.gt_s (local.get $n) (i32.sub (i32.const 2147483647) (local.get $len))))
          (return (i32.add (local.get $n) (local.get $len))))
        (i32.const -1))
      ;; each step reads the one before
      (func (export "step3") (param $a i32) (result i32) (local $b i32) (local $c i32)
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $a) (i32.const 2)))
        (local.set $c (i32.add (local.get $b) (i32.const -3)))
        (i32.add (i32.add (i32.mul (local.get $a) (i32.const 10000)) (i32.mul (local.get $b) (i32.const 100)))
                 (local.get $c)))
      (func (export "copy_bytes") (param $d i32) (param $s i32) (param $n i32)
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (i32.store8 (local.get $d) (i32.load8_u (local.get $s)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const -1)))
          (br $next))))
      (func (export "byte") (param $at i32) (result i32) (i32.load8_u (local.get $at)))
      (func (export "put") (param $at i32) (param $v i32) (i32.store (local.get $at) (local.get $v)))
      ;; loads tested for zero, kept in a local (local.tee) or not, both ways
      (func (export "load_tests") (param $p i32) (result i32) (local $w i32) (local $k i32) (local $path i32)
        (block $zero (br_if $zero (i32.eqz (local.tee $w (i32.load (local.get $p)))))
          (local.set $path (i32.const 1)))
        (block $byte (br_if $byte (i32.load8_u offset=1 (local.get $p)))
          (local.set $path (i32.add (local.get $path) (i32.const 10))))
        (if (i32.eqz (i32.load8_u offset=2 (local.get $p)))
          (then (local.set $path (i32.add (local.get $path) (i32.const 100)))))
        (block $kept (br_if $kept (local.tee $k (i32.load offset=4 (local.get $p))))
          (local.set $path (i32.add (local.get $path) (i32.const 1000))))
        (if (i32.load8_u offset=3 (local.get $p))
          (then (local.set $path (i32.add (local.get $path) (i32.const 10000)))))
        (i32.add (i32.mul (local.get $path) (i32.const 65536))
                 (i32.add (i32.and (local.get $w) (i32.const 255)) (i32.and (local.get $k) (i32.const 255)))))
      ;; digits of y, the compare left on the stack while y takes the quotient
      (func (export "digits32") (param $y i32) (result i32) (local $n i32) (local $q i32)
        (loop $digit
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (local.set $q (i32.div_u (local.get $y) (i32.const 10)))
          (i32.gt_u (local.get $y) (i32.const 9))
          (local.set $y (local.get $q))
          (br_if $digit))
        (local.get $n))
      ;; the same with the compare kept in a local, read after the loop
      (func (export "digits32_kept") (param $y i32) (result i32) (local $n i32) (local $q i32) (local $more i32)
        (local.set $more (i32.const 5))
        (loop $digit
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (local.set $q (i32.div_u (local.get $y) (i32.const 10)))
          (local.set $more (i32.gt_u (local.get $y) (i32.const 9)))
          (local.set $y (local.get $q))
          (br_if $digit (local.get $more)))
        (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $more)))
      ;; not that: the copy overwrites the compare's local, so the branch tests the copied value
      (func (export "overwritten_flag") (param $y i32) (param $q i32) (result i32) (local $c i32)
        (loop $again
          (local.set $q (i32.sub (local.get $q) (i32.const 1)))
          (local.set $c (i32.gt_u (local.get $y) (i32.const 9)))
          (local.set $c (local.get $q))
          (br_if $again (local.get $c)))
        (local.get $q))
      (func (export "digits64") (param $y i64) (result i32) (local $n i32) (local $q i64)
        (loop $digit
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (local.set $q (i64.div_u (local.get $y) (i64.const 10)))
          (i64.gt_u (local.get $y) (i64.const 9))
          (local.set $y (local.get $q))
          (br_if $digit))
        (local.get $n))
      (func (export "count_down") (param $n i32) (result i32) (local $i i32) (local $steps i32)
        (local.set $i (local.get $n))
        (loop $again
          (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const -1)))
          (br_if $again (i32.gt_s (local.get $i) (i32.const 0))))
        (local.get $steps))
      (func (export "table_loop") (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (local.set $i (local.get $n))
        (block $out (loop $again
          (local.set $acc (i32.add (local.get $acc) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const -1)))
          (br_table $out $again (i32.gt_s (local.get $i) (i32.const 0)))))
        (local.get $acc))))");
  StoreLimits limits;
  limits.fuel = 1'000'000;
  Store store(engine_, limits);
  Instance instance = Instance::create(store, module, Linker{});
  auto i32 = [&](const char* name, std::vector<Value> args) { return result_of(instance, name, std::move(args)).as_i32(); };
  EXPECT_EQ(i32("scan", {Value::i32(400)}), 402 * 256 + '%');
  EXPECT_EQ(i32("scan", {Value::i32(403)}), 405 * 256);
  EXPECT_EQ(i32("scan", {Value::i32(406)}), 409 * 256);
  EXPECT_EQ(i32("scan", {Value::i32(410)}), 410 * 256 + '%');
  EXPECT_EQ(i32("sum_words", {Value::i32(16)}), 0x04030201 + 0x08070605 + 0x0c0b0a09);
  EXPECT_EQ(i32("sum_words", {Value::i32(28)}), 0);
  Outcome past = instance.call("sum_words", std::vector<Value>{Value::i32(65528)});  // 1, 1, then the end
  ASSERT_TRUE(past.trapped());
  EXPECT_EQ(past.trap.kind, TrapKind::MemoryOutOfBounds);

  const int32_t kMax = 2147483647, kMin = -2147483647 - 1;
  const std::pair<int32_t, int32_t> sums[] = {{0, 5}, {kMax - 7, 7}, {kMax - 7, 8}, {-5, kMax}, {5, kMin}, {-10, kMin}, {kMin, kMin}};
  for (auto [n, len] : sums) {
    const int32_t room = int32_t(uint32_t(kMax) - uint32_t(len));  // wraps like i32.sub
    const int32_t expected = n > room ? -1 : int32_t(uint32_t(n) + uint32_t(len));
    EXPECT_EQ(i32("add_checked", {Value::i32(n), Value::i32(len)}), expected) << n << " " << len;
  }
  for (int32_t a : {0, 5, -1, kMax, kMin}) {
    const uint32_t a1 = uint32_t(a) + 1, b = a1 + 2, c = b - 3;
    EXPECT_EQ(uint32_t(i32("step3", {Value::i32(a)})), a1 * 10000 + b * 100 + c) << a;
  }
  ASSERT_TRUE(instance.call("copy_bytes", std::vector<Value>{Value::i32(100), Value::i32(16), Value::i32(5)}).returned());
  for (int32_t at = 0; at < 6; ++at) EXPECT_EQ(i32("byte", {Value::i32(100 + at)}), at < 5 ? at + 1 : 0) << at;

  const std::pair<uint32_t, uint32_t> words[] = {{0, 0}, {1, 5}, {0x100, 1}, {0xff00, 0}, {0xff0000, 0x100}, {0x1000000, 7}, {0xffffffff, 0xffffffff}};
  for (auto [w, k] : words) {
    ASSERT_TRUE(instance.call("put", std::vector<Value>{Value::i32(300), Value::i32(int32_t(w))}).returned());
    ASSERT_TRUE(instance.call("put", std::vector<Value>{Value::i32(304), Value::i32(int32_t(k))}).returned());
    const uint32_t path = (w != 0 ? 1 : 0) + (((w >> 8) & 0xff) == 0 ? 10 : 0) + (((w >> 16) & 0xff) == 0 ? 100 : 0) +
                          (k == 0 ? 1000 : 0) + ((w >> 24) != 0 ? 10000 : 0);
    EXPECT_EQ(uint32_t(i32("load_tests", {Value::i32(300)})), path * 65536 + (w & 0xff) + (k & 0xff)) << w << " " << k;
  }
  Outcome beyond = instance.call("load_tests", std::vector<Value>{Value::i32(65532)});  // the kept load is past the end
  ASSERT_TRUE(beyond.trapped());
  EXPECT_EQ(beyond.trap.kind, TrapKind::MemoryOutOfBounds);

  auto fuel_of = [&](const char* name, int32_t n, int32_t expected) {
    const uint64_t before = store.fuel_consumed();
    EXPECT_EQ(i32(name, {Value::i32(n)}), expected) << name << " " << n;
    return store.fuel_consumed() - before;
  };
  // sum_words: entry 1 + 6 (to the loop's local.get after it); the loop 1 + 15, entered once and 3 back-edges.
  EXPECT_EQ(fuel_of("sum_words", 16, 0x04030201 + 0x08070605 + 0x0c0b0a09), 7u + 4u * 16u);
  for (uint32_t y : {0u, 9u, 10u, 99u, 100u, 4294967295u}) {
    const uint64_t before = store.fuel_consumed();
    const int32_t digits = int32_t(std::to_string(y).size());
    EXPECT_EQ(i32("digits32", {Value::i32(int32_t(y))}), digits) << y;
    // entry 1 + 2 (loop, local.get); the loop 1 + 14 per digit
    EXPECT_EQ(store.fuel_consumed() - before, 3u + 15u * uint64_t(digits)) << y;
    EXPECT_EQ(i32("digits32_kept", {Value::i32(int32_t(y))}), digits * 10) << y;  // the flag ends 0
  }
  EXPECT_EQ(i32("overwritten_flag", {Value::i32(0), Value::i32(5)}), 0);  // runs until q is 0
  for (uint64_t y : {uint64_t(0), uint64_t(10), uint64_t(4294967296u), uint64_t(18446744073709551615u)}) {
    EXPECT_EQ(i32("digits64", {Value::i64(int64_t(y))}), int32_t(std::to_string(y).size())) << y;
  }
  // count_down: entry 1 + 4 (local.get, local.set, loop, local.get); the loop 1 + 12, n times (once for n = 0).
  EXPECT_EQ(fuel_of("count_down", 3, 3), 5u + 3u * 13u);
  EXPECT_EQ(fuel_of("count_down", 0, 1), 5u + 13u);
  // table_loop: entry 1 + 5 (the block too); the loop 1 + 12, n times, re-entered by the br_table.
  EXPECT_EQ(fuel_of("table_loop", 4, 10), 6u + 4u * 13u);
  EXPECT_EQ(fuel_of("table_loop", 1, 1), 6u + 13u);
}

// A counted loop's step and test run as one instruction (step_loop.def):
// every comparison, with the stepped counter on either side or a constant,
// stepped by a constant or by a local, at the edges of signed and unsigned
// ranges; each loop's result is its iteration count, checked against the
// loop run here. Fuel per iteration stays the cost model's.
TEST_F(FastInterp, CountedLoopsFusedWithTheirTestKeepWasmSemantics) {
  struct Comparison {
    const char* name;
    bool (*holds)(uint64_t a, uint64_t b, bool wide);
  };
  static const Comparison comparisons[] = {
      {"eq", [](uint64_t a, uint64_t b, bool) { return a == b; }},
      {"ne", [](uint64_t a, uint64_t b, bool) { return a != b; }},
      {"lt_s", [](uint64_t a, uint64_t b, bool w) { return (w ? int64_t(a) : int32_t(a)) < (w ? int64_t(b) : int32_t(b)); }},
      {"lt_u", [](uint64_t a, uint64_t b, bool) { return a < b; }},
      {"gt_s", [](uint64_t a, uint64_t b, bool w) { return (w ? int64_t(a) : int32_t(a)) > (w ? int64_t(b) : int32_t(b)); }},
      {"gt_u", [](uint64_t a, uint64_t b, bool) { return a > b; }},
      {"le_s", [](uint64_t a, uint64_t b, bool w) { return (w ? int64_t(a) : int32_t(a)) <= (w ? int64_t(b) : int32_t(b)); }},
      {"le_u", [](uint64_t a, uint64_t b, bool) { return a <= b; }},
      {"ge_s", [](uint64_t a, uint64_t b, bool w) { return (w ? int64_t(a) : int32_t(a)) >= (w ? int64_t(b) : int32_t(b)); }},
      {"ge_u", [](uint64_t a, uint64_t b, bool) { return a >= b; }},
  };
  // (form, counter side): the test as `cmp(i, n)`, `cmp(n, i)` or `cmp(i, 7)`.
  const char* const forms[] = {"(T.CMP (local.tee $i STEP) (local.get $n))", "(T.CMP (local.get $n) (local.tee $i STEP))",
                               "(T.CMP (local.tee $i STEP) (T.const 7))"};
  const char* const steps[] = {"(T.add (local.get $i) (T.const 3))", "(T.add (local.get $i) (local.get $s))"};
  auto replace = [](std::string text, const std::string& from, const std::string& to) {
    for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
    return text;
  };
  std::string wat = "(module\n";
  for (const char* type : {"i32", "i64"})
    for (const Comparison& c : comparisons)
      for (size_t f = 0; f < 3; ++f)
        for (size_t st = 0; st < 2; ++st) {
          std::string body = replace(replace(replace(forms[f], "STEP", steps[st]), "CMP", c.name), "T", type);
          wat += fmt::format(
              "(func (export \"{0}_{1}_{2}_{3}\") (param $i {0}) (param $s {0}) (param $n {0}) (result i32)\n"
              "  (local $count i32)\n"
              "  (loop $again\n"
              // (an i32.sub, so that no i32.add of a constant merges with the step)
              "    (local.set $count (i32.sub (local.get $count) (i32.const -1)))\n"
              "    (br_if $again {4}))\n"
              "  (local.get $count))\n",
              type, c.name, f, st, body);
        }
  wat += ")";
  Module module = compile(wat);
  const int64_t starts[] = {0, 5, -5, 2147483640, -2147483647, 4294967290, 9223372036854775800};
  const int64_t strides[] = {1, 3, -1, -3};
  const int64_t limits[] = {0, 7, 20, -20, 2147483647, 4294967295};
  size_t checked = 0;
  for (const bool wide : {false, true}) {
    const uint64_t mask = wide ? ~uint64_t(0) : 0xffffffffu;
    for (const Comparison& c : comparisons)
      for (size_t f = 0; f < 3; ++f)
        for (size_t st = 0; st < 2; ++st) {
          const std::string name = fmt::format("{}_{}_{}_{}", wide ? "i64" : "i32", c.name, f, st);
          for (int64_t start : starts)
            for (int64_t stride : st == 0 ? std::vector<int64_t>{3} : std::vector<int64_t>(std::begin(strides), std::end(strides)))
              for (int64_t limit : limits) {
                // The loop run here; left out if it would run long.
                uint64_t i = uint64_t(start) & mask, n = f == 2 ? 7 : uint64_t(limit) & mask;
                uint32_t count = 0;
                bool again = true;
                while (again && count <= 64) {
                  ++count;
                  i = (i + uint64_t(stride)) & mask;
                  again = f == 1 ? c.holds(n, i, wide) : c.holds(i, n, wide);
                }
                if (again) continue;
                auto arg = [&](int64_t v) { return wide ? Value::i64(v) : Value::i32(int32_t(v)); };
                StoreLimits fuel;  // a loop that runs on by mistake fails instead of hanging
                fuel.fuel = 100'000;
                Store store(engine_, fuel);
                Instance instance = Instance::create(store, module, Linker{});
                std::vector<Value> args = {arg(start), arg(stride), arg(limit)};
                Outcome o = instance.call(name, args);
                ASSERT_TRUE(o.returned()) << name << ": " << o.trap.to_string();
                EXPECT_EQ(uint32_t(o.results.at(0).as_i32()), count)
                    << name << " from " << start << " by " << stride << " to " << limit;
                ++checked;
              }
        }
  }
  EXPECT_GT(checked, 1000u);

  // Fuel: one more iteration costs 1 + the loop body's 11 instructions.
  auto fuel_of = [&](int32_t limit) {
    StoreLimits fuel;
    fuel.fuel = 1'000'000;
    Store store(engine_, fuel);
    Instance instance = Instance::create(store, module, Linker{});
    std::vector<Value> args = {Value::i32(0), Value::i32(1), Value::i32(limit)};
    EXPECT_TRUE(instance.call("i32_lt_s_0_1", args).returned());
    return store.fuel_consumed();
  };
  EXPECT_EQ(fuel_of(10) - fuel_of(9), 12u);
}

// `a[i]` for an array at a fixed address, `(i << k) + c` then a load, is
// one scaled-index load: the shift count is taken mod 32, the sum wraps at
// 32 bits before the offset is added, and the bounds stay exact.
TEST_F(FastInterp, ScaledIndexLoadsKeepWasmSemantics) {
  Module module = compile(R"((module (memory 1)
      (data (i32.const 64) "\01\02\03\04\05\06\07\08\f9\fa\fb\fc\fd\fe\ff\80")
      (func $i32_at (export "i32_at") (param i32) (result i32)
        (i32.load (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 64))))
      (func (export "i64_at") (param i32) (result i64)
        (i64.load offset=8 (i32.add (i32.shl (local.get 0) (i32.const 35)) (i32.const 56))))
      (func (export "s8_at") (param i32) (result i32)
        (i32.load8_s (i32.add (i32.shl (local.get 0) (i32.const 0)) (i32.const 64))))
      (func (export "kept") (param i32) (result i32) (local $t i32)
        ;; the shifted value is also kept in a local: not fused, same result
        (i32.load (i32.add (local.tee $t (i32.shl (local.get 0) (i32.const 2))) (i32.const 64)))
        (local.get $t)
        (i32.add))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto call = [&](const char* name, int32_t arg) {
    std::vector<Value> args = {Value::i32(arg)};
    return instance.call(name, args);
  };
  EXPECT_EQ(call("i32_at", 1).results.at(0).as_i32(), 0x08070605);
  // (0x40000001 << 2) + 64 wraps to 68.
  EXPECT_EQ(call("i32_at", 0x40000001).results.at(0).as_i32(), 0x08070605);
  // The shift by 35 is a shift by 3: (1 << 3) + 56 + 8 = 72.
  EXPECT_EQ(call("i64_at", 1).results.at(0).as_i64(), int64_t(0x80fffefdfcfbfaf9));
  EXPECT_EQ(call("s8_at", 15).results.at(0).as_i32(), -128);
  EXPECT_EQ(call("kept", 1).results.at(0).as_i32(), 0x08070605 + 4);
  Outcome oob = call("i32_at", 16367);  // 16367 * 4 + 64 = 65532: the last 4 bytes
  ASSERT_TRUE(oob.returned()) << oob.trap.to_string();
  oob = call("i32_at", 16368);
  ASSERT_TRUE(oob.trapped());
  EXPECT_EQ(oob.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(oob.trap.function, "i32_at");
}

// `c[j] += a * b[j]` runs as one instruction (MUL_ADD_STORE in
// memory_ops.def). Each shape is checked against the same computation with
// the product passed through a local, which is never fused: the stored bits
// (NaN payloads included) and the traps (which address is named) must be
// the same.
TEST_F(FastInterp, ProductsAddedToMemoryKeepWasmSemantics) {
  auto shapes = [](const char* t, const char* i) {
    return fmt::format(R"(
      ;; the product of a slot and a load, added where it is stored back
      (func (export "{0}_m") (param $c i32) (param $b i32) (param $a {0})
        ({0}.store offset=8 (local.get $c)
          ({0}.add ({0}.mul (local.get $a) ({0}.load offset=4 (local.get $b))) ({0}.load offset=8 (local.get $c)))))
      (func (export "{0}_m_ref") (param $c i32) (param $b i32) (param $a {0}) (local $p {0})
        (local.set $p ({0}.mul (local.get $a) ({0}.load offset=4 (local.get $b))))
        ({0}.store offset=8 (local.get $c) ({0}.add (local.get $p) ({0}.load offset=8 (local.get $c)))))
      ;; the product of two slots
      (func (export "{0}_rr") (param $c i32) (param $b {0}) (param $a {0})
        ({0}.store (local.get $c) ({0}.add ({0}.mul (local.get $b) (local.get $a)) ({0}.load (local.get $c)))))
      (func (export "{0}_rr_ref") (param $c i32) (param $b {0}) (param $a {0}) (local $p {0})
        (local.set $p ({0}.mul (local.get $b) (local.get $a)))
        ({0}.store (local.get $c) ({0}.add (local.get $p) ({0}.load (local.get $c)))))
      ;; the product also kept in a local: it must be written there too
      (func (export "{0}_kept") (param $c i32) (param $b {0}) (param $a {0}) (result {0}) (local $p {0})
        ({0}.store (local.get $c) ({0}.add (local.tee $p ({0}.mul (local.get $b) (local.get $a))) ({0}.load (local.get $c))))
        (local.get $p))
      ;; the product made just before a block's end, which a branch carrying $b reaches too
      (func (export "{0}_label") (param $c i32) (param $b {0}) (param $a {0}) (param $skip i32)
        ({0}.store (local.get $c)
          ({0}.add (block (result {0}) (drop (br_if 0 (local.get $b) (local.get $skip))) ({0}.mul (local.get $b) (local.get $a)))
                   ({0}.load (local.get $c)))))
      (func (export "{0}_bits") (param $at i32) (result {1}) ({1}.load (local.get $at)))
      (func (export "{0}_put") (param $at i32) (param $v {1}) ({1}.store (local.get $at) (local.get $v))))",
                       t, i);
  };
  Module module = compile("(module (memory 1)" + shapes("f64", "i64") + shapes("f32", "i32") + ")");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  const std::vector<uint64_t> f64s = {0x3ff8000000000000, 0xc00c000000000000, 0x7ff4000000000001 /* sNaN, payload */,
                                      0xfff8000000000123, 0x7ff0000000000000, 0x0000000000000001, 0x8000000000000000,
                                      0x7fefffffffffffff};
  const std::vector<uint64_t> f32s = {0x3fc00000, 0xc0600000, 0x7fa00001, 0xffc00123, 0x7f800000, 0x00000001, 0x80000000,
                                      0x7f7fffff};
  for (const char* t : {"f64", "f32"}) {
    const bool wide = t[1] == '6';
    const std::vector<uint64_t>& values = wide ? f64s : f32s;
    auto value = [&](uint64_t bits) { return wide ? Value::f64(std::bit_cast<double>(bits)) : Value::f32(std::bit_cast<float>(uint32_t(bits))); };
    auto put = [&](int32_t at, uint64_t bits) {
      std::vector<Value> args = {Value::i32(at), wide ? Value::i64(int64_t(bits)) : Value::i32(int32_t(bits))};
      ASSERT_TRUE(instance.call(std::string(t) + "_put", args).returned());
    };
    auto bits = [&](int32_t at) {
      std::vector<Value> args = {Value::i32(at)};
      Outcome o = instance.call(std::string(t) + "_bits", args);
      return wide ? uint64_t(o.results.at(0).as_i64()) : uint64_t(uint32_t(o.results.at(0).as_i32()));
    };
    // Runs `name` and `name_ref` from the same memory; both must store the same bits.
    auto same = [&](const std::string& name, uint64_t c, uint64_t b, uint64_t a, bool b_in_memory) {
      uint64_t got[2];
      for (int ref = 0; ref < 2; ++ref) {
        put(1000, c);
        put(b_in_memory ? 2004 : 3000, b);
        std::vector<Value> args = {Value::i32(b_in_memory ? 992 : 1000),
                                   b_in_memory ? Value::i32(2000) : value(b), value(a)};
        Outcome o = instance.call(name + (ref ? "_ref" : ""), args);
        ASSERT_TRUE(o.returned()) << name << ": " << o.trap.to_string();
        got[ref] = bits(1000);
      }
      EXPECT_EQ(got[0], got[1]) << name << " c=" << std::hex << c << " b=" << b << " a=" << a;
    };
    for (uint64_t c : values)
      for (uint64_t b : values)
        for (uint64_t a : {values[0], values[2], values[4], values[6]}) {
          same(std::string(t) + "_m", c, b, a, true);
          same(std::string(t) + "_rr", c, b, a, false);
        }
    // 1.5 * -3.5 + 1.5 = -3.75, also through a kept local (which then holds
    // the product, -5.25) and before a label; with the branch taken, 1.5 + 1.5.
    for (const char* shape : {"_kept", "_label", "_label_skip"}) {
      const bool skip = shape == std::string("_label_skip");
      put(1000, values[0]);
      std::vector<Value> args = {Value::i32(1000), value(values[0]), value(values[1])};
      if (shape != std::string("_kept")) args.push_back(Value::i32(skip));
      Outcome o = instance.call(std::string(t) + (skip ? "_label" : shape), args);
      ASSERT_TRUE(o.returned()) << o.trap.to_string();
      EXPECT_EQ(bits(1000), skip ? (wide ? 0x4008000000000000 : 0x40400000) : (wide ? 0xc00e000000000000 : 0xc0700000))
          << t << shape;
      if (shape == std::string("_kept"))
        EXPECT_EQ(wide ? std::bit_cast<uint64_t>(o.results.at(0).as_f64()) : std::bit_cast<uint32_t>(o.results.at(0).as_f32()),
                  wide ? 0xc015000000000000 : 0xc0a80000);
    }
    // Out of bounds: b's address alone, c's alone, and both (b is read first).
    const int32_t size = 4 * wide + 4;
    for (auto [c, b] : {std::pair{0, 65536 - 4 - size + 1}, std::pair{65536 - 8 - size + 1, 0},
                        std::pair{65536 - 8 - size + 1, 65536 - 4 - size + 1}}) {
      std::string message[2];
      for (int ref = 0; ref < 2; ++ref) {
        std::vector<Value> args = {Value::i32(c), Value::i32(b), value(values[0])};
        Outcome o = instance.call(std::string(t) + (ref ? "_m_ref" : "_m"), args);
        ASSERT_TRUE(o.trapped()) << t << " c=" << c << " b=" << b;
        EXPECT_EQ(o.trap.kind, TrapKind::MemoryOutOfBounds);
        message[ref] = o.trap.message;
      }
      EXPECT_EQ(message[0], message[1]) << t << " c=" << c << " b=" << b;
    }
  }
}

// An i32.add whose result is copied right after (`local.tee x; local.set y`)
// writes both slots itself (i32_add_copy, i32_add_ri_copy), unless a branch
// lands between the two.
TEST_F(FastInterp, AddsWhoseResultIsCopiedWriteBothSlots) {
  Module module = compile(R"((module
      (func (export "tee_set") (param $a i32) (param $b i32) (result i64) (local $x i32) (local $y i32)
        (local.set $y (local.tee $x (i32.add (local.get $a) (local.get $b))))
        (i64.or (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 32)) (i64.extend_i32_u (local.get $y))))
      (func (export "tee_set_ri") (param $a i32) (result i64) (local $x i32) (local $y i32)
        (local.set $y (local.tee $x (i32.add (local.get $a) (i32.const -3))))
        (i64.or (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 32)) (i64.extend_i32_u (local.get $y))))
      ;; the copy goes into the add's own operand
      (func (export "into_operand") (param $a i32) (result i32) (local $x i32)
        (local.set $a (local.tee $x (i32.add (local.get $a) (i32.const 1))))
        (i32.add (i32.mul (local.get $a) (i32.const 1000)) (local.get $x)))
      ;; the block's end is a branch target between the add and the copy
      (func (export "label_between") (param $a i32) (param $skip i32) (result i32) (local $x i32) (local $y i32)
        (local.set $y (i32.const 77))
        (block $b
          (br_if $b (local.get $skip))
          (local.set $x (i32.add (local.get $a) (i32.const 5))))
        (local.set $y (local.get $x))
        (local.get $y))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto call = [&](const char* name, std::vector<Value> args) { return result_of(instance, name, std::move(args)); };
  // 0xffffffff + 2 wraps to 1 in both slots, with nothing in the high half.
  EXPECT_EQ(call("tee_set", {Value::i32(-1), Value::i32(2)}).as_i64(), 0x0000000100000001);
  EXPECT_EQ(call("tee_set", {Value::i32(40), Value::i32(2)}).as_i64(), 0x0000002a0000002a);
  EXPECT_EQ(call("tee_set_ri", {Value::i32(1)}).as_i64(), int64_t(0xfffffffefffffffe));
  EXPECT_EQ(call("into_operand", {Value::i32(41)}).as_i32(), 42 * 1000 + 42);
  EXPECT_EQ(call("label_between", {Value::i32(10), Value::i32(0)}).as_i32(), 15);
  EXPECT_EQ(call("label_between", {Value::i32(10), Value::i32(1)}).as_i32(), 0);  // x was never set
}

// Consecutive copies run as one instruction of up to four (copy2, copy3,
// copy4), in their order: each rotation here moves a value through a
// temporary, so a copy run out of order loses one.
TEST_F(FastInterp, RunsOfCopiesKeepTheirOrder) {
  std::string funcs;
  for (int count = 2; count <= 9; ++count) {  // rotate `count` locals through a temporary: count + 1 copies
    std::string f = fmt::format("(func (export \"rotate{}\") (param $n i32) (result i64) (local $t i64)", count);
    for (int i = 0; i < count; ++i) f += " (local i64)";
    for (int i = 0; i < count; ++i) f += fmt::format(" (local.set {} (i64.const {}))", i + 2, i + 1);
    f += " (loop $l (local.set $t (local.get 2))";
    for (int i = 0; i + 1 < count; ++i) f += fmt::format(" (local.set {} (local.get {}))", i + 2, i + 3);
    f += fmt::format(" (local.set {} (local.get $t))", count + 1);
    f += " (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))";
    std::string digits = "(i64.const 0)";
    for (int i = 0; i < count; ++i) digits = fmt::format("(i64.add (i64.mul {} (i64.const 10)) (local.get {}))", digits, i + 2);
    funcs += f + " " + digits + ")\n";
  }
  Module module = compile("(module " + funcs + ")");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  for (int count = 2; count <= 9; ++count)
    for (int rounds : {1, 2, 5}) {
      std::vector<int64_t> v(count);
      for (int i = 0; i < count; ++i) v[i] = i + 1;
      for (int r = 0; r < rounds; ++r) std::rotate(v.begin(), v.begin() + 1, v.end());
      int64_t expected = 0;
      for (int64_t d : v) expected = expected * 10 + d;
      std::vector<Value> args = {Value::i32(rounds)};
      Outcome o = instance.call(fmt::format("rotate{}", count), args);
      ASSERT_TRUE(o.returned()) << o.trap.to_string();
      EXPECT_EQ(o.results.at(0).as_i64(), expected) << count << " locals, " << rounds << " rounds";
    }
}

// i32.div_u and i32.rem_u by a constant (and a digit loop's i64 quotient
// and remainder) run as a multiplication (reciprocal_division.h): exact
// for every dividend and divisor, checked
// directly over edge and random values, then through the interpreter;
// division by 0 still traps and by 1 still divides.
TEST_F(FastInterp, DivisionByAConstantIsExact) {
  using detail::fast::divide_by, detail::fast::remainder_by, detail::fast::reciprocal_of;
  const std::vector<uint32_t> divisors = {2, 3, 5, 7, 10, 11, 641, 6700417, 0x7fffffff, 0x80000000, 0x80000001,
                                          0xfffffffe, 0xffffffff};
  std::mt19937 rng(20261204);
  auto dividends = [&](uint32_t d) {
    std::vector<uint32_t> n = {0, 1, d - 1, d, d + 1, 2 * d - 1, 2 * d, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe};
    for (uint32_t k = 1; k < 64; ++k) n.push_back(uint32_t(uint64_t(0xffffffff) / d * d - k));
    for (int i = 0; i < 2000; ++i) n.push_back(uint32_t(rng()));
    return n;
  };
  for (int i = 0; i < 20000; ++i) {  // random divisors too
    const uint32_t d = std::max<uint32_t>(2, uint32_t(rng()) >> (rng() % 32)), n = uint32_t(rng());
    ASSERT_EQ(divide_by(n, reciprocal_of(d)), n / d) << n << " / " << d;
    ASSERT_EQ(remainder_by(n, reciprocal_of(d), d), n % d) << n << " % " << d;
  }
  for (uint32_t d : divisors)
    for (uint32_t n : dividends(d)) {
      ASSERT_EQ(divide_by(n, reciprocal_of(d)), n / d) << n << " / " << d;
      ASSERT_EQ(remainder_by(n, reciprocal_of(d), d), n % d) << n << " % " << d;
    }
  // 64-bit dividends (i64_divrem_u_ri): edge and random divisors and dividends.
  using detail::fast::divide64_by, detail::fast::reciprocal64_of;
  std::vector<uint64_t> divisors64 = {2, 3, 7, 10, 641, 6700417, 0xffffffff, 0x100000000, 0x100000001, 1ull << 63,
                                      (1ull << 63) + 1, UINT64_MAX - 1, UINT64_MAX};
  for (int i = 0; i < 200; ++i) divisors64.push_back(std::max<uint64_t>(2, (uint64_t(rng()) << 32 | rng()) >> (rng() % 64)));
  for (uint64_t d : divisors64) {
    const auto [m, shift] = reciprocal64_of(d);
    std::vector<uint64_t> n = {0, 1, d - 1, d, d + 1, UINT64_MAX, UINT64_MAX - 1, UINT64_MAX / d * d, UINT64_MAX / d * d - 1,
                               1ull << 63, 42949672959, 9999999999999999999ull};
    for (int i = 0; i < 500; ++i) n.push_back(uint64_t(rng()) << 32 | rng());
    for (uint64_t x : n) ASSERT_EQ(divide64_by(x, m, shift), x / d) << x << " / " << d;
  }

  std::string wat = "(module";
  for (uint32_t d : divisors)
    wat += fmt::format(R"( (func (export "div{0}") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const {0})))
        (func (export "rem{0}") (param i32) (result i32) (i32.rem_u (local.get 0) (i32.const {0}))))", d);
  wat += R"( (func (export "div1") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 1)))
      (func (export "rem0") (param i32) (result i32) (i32.rem_u (local.get 0) (i32.const 0)))))";
  Module module = compile(wat);
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto u32 = [&](const std::string& name, uint32_t n) {
    return uint32_t(result_of(instance, name, {Value::i32(int32_t(n))}).as_i32());
  };
  for (uint32_t d : divisors)
    for (uint32_t n : dividends(d)) {
      ASSERT_EQ(u32(fmt::format("div{}", d), n), n / d) << n << " / " << d;
      ASSERT_EQ(u32(fmt::format("rem{}", d), n), n % d) << n << " % " << d;
    }
  EXPECT_EQ(u32("div1", 0xfffffff7), 0xfffffff7u);
  std::vector<Value> args = {Value::i32(5)};
  Outcome zero = instance.call("rem0", args);
  ASSERT_TRUE(zero.trapped());
  EXPECT_EQ(zero.trap.kind, TrapKind::IntegerDivideByZero);
}

// The remainder idiom `y - (q = y / d) * d` is one instruction writing the
// quotient's local and the remainder; LLVM often reuses q's local for the
// remainder, and a return puts it in slot 0 (a parameter's): the remainder
// must be what stays there.
TEST_F(FastInterp, ARemainderWrittenOverItsOwnQuotientIsTheRemainder) {
  Module module = compile(R"((module
    (func (export "set32") (param $a i32) (result i32) (local $q i32)
      (local.set $q (i32.sub (local.get $a) (i32.mul (local.tee $q (i32.div_u (local.get $a) (i32.const 10))) (i32.const 10))))
      (local.get $q))
    (func (export "set64") (param $a i64) (result i64) (local $q i64)
      (local.set $q (i64.sub (local.get $a) (i64.mul (local.tee $q (i64.div_u (local.get $a) (i64.const 10))) (i64.const 10))))
      (local.get $q))
    (func (export "ret32") (param $q i32) (param $a i32) (result i32)
      (i32.sub (local.get $a) (i32.mul (local.tee $q (i32.div_u (local.get $a) (i32.const 10))) (i32.const 10))))
    (func (export "ret64") (param $q i64) (param $a i64) (result i64)
      (i64.sub (local.get $a) (i64.mul (local.tee $q (i64.div_u (local.get $a) (i64.const 10))) (i64.const 10))))
    (func (export "tee32") (param $y i32) (result i32) (local $q i32)
      (i32.add (local.tee $q (i32.sub (local.get $y) (i32.mul (local.tee $q (i32.div_u (local.get $y) (i32.const 10))) (i32.const 10))))
               (i32.mul (local.get $q) (i32.const 100))))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  EXPECT_EQ(result_of(instance, "set32", {Value::i32(123)}).as_i32(), 3);
  EXPECT_EQ(result_of(instance, "set64", {Value::i64(123)}).as_i64(), 3);
  EXPECT_EQ(result_of(instance, "ret32", {Value::i32(0), Value::i32(123)}).as_i32(), 3);
  EXPECT_EQ(result_of(instance, "ret64", {Value::i64(0), Value::i64(123)}).as_i64(), 3);
  EXPECT_EQ(result_of(instance, "tee32", {Value::i32(123)}).as_i32(), 303);
}

// A call zeroes only the locals its function may read before writing them
// (zeroed_locals.h). Each case runs right after $dirty filled the same
// frame slots with ones, so a local wrongly left alone shows as nonzero.
TEST_F(FastInterp, LocalsReadBeforeWrittenOnAnyPathStartAtZero) {
  std::string dirty = "(func $dirty (param i32)";
  for (int i = 0; i < 24; ++i) dirty += " (local i64)";
  for (int i = 1; i <= 24; ++i) dirty += " (local.set " + std::to_string(i) + " (i64.const -1))";
  dirty += ")\n";
  std::string wide = "(func $wide (param i32) (result i32)";  // more locals than the analysis tracks
  for (uint32_t i = 0; i < detail::fast::ZeroedLocals::kMaxTracked + 8; ++i) wide += " (local i32)";
  wide += " (local.set 3 (i32.const 9)) (i32.add (local.get 3) (local.get 5)))\n";
  const std::string cases = R"(
      ;; each returns what it read: 0 where wasm says a local is still zero
      (func $at_entry (param i32) (result i32) (local i32) (local.get 1))
      (func $if_without_else (param i32) (result i32) (local i32)
        (if (local.get 0) (then (local.set 1 (i32.const 7))))
        (local.get 1))
      (func $branch_past_write (param i32) (result i32) (local i32)
        (block $b (br_if $b (local.get 0)) (local.set 1 (i32.const 7)))
        (local.get 1))
      (func $table_past_write (param i32) (result i32) (local i32)
        (block $b (block $c (br_table $c $b (local.get 0))) (local.set 1 (i32.const 7)))
        (local.get 1))
      (func $loop_exit_before_write (param i32) (result i32) (local i32) (local i32)
        (block $out (loop $again
          (br_if $out (i32.eq (local.get 2) (local.get 0)))
          (local.set 1 (i32.const 7))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br $again)))
        (local.get 1))
      (func $both_arms (param i32) (result i32) (local i32)
        (if (local.get 0) (then (local.set 1 (i32.const 7))) (else (local.set 1 (i32.const 8))))
        (local.get 1))
      (func $written_first (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 5))
        (block $b (br_if $b (local.get 0)))
        (local.get 1))
      (func $elided_zero (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 0))
        (local.get 1))
      (func $v128 (param i32) (result i32) (local v128)
        (if (local.get 0) (then (local.set 1 (v128.const i64x2 3 3))))
        (i32.or (i32.wrap_i64 (i64x2.extract_lane 0 (local.get 1))) (i32.wrap_i64 (i64x2.extract_lane 1 (local.get 1)))))
      (func $dead_write_after_return (param i32) (result i32) (local i32)
        (block $b (br_if $b (local.get 0)) (return (i32.const 100)) (local.set 1 (i32.const 7)))
        (local.get 1))
      ;; a tail call enters $if_without_else at its start, as the run's first function does
      (func $tail (param i32) (result i32) (return_call $if_without_else (local.get 0)))
      (func (export "dirty") (param i32) (call $dirty (local.get 0)))
      (func (export "entered_directly") (param i32) (result i32) (local i32) (local.get 1))
  )";
  std::string drivers;
  for (const char* name : {"at_entry", "if_without_else", "branch_past_write", "table_past_write",
                           "loop_exit_before_write", "both_arms", "written_first", "elided_zero", "v128",
                           "dead_write_after_return", "wide", "tail"})
    drivers += fmt::format("(func (export \"{0}\") (param i32) (result i32) (call $dirty (local.get 0)) (call ${0} (local.get 0)))\n", name);
  Module module = compile("(module " + dirty + wide + cases + drivers + ")");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto call = [&](const char* name, int32_t arg) {
    std::vector<Value> args = {Value::i32(arg)};
    Outcome o = instance.call(name, args);
    EXPECT_TRUE(o.returned()) << name << ": " << o.trap.to_string();
    return o.returned() ? o.results.at(0).as_i32() : -12345;
  };
  EXPECT_EQ(call("at_entry", 0), 0);
  EXPECT_EQ(call("if_without_else", 0), 0);
  EXPECT_EQ(call("if_without_else", 1), 7);
  EXPECT_EQ(call("branch_past_write", 1), 0);
  EXPECT_EQ(call("branch_past_write", 0), 7);
  EXPECT_EQ(call("table_past_write", 1), 0);
  EXPECT_EQ(call("table_past_write", 0), 7);
  EXPECT_EQ(call("loop_exit_before_write", 0), 0);
  EXPECT_EQ(call("loop_exit_before_write", 3), 7);
  EXPECT_EQ(call("both_arms", 0), 8);
  EXPECT_EQ(call("both_arms", 1), 7);
  EXPECT_EQ(call("written_first", 1), 5);
  EXPECT_EQ(call("elided_zero", 0), 0);
  EXPECT_EQ(call("v128", 0), 0);
  EXPECT_EQ(call("v128", 1), 3);
  EXPECT_EQ(call("dead_write_after_return", 1), 0);
  EXPECT_EQ(call("wide", 0), 9);
  EXPECT_EQ(call("tail", 0), 0);
  EXPECT_EQ(call("tail", 1), 7);
  ASSERT_TRUE(instance.call("dirty", std::vector<Value>{Value::i32(0x55)}).returned());  // its callee's frame starts at slot 1
  EXPECT_EQ(call("entered_directly", 0), 0);
}

// The analysis itself: which locals it leaves to the call to zero.
TEST(ZeroedLocals, MarksOnlyLocalsSomePathReadsBeforeWriting) {
  using detail::fast::ZeroedLocals;
  ZeroedLocals z(0, 4);
  z.write(0);        // written first: not zeroed
  z.read(0);
  z.enter(false);    // block
  z.write(1);
  z.branch(0);       // to the block's end with 1 written
  z.leave(false, false);
  z.read(1);         // every path wrote it
  z.enter(false);    // if without else: 2 written on one arm only
  z.write(2);
  z.leave(true, true);
  z.read(2);
  z.enter(true);     // a loop: 3 read in it before the write below
  z.read(3);
  z.write(3);
  z.branch(0);       // back-edge: no effect
  z.leave(true, false);
  EXPECT_FALSE(z.must_zero(0));
  EXPECT_FALSE(z.must_zero(1));
  EXPECT_TRUE(z.must_zero(2));
  EXPECT_TRUE(z.must_zero(3));
  ZeroedLocals untracked(0, ZeroedLocals::kMaxTracked + 1);
  untracked.write(0);
  untracked.read(0);
  EXPECT_TRUE(untracked.must_zero(0));
}

// i32.wrap_i64 is dropped where its consumer reads only the low half of a
// slot: high bits of the i64 must never show through.
TEST_F(FastInterp, DroppedWrapsNeverShowTheHighHalf) {
  Module module = compile(R"((module (memory 1)
      (data (i32.const 0) "\0a\0b\0c\0d")
      (func (export "branch_on") (param i64) (result i32)
        (block $taken (br_if $taken (i32.wrap_i64 (local.get 0))) (return (i32.const 0)))
        (i32.const 1))
      (func (export "eqz") (param i64) (result i32) (i32.eqz (i32.wrap_i64 (local.get 0))))
      (func (export "add") (param i64) (result i32) (i32.add (i32.wrap_i64 (local.get 0)) (i32.const 1)))
      (func (export "extend") (param i64) (result i64) (i64.extend_i32_u (i32.wrap_i64 (local.get 0))))
      (func (export "extend_s") (param i64) (result i64) (i64.extend_i32_s (i32.wrap_i64 (local.get 0))))
      (func (export "load") (param i64) (result i32) (i32.load8_u (i32.wrap_i64 (local.get 0))))
      (func (export "load_rr") (param i64 i32) (result i32)
        (i32.load8_u (i32.add (i32.wrap_i64 (local.get 0)) (local.get 1))))
      (func (export "store") (param i64) (result i32)
        (i32.store (i32.const 8) (i32.wrap_i64 (local.get 0)))
        (i32.store (i32.wrap_i64 (local.get 0)) (i32.const 0))
        (i32.load (i32.const 8)))
      (func (export "table") (param i64) (result i32)
        (block $two (block $one (block $zero
          (br_table $zero $one $two (i32.wrap_i64 (local.get 0))))
          (return (i32.const 10)))
          (return (i32.const 11)))
        (i32.const 12))
      (func (export "kept") (param i64) (result i32) (local $w i32)
        (local.set $w (i32.wrap_i64 (local.get 0)))
        (i32.wrap_i64 (i64.add (i64.extend_i32_u (local.get $w)) (i64.const 0))))
      (func (export "returned") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))))");
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  auto call = [&](const char* name, std::vector<Value> args) { return result_of(instance, name, std::move(args)); };
  const int64_t high = int64_t(0x1234567800000000);
  EXPECT_EQ(call("branch_on", {Value::i64(high)}).as_i32(), 0);
  EXPECT_EQ(call("branch_on", {Value::i64(high + 2)}).as_i32(), 1);
  EXPECT_EQ(call("eqz", {Value::i64(high)}).as_i32(), 1);
  EXPECT_EQ(call("add", {Value::i64(high | 0xffffffff)}).as_i32(), 0);
  EXPECT_EQ(call("extend", {Value::i64(high | 0x80000001)}).as_i64(), int64_t(0x80000001));
  EXPECT_EQ(call("extend_s", {Value::i64(high | 0x80000001)}).as_i64(), int64_t(int32_t(0x80000001)));
  EXPECT_EQ(call("load", {Value::i64(high + 2)}).as_i32(), 0x0c);
  EXPECT_EQ(call("load_rr", {Value::i64(high + 1), Value::i32(2)}).as_i32(), 0x0d);
  EXPECT_EQ(call("store", {Value::i64(high + 4)}).as_i32(), 4);
  EXPECT_EQ(call("table", {Value::i64(high + 1)}).as_i32(), 11);
  EXPECT_EQ(call("table", {Value::i64(high + 7)}).as_i32(), 12);
  EXPECT_EQ(call("kept", {Value::i64(high | 5)}).as_i32(), 5);
  EXPECT_EQ(call("returned", {Value::i64(high | 9)}).as_i32(), 9);
}

// A module whose memory a guest dirties everywhere it can reach: 1 page at
// start, grown to 40 (2.5 MiB, past what a pooled reservation keeps).
constexpr const char* kDirtyingModule = R"((module (memory (export "memory") 1)
    (func (export "dirty") (local $a i32)
      (drop (memory.grow (i32.const 39)))
      (loop $next
        (i32.store (local.get $a) (i32.const 0xabababab))
        (local.set $a (i32.add (local.get $a) (i32.const 4096)))
        (br_if $next (i32.lt_u (local.get $a) (i32.const 2621440)))))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))";

TEST_F(FastInterp, AMemoryIsReusedZeroedByTheNextStore) {
  Module module = compile(kDirtyingModule);
  const uint8_t* first_base = nullptr;
  {
    Store store(engine_);
    Instance instance = Instance::create(store, module, Linker{});
    ASSERT_TRUE(instance.call("dirty").returned());
    first_base = instance.memory().bytes(0, 1).data();
    ASSERT_EQ(instance.memory().load<uint32_t>(2621440 - 4096), 0xababababu);
  }
  Store store(engine_);
  Instance instance = Instance::create(store, module, Linker{});
  EXPECT_EQ(instance.memory().bytes(0, 1).data(), first_base) << "the reservation was not reused";
  EXPECT_EQ(instance.memory().size(), 65536u) << "the new instance starts at its own initial size";
  std::vector<Value> beyond = {Value::i32(65536)};
  EXPECT_FALSE(instance.call("load", beyond).returned()) << "the previous instance's pages must not be reachable";
  std::vector<Value> grow = {Value::i32(39)};
  ASSERT_TRUE(instance.call("grow", grow).returned());
  for (uint32_t address = 0; address < 2621440; address += 4096) {
    std::vector<Value> at = {Value::i32(int32_t(address))};
    Outcome o = instance.call("load", at);
    ASSERT_TRUE(o.returned()) << o.trap.to_string();
    ASSERT_EQ(o.results.at(0).as_i32(), 0) << "a value left by the previous Store at " << address;
  }
}

TEST_F(FastInterp, ReleasedStoresKeepLittleMemoryResident) {
  Module module = compile(kDirtyingModule);
  const uint64_t before = resident_bytes();
  {
    // 40 Stores alive at once, each with 2.5 MiB of dirty memory; then all go
    // (a pair destroys its Instance before its Store).
    std::vector<std::pair<std::unique_ptr<Store>, Instance>> alive;
    for (int i = 0; i < 40; ++i) {
      auto store = std::make_unique<Store>(engine_);
      Instance instance = Instance::create(*store, module, Linker{});
      ASSERT_TRUE(instance.call("dirty").returned());
      alive.emplace_back(std::move(store), std::move(instance));
    }
    EXPECT_GT(resident_bytes() - before, uint64_t{80} << 20);
  }
  // The pool keeps kPooledReservations of the 120 reservations (memories
  // and stacks) and at most 1 MiB of each resident; the rest is unmapped.
  EXPECT_EQ(detail::fast::pooled_reservations(), detail::fast::kPooledReservations);
  EXPECT_LT(resident_bytes() - before, uint64_t{24} << 20);
}

TEST_F(FastInterp, DeepRecursionLeavesNoResidentStackBehind) {
  Module module = compile(R"((module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))))");
  {
    Store warm(engine_);  // the pool and the code are set up before measuring
    Instance instance = Instance::create(warm, module, Linker{});
    std::vector<Value> shallow = {Value::i32(10)};
    ASSERT_TRUE(instance.call("down", shallow).returned());
  }
  const uint64_t before = resident_bytes();
  {
    Store store(engine_);
    Instance instance = Instance::create(store, module, Linker{});
    std::vector<Value> deep = {Value::i32(90'000)};
    Outcome o = instance.call("down", deep);
    ASSERT_TRUE(o.returned()) << o.trap.to_string();
    EXPECT_GT(resident_bytes() - before, uint64_t{4} << 20) << "the recursion should have used megabytes of stack";
  }
  // What stays is at most the kept part of the two stacks (values, frames).
  EXPECT_LT(resident_bytes() - before, 2 * detail::fast::kKeptResidentBytes + (uint64_t{512} << 10))
      << "the Store's stacks went back to the pool untrimmed";
}

}  // namespace
