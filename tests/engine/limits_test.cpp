// Fuel, timeouts, interrupts, the memory limit and the start function, in
// every tier: each test runs as Suite.Test/interp and Suite.Test/aot with the
// same assertions, and the AOT run also checks that its counts equal the
// interpreter's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "support.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using namespace std::chrono_literals;

namespace {

struct SumRun {
  Outcome outcome;
  uint64_t consumed = 0;
};

// sum_to(n) in a fresh store of `tier`, optionally with a fuel budget.
SumRun sum_to(Tier tier, int n, std::optional<uint64_t> fuel = std::nullopt) {
  Store store(engine_for(tier), StoreLimits{.fuel = fuel});
  Instance inst = Instance::create(store, fixture_module(tier, "tier_compute"), compute_linker());
  std::vector<Value> args = {Value::i32(n)};
  SumRun run;
  run.outcome = inst.call("sum_to", args);
  run.consumed = store.fuel_consumed();
  return run;
}

// A fuel limit that is never reached. Fuel is counted only under a limit in
// the AOT tier (without one it runs its build without checks, docs/aot.md),
// so fuel is measured with this one.
constexpr uint64_t kAmpleFuel = uint64_t{1} << 40;

int64_t sum_below(int64_t n) { return n * (n - 1) / 2; }

std::vector<Value> i32s(std::initializer_list<int32_t> v) {
  std::vector<Value> out;
  for (auto x : v) out.push_back(Value::i32(x));
  return out;
}

// Interrupts `store` after `after` unless disarmed first: a test that would
// otherwise hang (a limit that is not applied) fails instead.
class Watchdog {
 public:
  Watchdog(Store& store, std::chrono::milliseconds after)
      : thread_([this, &store, after] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, after, [&] { return done_; })) {
            fired_ = true;
            store.interrupt();
          }
        }) {}
  ~Watchdog() { disarm(); }
  bool disarm() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

// ---------------------------------------------------------------- fuel

class Fuel : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(Fuel);

TEST_P(Fuel, AccountingIsDeterministicAndGrowsWithWork) {
  SumRun small = sum_to(tier(), 1000, kAmpleFuel), small_again = sum_to(tier(), 1000, kAmpleFuel),
         large = sum_to(tier(), 100000, kAmpleFuel);
  ASSERT_TRUE(small.outcome.returned()) << small.outcome.trap.to_string();
  ASSERT_TRUE(small_again.outcome.returned() && large.outcome.returned());
  EXPECT_EQ(small.outcome.results.at(0).as_i64(), sum_below(1000));
  EXPECT_EQ(large.outcome.results.at(0).as_i64(), sum_below(100000));
  EXPECT_EQ(small.consumed, small_again.consumed);
  EXPECT_GT(small.consumed, 1000u);
  // Linear in the loop count: 100x the iterations cost about 100x the fuel,
  // and every iteration costs exactly the same.
  EXPECT_NEAR(double(large.consumed) / double(small.consumed), 100.0, 2.0);
  const uint64_t two = sum_to(tier(), 2000, kAmpleFuel).consumed, three = sum_to(tier(), 3000, kAmpleFuel).consumed;
  EXPECT_EQ(two - small.consumed, three - two);
  if (tier() == Tier::Interpreter) {
    // The interpreter always runs the checks: it counts without a limit too.
    EXPECT_EQ(sum_to(tier(), 1000).consumed, small.consumed);
  } else {
    EXPECT_EQ(small.consumed, sum_to(Tier::Interpreter, 1000).consumed) << "the interpreter counts differently";
    EXPECT_EQ(large.consumed, sum_to(Tier::Interpreter, 100000).consumed) << "the interpreter counts differently";
  }
}

