// Fuel, timeouts, interrupts and the memory limit.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using namespace std::chrono_literals;

namespace {
Outcome sum_to(Store& store, Engine& engine, int n, uint64_t* consumed = nullptr) {
  Module m = Module::from_file(engine, fixture("compute"));
  Instance inst = Instance::create(store, m, compute_linker());
  std::vector<Value> args = {Value::i32(n)};
  Outcome o = inst.call("sum_to", args);
  if (consumed) *consumed = store.fuel_consumed();
  return o;
}
}  // namespace

TEST(Fuel, AccountingIsDeterministicAndGrowsWithWork) {
  Engine engine;
  uint64_t small = 0, small_again = 0, large = 0;
  Store s1(engine), s2(engine), s3(engine);
  ASSERT_TRUE(sum_to(s1, engine, 1000, &small).returned());
  ASSERT_TRUE(sum_to(s2, engine, 1000, &small_again).returned());
  ASSERT_TRUE(sum_to(s3, engine, 100000, &large).returned());
  EXPECT_EQ(small, small_again);
  EXPECT_GT(small, 1000u);
  // Linear in the loop count: 100x the iterations cost about 100x the fuel.
  EXPECT_NEAR(double(large) / double(small), 100.0, 2.0);
}

TEST(Fuel, ExhaustionTrapsAtTheSamePointEveryTime) {
  Engine engine;
  uint64_t needed = 0;
  {
    Store s(engine);
    ASSERT_TRUE(sum_to(s, engine, 5000, &needed).returned());
  }
  Store enough(engine, StoreLimits{.fuel = needed});
  EXPECT_TRUE(sum_to(enough, engine, 5000).returned());

  for (int run = 0; run < 2; ++run) {
    Store starved(engine, StoreLimits{.fuel = needed / 2});
    uint64_t consumed = 0;
    Outcome o = sum_to(starved, engine, 5000, &consumed);
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::FuelExhausted);
    EXPECT_EQ(o.trap.to_string().find("trap: fuel exhausted"), 0u) << o.trap.to_string();
    EXPECT_EQ(o.trap.function, "func[3]") << "sum_to has no name; its index in the original module";
    EXPECT_GT(consumed, needed / 2);
    EXPECT_LT(consumed, needed / 2 + 100);  // stops at the first check point past the budget
  }
}

TEST(Timeout, InterruptsAnInfiniteLoopWithin100ms) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine, StoreLimits{.timeout = 200ms});
  Instance inst = Instance::create(store, m, compute_linker());
  for (int call = 0; call < 2; ++call) {  // re-armed on every call
    auto start = std::chrono::steady_clock::now();
    Outcome o = inst.call("spin");
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded);
    EXPECT_GE(elapsed, 200ms);
    EXPECT_LT(elapsed, 300ms) << "call " << call;
  }
}

TEST(Interrupt, AnotherThreadCanStopARunningGuest) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("spin");
  stopper.join();
  EXPECT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::Interrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(MemoryLimit, GrowBeyondTheLimitReturnsMinusOne) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine, StoreLimits{.max_memory_bytes = 10 * 65536});
  Instance inst = Instance::create(store, m, compute_linker());
  Outcome o = inst.call("grow_until_refused");
  ASSERT_TRUE(o.returned());
  EXPECT_EQ(o.results[0].as_i32(), 9);  // 1 initial page + 9 grown = the limit
  EXPECT_EQ(inst.call("memory_pages").results[0].as_i32(), 10);
  EXPECT_EQ(store.memory_bytes(), 10u * 65536);
  EXPECT_TRUE(store.memory_limit_hit());
}

TEST(MemoryLimit, WithoutALimitTheModuleMaximumApplies) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, m, compute_linker());
  EXPECT_EQ(inst.call("grow_until_refused").results[0].as_i32(), 99);  // (memory 1 100)
  EXPECT_FALSE(store.memory_limit_hit());
}

TEST(MemoryLimit, ALimitBelowTheInitialMemoryFailsToInstantiate) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine, StoreLimits{.max_memory_bytes = 1024});
  EXPECT_THROW(Instance::create(store, m, compute_linker()), LinkError);
}

TEST(Timeout, AHostFunctionCallingBackIntoTheGuestKeepsTheOuterDeadline) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine, StoreLimits{.timeout = 200ms});
  Instance* self = nullptr;
  Linker linker;
  // host.add_one calls the guest's `add` (a nested call), then the guest spins.
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [&](Caller&, std::span<const Value> args, std::span<Value> results) {
                  std::vector<Value> two = {args[0], Value::i32(1)};
                  results[0] = self->call("add", two).results.at(0);
                });
  Instance inst = Instance::create(store, m, linker);
  self = &inst;
  std::vector<Value> one = {Value::i32(1)};
  EXPECT_EQ(inst.call("call_host", one).results.at(0).as_i32(), 2);
  ASSERT_FALSE(store.deadline().has_value()) << "the deadline ends with the outermost call";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(inst.call("spin").trap.kind, TrapKind::DeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(Module, AnInstanceOutlivesItsLinker) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  std::optional<Instance> inst;
  {
    Linker linker = compute_linker();
    inst.emplace(Instance::create(store, m, linker));
  }
  std::vector<Value> nine = {Value::i32(9)};
  EXPECT_EQ(inst->call("call_host", nine).results.at(0).as_i32(), 10);
}

TEST(Module, AMalformedNameSectionDoesNotStopCompilation) {
  // (func $f (param i32)) with a name section naming local 5 of function 0,
  // which has only one local: wabt's writer would assert on it.
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  //
                                0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,        // type (i32) -> ()
                                0x03, 0x02, 0x01, 0x00,                          // func 0: type 0
                                0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,              // body
                                0x00, 0x10, 0x04, 'n', 'a', 'm', 'e',            // custom "name"
                                0x02, 0x08, 0x01, 0x00, 0x02, 0x05, 0x01, 'x', 0x00, 0x01, 'y'};
  bytes[26] = static_cast<uint8_t>(bytes.size() - 27);
  Engine engine;
  EXPECT_NO_THROW(Module::compile(engine, bytes, "names.wasm"));
}
