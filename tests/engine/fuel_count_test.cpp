// Exact fuel counts, pinned. The metering rewrite keeps a copy of the budget
// in a local per function (src/engine/metering_rewrite.cpp); these counts
// were taken with the rewrite before that change (every check charged the
// global directly), so any change in what is charged, where a guest stops
// or what fuel_consumed() says after a trap shows up here. Each case runs in
// both tiers, in a fresh Store.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

// Loops without calls (their headers may read the local), loops with calls,
// guest, host and indirect, a loop after a call, nested loops left by br,
// br_if and br_table, recursion, and traps inside loops after calls.
constexpr const char* kWat = R"((module
  (import "host" "add_one" (func $add_one (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $inc $twice)
  (type $i2i (func (param i32) (result i32)))
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))

  (func (export "plain_loop") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $out
      (loop $top
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 64) (local.get $i))
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 64))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))

  (func (export "calling_loop") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (local.set $acc (call $inc (local.get $acc)))
      (local.set $acc (call $add_one (local.get $acc)))
      (local.set $acc (call_indirect (type $i2i) (local.get $acc) (i32.and (local.get $i) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))

  (func (export "loop_after_call") (param $n i32) (result i32) (local $i i32)
    (local.set $i (call $add_one (local.get $n)))
    (loop $top
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $top (i32.gt_s (local.get $i) (i32.const 0))))
    (if (i32.gt_u (local.get $n) (i32.const 3))
      (then (local.set $i (call $inc (local.get $i)))))
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))

  (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
    (block $done
      (loop $outer
        (local.set $j (i32.const 0))
        (block $next
          (loop $inner
            (local.set $acc (i32.add (local.get $acc) (local.get $j)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_table $inner $next $done
              (select (i32.const 0)
                (select (i32.const 2) (i32.const 1) (i32.eq (local.get $i) (i32.const 7)))
                (i32.lt_u (local.get $j) (local.get $i))))))
        (if (i32.eq (i32.rem_u (local.get $i) (i32.const 5)) (i32.const 4))
          (then (local.set $acc (call $twice (local.get $acc)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $acc))

  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; Stores past the end of memory once $i * 1000 >= 65536.
  (func (export "oob_in_loop") (param $n i32) (local $i i32)
    (loop $top
      (i32.store (i32.mul (local.get $i) (i32.const 1000)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n)))))

  ;; Divides by zero when $i reaches $n, after calls in earlier iterations.
  (func (export "div_after_calls") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (local.set $acc (call $inc (local.get $acc)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $acc (i32.div_u (local.get $acc) (i32.sub (local.get $n) (local.get $i))))
      (br $top))
    (unreachable))

  ;; Traps (unreachable) in a loop without calls that follows one with calls.
  (func (export "unreachable_after_loops") (param $n i32) (local $i i32)
    (loop $calls
      (drop (call $add_one (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (local.get $n))))
    (loop $spin
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (if (i32.eqz (local.get $i)) (then (unreachable)))
      (br $spin)))
))";

struct CallRun {
  Outcome outcome;
  uint64_t consumed;
};

class FuelCount : public TierTest {
 protected:
  CallRun run(const std::string& name, int32_t arg, uint64_t fuel = uint64_t{1} << 40) {
    static std::map<Tier, Module> modules;
    auto it = modules.find(tier());
    if (it == modules.end()) it = modules.emplace(tier(), compile_for(tier(), wat_to_wasm(kWat, ""), "fuel_count")).first;
    Store store(engine(), StoreLimits{.fuel = fuel});
    Instance inst = Instance::create(store, it->second, compute_linker());
    std::vector<Value> args = {Value::i32(arg)};
    CallRun r{inst.call(name, args), 0};
    r.consumed = store.fuel_consumed();
    return r;
  }
};
WASMLET_TEST_IN_EVERY_TIER(FuelCount);

struct Case {
  const char* name;
  int32_t arg;
  uint64_t fuel;      // consumed with ample fuel
  bool traps;         // with ample fuel
  uint64_t limit;     // a limit that stops the call early (it has then used exactly that)
};

// Counted with the rewrite of commit 85425a8 (the budget charged in the global at every check).
// A stopped call used to count the overdraft of the check point that stopped
// it too (5008 for plain_loop's 5000); it now stops at the limit exactly.
constexpr Case kCases[] = {
    {"plain_loop", 1000, 18022, false, 5000},
    {"calling_loop", 500, 14503, false, 5000},
    {"loop_after_call", 300, 5418, false, 1000},
    {"nested", 40, 793, false, 500},
    {"fib", 20, 328365, false, 100000},
    {"oob_in_loop", 1000, 940, true, 300},
    {"div_after_calls", 200, 3803, true, 1000},
    {"unreachable_after_loops", 300, 6603, true, 3000},
};

TEST_P(FuelCount, IsExactlyWhatItWas) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const CallRun ample = run(c.name, c.arg);
    EXPECT_EQ(ample.outcome.trapped(), c.traps) << ample.outcome.trap.to_string();
    if (ample.outcome.trapped()) EXPECT_NE(ample.outcome.trap.kind, TrapKind::FuelExhausted);
    EXPECT_EQ(ample.consumed, c.fuel);
    const CallRun limited = run(c.name, c.arg, c.limit);
    ASSERT_TRUE(limited.outcome.trapped());
    EXPECT_EQ(limited.outcome.trap.kind, TrapKind::FuelExhausted);
    EXPECT_EQ(limited.consumed, c.limit);
  }
}

}  // namespace