TEST_P(Fuel, ExhaustionTrapsAtTheSamePointEveryTime) {
  const SumRun ample = sum_to(tier(), 5000, kAmpleFuel);
  ASSERT_TRUE(ample.outcome.returned());
  const uint64_t needed = ample.consumed;
  ASSERT_GT(needed, 5000u);
  const SumRun enough = sum_to(tier(), 5000, needed);
  ASSERT_TRUE(enough.outcome.returned()) << enough.outcome.trap.to_string();
  EXPECT_EQ(enough.outcome.results.at(0).as_i64(), sum_below(5000));
  EXPECT_EQ(enough.consumed, needed);

  std::optional<uint64_t> first_stop;
  for (int run = 0; run < 2; ++run) {
    const SumRun starved = sum_to(tier(), 5000, needed / 2);
    const Outcome& o = starved.outcome;
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::FuelExhausted);
    EXPECT_EQ(o.trap.message, fmt::format("fuel exhausted: the budget of {} units is used up", needed / 2));
    EXPECT_EQ(o.trap.to_string().find("trap: fuel exhausted"), 0u) << o.trap.to_string();
    EXPECT_EQ(o.trap.function, "func[3]") << "sum_to has no name; its index in the original module";
    EXPECT_EQ(starved.consumed, needed / 2);  // the check point it could not pay for took the rest
    if (first_stop) EXPECT_EQ(starved.consumed, *first_stop);
    first_stop = starved.consumed;
  }
  if (tier() != Tier::Interpreter) {
    EXPECT_EQ(needed, sum_to(Tier::Interpreter, 5000, kAmpleFuel).consumed) << "the interpreter counts differently";
    const SumRun reference = sum_to(Tier::Interpreter, 5000, needed / 2);
    EXPECT_EQ(*first_stop, reference.consumed) << "the interpreter stops at another point";
    EXPECT_EQ(reference.outcome.trap.to_string(), sum_to(tier(), 5000, needed / 2).outcome.trap.to_string());
  }
}

TEST_P(Fuel, TheBudgetCoversEveryCallOfAStore) {
  const uint64_t one_call = sum_to(tier(), 5000, kAmpleFuel).consumed;
  ASSERT_GT(one_call, 5000u);
  Store store(engine(), StoreLimits{.fuel = one_call + one_call / 2});
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  std::vector<Value> args = {Value::i32(5000)};
  ASSERT_TRUE(inst.call("sum_to", args).returned());
  EXPECT_EQ(store.fuel_consumed(), one_call);
  Outcome second = inst.call("sum_to", args);
  ASSERT_TRUE(second.trapped());
  EXPECT_EQ(second.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(store.fuel_consumed(), one_call + one_call / 2);
}

// A guest stopped for want of fuel has used exactly the limit, wherever in
// a loop iteration the limit falls: the check point the rest of the budget
// cannot pay for does not run, and is not counted past the limit.
TEST_P(Fuel, AStoppedGuestHasUsedExactlyTheLimit) {
  const uint64_t needed = sum_to(tier(), 5000, kAmpleFuel).consumed;
  for (uint64_t limit = needed / 2; limit < needed / 2 + 20; ++limit) {
    SCOPED_TRACE(limit);
    const SumRun starved = sum_to(tier(), 5000, limit);
    ASSERT_TRUE(starved.outcome.trapped());
    EXPECT_EQ(starved.outcome.trap.kind, TrapKind::FuelExhausted);
    EXPECT_EQ(starved.consumed, limit);
  }
}

// After a stop for want of fuel and restart_fuel_count() (a plugin's next
// call), the next call is charged its own fuel only, not again for the check
// point that stopped the last one.
TEST_P(Fuel, TheCheckPointThatStoppedIsNotChargedToTheNextCount) {
  const uint64_t one_call = sum_to(tier(), 1000, kAmpleFuel).consumed;
  const uint64_t limit = one_call * 3 / 2;
  Store store(engine(), StoreLimits{.fuel = limit});
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  Outcome starved = inst.call("sum_to", i32s({2000}));
  ASSERT_TRUE(starved.trapped());
  ASSERT_EQ(starved.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(store.fuel_consumed(), limit);
  store.restart_fuel_count();
  ASSERT_TRUE(inst.call("sum_to", i32s({1000})).returned());
  EXPECT_EQ(store.fuel_consumed(), one_call);
}

// ---------------------------------------------------------------- timeout

class Timeout : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(Timeout);

TEST_P(Timeout, InterruptsAnInfiniteLoopWithin100ms) {
  Store store(engine(), StoreLimits{.timeout = 200ms});
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  for (int call = 0; call < 2; ++call) {  // re-armed on every call
    auto start = std::chrono::steady_clock::now();
    Outcome o = inst.call("spin");
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded);
    EXPECT_EQ(o.trap.message, "the call exceeded its timeout of 200 ms");
    EXPECT_EQ(o.trap.function, "spin");
    EXPECT_GE(elapsed, 200ms);
    EXPECT_LT(elapsed, 300ms) << "call " << call;
  }
  // The instance still works after its deadline passed.
  std::vector<Value> ten = {Value::i32(10)};
  EXPECT_EQ(inst.call("sum_to", ten).results.at(0).as_i64(), sum_below(10));
}

TEST_P(Timeout, AHostFunctionCallingBackIntoTheGuestKeepsTheOuterDeadline) {
  Store store(engine(), StoreLimits{.timeout = 200ms});
  Instance* self = nullptr;
  Linker linker;
  // host.add_one calls the guest's `add` (a nested call), then the guest spins.
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [&](Caller&, std::span<const Value> args, std::span<Value> results) {
                  std::vector<Value> two = {args[0], Value::i32(1)};
                  results[0] = self->call("add", two).results.at(0);
                });
  Instance inst = Instance::create(store, module("tier_compute"), linker);
  self = &inst;
  std::vector<Value> one = {Value::i32(1)};
  EXPECT_EQ(inst.call("call_host", one).results.at(0).as_i32(), 2);
  ASSERT_FALSE(store.deadline().has_value()) << "the deadline ends with the outermost call";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(inst.call("spin").trap.kind, TrapKind::DeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
}

// A guest that does nothing but call a slow host function. A host call
// costs one unit of fuel however long it takes, so the next fuel slice (the
// interpreter's stop check) would come only after minutes of such calls.
constexpr const char* kSlowHostLoopWat = R"((module
  (import "host" "slow" (func $slow))
  (func $call_slow_forever (export "call_slow_forever") (loop $again (call $slow) (br $again)))))";

