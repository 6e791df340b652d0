// The fast interpreter (src/engine/fast/): what its design promises beyond
// running code correctly, which the spec suite and the TierTest suites check
// — lazy translation, memory reserved rather than committed, stacks that
// trap instead of overflowing, tail calls in constant space.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "engine/fast/fast_tier.h"
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
  const detail::TierModule& tier = *module.impl().tier;
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
  std::vector<Value> zero = {Value::i32(0)};
  Outcome o = instance.call("down", zero);
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::StackExhausted) << o.trap.to_string();
  EXPECT_EQ(o.trap.function, "down");
  // The instance is sound afterwards.
  EXPECT_TRUE(instance.call("down", zero).trapped());
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

}  // namespace