Instance slow_host_loop(Store& store, Tier tier, Linker& linker) {
  linker.define("host", "slow", FuncType{{}, {}},
                [](Caller&, std::span<const Value>, std::span<Value>) { std::this_thread::sleep_for(1ms); });
  static const auto wasm = wat_to_wasm(kSlowHostLoopWat, "--debug-names");
  return Instance::create(store, compile_for(tier, wasm, "slow_host_loop"), linker);
}

TEST_P(Timeout, EndsAGuestLoopingOnASlowHostCall) {
  Store store(engine(), StoreLimits{.timeout = 100ms});
  Linker linker;
  Instance inst = slow_host_loop(store, tier(), linker);
  auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("call_slow_forever");
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded) << o.trap.to_string();
  EXPECT_EQ(o.trap.function, "call_slow_forever");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// ---------------------------------------------------------------- interrupt

class Interrupt : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(Interrupt);

TEST_P(Interrupt, AnotherThreadCanStopARunningGuest) {
  Store store(engine());
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("spin");
  stopper.join();
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::Interrupted);
  EXPECT_EQ(o.trap.message, "the guest was interrupted");
  EXPECT_EQ(o.trap.function, "spin");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
}

TEST_P(Interrupt, StopsAGuestLoopingOnASlowHostCall) {
  Store store(engine());
  Linker linker;
  Instance inst = slow_host_loop(store, tier(), linker);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("call_slow_forever");
  stopper.join();
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::Interrupted) << o.trap.to_string();
  EXPECT_EQ(o.trap.function, "call_slow_forever");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_P(Interrupt, IsStickyAndStopsLaterCallsAtOnce) {
  Store store(engine());
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  store.interrupt();
  for (int call = 0; call < 2; ++call) {
    auto start = std::chrono::steady_clock::now();
    Outcome o = inst.call("spin");
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::Interrupted);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms) << "call " << call;
  }
}

// ---------------------------------------------------------------- memory limit

class MemoryLimit : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(MemoryLimit);

namespace {
// Grows tier_compute's memory to a 10-page limit, then stores past its end.
Outcome grow_to_the_limit_then_store_past_it(Tier tier) {
  Store store(engine_for(tier), StoreLimits{.max_memory_bytes = 10 * 65536});
  Instance inst = Instance::create(store, fixture_module(tier, "tier_compute"), compute_linker());
  EXPECT_EQ(store.memory_bytes(), 65536u);
  EXPECT_FALSE(store.memory_limit_hit());
  Outcome o = inst.call("grow_until_refused");
  if (!o.returned()) {
    ADD_FAILURE() << "grow_until_refused: " << o.trap.to_string();
    return o;
  }
  EXPECT_EQ(o.results[0].as_i32(), 9);  // 1 initial page + 9 grown = the limit
  EXPECT_EQ(inst.call("memory_pages").results[0].as_i32(), 10);
  EXPECT_EQ(store.memory_bytes(), 10u * 65536);
  EXPECT_TRUE(store.memory_limit_hit());
  // The grown memory is usable up to its end, and not past it.
  EXPECT_TRUE(inst.call("store", i32s({10 * 65536 - 4, 7})).returned());
  EXPECT_EQ(inst.memory().load<int32_t>(10 * 65536 - 4), 7);
  return inst.call("store", i32s({10 * 65536 - 2, 1}));
}
}  // namespace

TEST_P(MemoryLimit, GrowBeyondTheLimitReturnsMinusOne) {
  Outcome past = grow_to_the_limit_then_store_past_it(tier());
  ASSERT_TRUE(past.trapped());
  EXPECT_EQ(past.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(past.trap.function, "store");
  // A 4-byte store 2 bytes before the end: both tiers name the first byte past it.
  EXPECT_EQ(past.trap.message, "out of bounds memory access: byte 655360 is past the end of memory (655360 bytes)");
  if (tier() != Tier::Interpreter)
    EXPECT_EQ(past.trap.to_string(), grow_to_the_limit_then_store_past_it(Tier::Interpreter).trap.to_string());
}

TEST_P(MemoryLimit, WithoutALimitTheModuleMaximumApplies) {
  Store store(engine());
  Instance inst = Instance::create(store, module("tier_compute"), compute_linker());
  EXPECT_EQ(inst.call("grow_until_refused").results[0].as_i32(), 99);  // (memory 1 100)
  EXPECT_EQ(store.memory_bytes(), 100u * 65536);
  EXPECT_FALSE(store.memory_limit_hit());
}

TEST_P(MemoryLimit, ALimitBelowTheInitialMemoryFailsToInstantiate) {
  Store store(engine(), StoreLimits{.max_memory_bytes = 1024});
  try {
    Instance::create(store, module("tier_compute"), compute_linker());
    FAIL() << "expected a LinkError";
  } catch (const LinkError& e) {
    EXPECT_EQ(std::string(e.what()),
              "tier_compute: needs 65536 bytes of linear memory at start, more than the memory limit of 1024 bytes");
  }
}

// ---------------------------------------------------------------- start function

// start_modes.wat asks host.start_mode what its start function should do.
class StartFunction : public TierTest {
 protected:
  static Linker linker(int32_t mode) {
    Linker l;
    l.define("host", "start_mode", FuncType{{}, {ValType::I32}},
             [mode](Caller&, std::span<const Value>, std::span<Value> results) { results[0] = Value::i32(mode); });
    return l;
  }
};
WASMLET_TEST_IN_EVERY_TIER(StartFunction);

TEST_P(StartFunction, ThatReturnsLeavesAUsableInstance) {
  Store store(engine());
  Instance inst = Instance::create(store, module("start_modes"), linker(0));
  EXPECT_TRUE(inst.start_outcome().returned());
  EXPECT_EQ(inst.call("ok").results.at(0).as_i32(), 1);
}

TEST_P(StartFunction, ATrapIsReportedAndEveryLaterCallReportsIt) {
  Store store(engine());
  Instance inst = Instance::create(store, module("start_modes"), linker(1));
  const Outcome& start = inst.start_outcome();
  ASSERT_TRUE(start.trapped());
  EXPECT_EQ(start.trap.kind, TrapKind::Unreachable);
  EXPECT_EQ(start.trap.function, "boom");
  Outcome later = inst.call("ok");
  ASSERT_TRUE(later.trapped());
  EXPECT_EQ(later.trap.to_string(), start.trap.to_string());
  if (tier() != Tier::Interpreter) {
    Store reference_store(engine_for(Tier::Interpreter));
    Instance reference = Instance::create(reference_store, fixture_module(Tier::Interpreter, "start_modes"), linker(1));
    EXPECT_EQ(start.trap.to_string(), reference.start_outcome().trap.to_string());
  }
}

TEST_P(StartFunction, RunsOutOfFuel) {
  Store store(engine(), StoreLimits{.fuel = 10000});
  Instance inst = Instance::create(store, module("start_modes"), linker(2));
  const Outcome& start = inst.start_outcome();
  ASSERT_TRUE(start.trapped());
  EXPECT_EQ(start.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(start.trap.message, "fuel exhausted: the budget of 10000 units is used up");
  EXPECT_EQ(start.trap.function, "begin");
  EXPECT_EQ(store.fuel_consumed(), 10000u);
}

TEST_P(StartFunction, IsStoppedByTheTimeout) {
  const Module& m = module("start_modes");
  Store store(engine(), StoreLimits{.timeout = 100ms});
  Watchdog watchdog(store, 3s);
  auto begin = std::chrono::steady_clock::now();
  Instance inst = Instance::create(store, m, linker(2));
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_FALSE(watchdog.disarm()) << "the timeout did not stop the start function; the watchdog interrupted it";
  const Outcome& start = inst.start_outcome();
  ASSERT_TRUE(start.trapped());
  EXPECT_EQ(start.trap.kind, TrapKind::DeadlineExceeded) << start.trap.to_string();
  EXPECT_EQ(start.trap.message, "the call exceeded its timeout of 100 ms");
  EXPECT_EQ(start.trap.function, "begin");
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 200ms);
}

TEST_P(StartFunction, IsStoppedByAnInterrupt) {
  const Module& m = module("start_modes");
  Store store(engine());
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  Instance inst = Instance::create(store, m, linker(2));
  stopper.join();
  const Outcome& start = inst.start_outcome();
  ASSERT_TRUE(start.trapped());
  EXPECT_EQ(start.trap.kind, TrapKind::Interrupted);
  EXPECT_EQ(start.trap.function, "begin");
}

// ---------------------------------------------------------------- lifetimes, names

class Lifetime : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(Lifetime);

TEST_P(Lifetime, AnInstanceOutlivesItsLinker) {
  Store store(engine());
  std::optional<Instance> inst;
  {
    Linker linker = compute_linker();
    inst.emplace(Instance::create(store, module("tier_compute"), linker));
  }
  std::vector<Value> nine = {Value::i32(9)};
  EXPECT_EQ(inst->call("call_host", nine).results.at(0).as_i32(), 10);
}

TEST_P(Lifetime, AMalformedNameSectionDoesNotStopCompilation) {
  // (func $f (param i32)) with a name section naming local 5 of function 0,
  // which has only one local: wabt's writers would assert on it.
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  //
                                0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,        // type (i32) -> ()
                                0x03, 0x02, 0x01, 0x00,                          // func 0: type 0
                                0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,              // body
                                0x00, 0x10, 0x04, 'n', 'a', 'm', 'e',            // custom "name"
                                0x02, 0x08, 0x01, 0x00, 0x02, 0x05, 0x01, 'x', 0x00, 0x01, 'y'};
  bytes[26] = static_cast<uint8_t>(bytes.size() - 27);
  EXPECT_NO_THROW(compile_for(tier(), bytes, "names.wasm"));
}
