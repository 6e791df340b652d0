// The AOT tier's two builds (docs/aot.md): the build without checks is
// stopped by the interrupt watcher's signal wherever the guest is (in guest
// code, inside a host function, on many threads at once), the fuel build is
// compiled once on first use, and traps name the guest function.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "engine/access.h"
#include "engine/aot/aot_tier.h"
#include "engine/aot/artifact_cache.h"
#include "engine/aot/c_codegen.h"
#include "engine/tier.h"
#include "support.h"
#include "wasmlet/error.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Modules of more than 64 KiB of C are split into translation units
// (c_split.h): the guest section spans several objects.
const bool kSplitModules = (::setenv("WASMLET_AOT_UNIT_BYTES", "65536", 0), true);


// `pause` is a host function; `recurse` runs long with a shallow stack and no
// loop, which only function-entry checks (or a signal) can stop.
constexpr const char* kWat = R"((module
  (import "host" "pause" (func $pause))
  (memory (export "memory") 1)
  (func $inner (loop $forever br $forever))
  (func (export "spin") call $inner)
  (func (export "spin_in_host") (loop $forever call $pause br $forever))
  (func $fib (export "fib") (param $n i32) (result i32)
    local.get $n i32.const 2 i32.lt_u
    if (result i32) local.get $n
    else
      local.get $n i32.const 1 i32.sub call $fib
      local.get $n i32.const 2 i32.sub call $fib
      i32.add
    end)
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done (loop $next
      local.get $i local.get $n i32.ge_u br_if $done
      local.get $i i32.const 1 i32.add local.set $i
      br $next))
    local.get $i)
  (func $divide (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "divide_by_zero") (result i32) i32.const 7 i32.const 0 call $divide)
  (func $walk (param $depth i32)
    local.get $depth i32.eqz
    if i32.const 100000 i32.const 1 i32.store
    else local.get $depth i32.const 1 i32.sub call $walk end)
  (func (export "out_of_bounds") i32.const 50 call $walk)
))";

const fs::path& shared_cache() {
  static TempDir dir;
  return dir.path();
}

EngineConfig config_for(Tier tier) {
  EngineConfig c;
  c.tier = tier;
  c.cache_dir = shared_cache();
  return c;
}

Linker linker_with_pause() {
  Linker linker;
  linker.define("host", "pause", FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) {
    std::this_thread::sleep_for(5ms);
  });
  return linker;
}

class AotStop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = new Engine(config_for(Tier::Aot));
    module_ = new Module(Module::compile(*engine_, wat_to_wasm(kWat, "--debug-names"), "stop"));
  }
  static void TearDownTestSuite() {
    delete module_;
    delete engine_;
  }
  void SetUp() override {
    if (!detail::aot::runs_native(*module_)) GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  }
  static Engine* engine_;
  static Module* module_;
};
Engine* AotStop::engine_ = nullptr;
Module* AotStop::module_ = nullptr;

TEST_F(AotStop, TimeoutStopsGuestCodeThatHasNoChecks) {
  Store store(*engine_, StoreLimits{.timeout = 100ms});
  Instance inst = Instance::create(store, *module_, linker_with_pause());
  const auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("spin");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded);
  EXPECT_EQ(o.trap.message, "the call exceeded its timeout of 100 ms");
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 200ms);
  // Fuel is not counted without a fuel limit: this build has no checks.
  EXPECT_EQ(store.fuel_consumed(), 0u);
  // The instance stays usable, and the next call gets a fresh deadline.
  std::vector<Value> n = {Value::i32(1000)};
  Outcome again = inst.call("count", n);
  ASSERT_TRUE(again.returned()) << again.trap.to_string();
  EXPECT_EQ(again.results.at(0).as_i32(), 1000);
}

TEST_F(AotStop, InterruptReachesRecursionWithoutLoops) {
  Store store(*engine_);
  Instance inst = Instance::create(store, *module_, linker_with_pause());
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    store.interrupt();
  });
  // gcc turns one of fib's two recursive calls into a loop, so fib(60)
  // returns within a second of native code; fib(90) would take years.
  std::vector<Value> n = {Value::i32(90)};
  Outcome o = inst.call("fib", n);
  stopper.join();
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::Interrupted);
  EXPECT_EQ(o.trap.function, "fib");
}

// Embedders' worker threads often block every signal (to sigwait on them):
// a call on such a thread is still stopped, and the thread's mask is as it
// was after the call.
TEST_F(AotStop, TimeoutStopsACallOnAThreadThatBlocksTheStopSignal) {
  // Unstopped, the call would spin forever: end the test with a message.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 1000 && !done.load(); ++i) std::this_thread::sleep_for(10ms);
    if (done.load()) return;
    std::fprintf(stderr, "a call on a thread that blocks SIGURG was never stopped\n");
    std::_Exit(1);
  });
  std::thread worker([&] {
    sigset_t all;
    sigfillset(&all);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &all, nullptr), 0);
    Store store(*engine_, StoreLimits{.timeout = 100ms});
    Instance inst = Instance::create(store, *module_, linker_with_pause());
    for (int call = 0; call < 2; ++call) {  // the second call unblocks it again
      const auto start = std::chrono::steady_clock::now();
      Outcome o = inst.call("spin");
      const auto took = std::chrono::steady_clock::now() - start;
      ASSERT_TRUE(o.trapped()) << "call " << call;
      EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded) << "call " << call;
      EXPECT_LT(took, 1s) << "call " << call;
      sigset_t now;
      ASSERT_EQ(pthread_sigmask(SIG_BLOCK, nullptr, &now), 0);
      EXPECT_EQ(sigismember(&now, SIGURG), 1) << "the thread's own mask is restored after call " << call;
    }
  });
  worker.join();
  done = true;
  watchdog.join();
}

TEST_F(AotStop, StopInsideAHostFunctionIsTakenWhenItReturns) {
  Store store(*engine_, StoreLimits{.timeout = 60ms});
  Instance inst = Instance::create(store, *module_, linker_with_pause());
  const auto start = std::chrono::steady_clock::now();
  Outcome o = inst.call("spin_in_host");
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

TEST_F(AotStop, EightThreadsWithTheirOwnDeadlinesStopIndependently) {
  std::atomic<int> stopped{0}, finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store store(*engine_, StoreLimits{.timeout = std::chrono::milliseconds(40 + 10 * t)});
      Instance inst = Instance::create(store, *module_, linker_with_pause());
      // Even threads loop forever; odd threads finish well within their deadline.
      std::vector<Value> n = {Value::i32(100000)};
      Outcome o = t % 2 ? inst.call("count", n) : inst.call("spin");
      if (o.trapped() && o.trap.kind == TrapKind::DeadlineExceeded) ++stopped;
      if (o.returned() && o.results.at(0).as_i32() == 100000) ++finished;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(stopped.load(), 4);
  EXPECT_EQ(finished.load(), 4);
}

TEST_F(AotStop, AStraySignalOutsideAGuestCallChangesNothing) {
  Store store(*engine_);
  Instance inst = Instance::create(store, *module_, linker_with_pause());
  pthread_kill(pthread_self(), SIGURG);  // not wasmlet's: the default (ignore) applies
  std::vector<Value> n = {Value::i32(10)};
  Outcome o = inst.call("fib", n);
  ASSERT_TRUE(o.returned());
  EXPECT_EQ(o.results.at(0).as_i32(), 55);
}

TEST_F(AotStop, FuelBuildIsCompiledOnceOnFirstUseAndCountsLikeTheInterpreter) {
  std::vector<Value> n = {Value::i32(5000)};
  Engine interp_engine(config_for(Tier::Interpreter));
  Module interp = Module::compile(interp_engine, wat_to_wasm(kWat, "--debug-names"), "stop");
  Store reference(interp_engine, StoreLimits{.fuel = 1'000'000'000});
  Instance ri = Instance::create(reference, interp, linker_with_pause());
  ASSERT_TRUE(ri.call("count", n).returned());
  const uint64_t expected = reference.fuel_consumed();
  ASSERT_GT(expected, 5000u);

  const uint64_t builds_before = detail::aot::builds_done();
  for (int i = 0; i < 3; ++i) {
    Store store(*engine_, StoreLimits{.fuel = 1'000'000'000});
    Instance inst = Instance::create(store, *module_, linker_with_pause());
    ASSERT_TRUE(inst.call("count", n).returned());
    EXPECT_EQ(store.fuel_consumed(), expected);
  }
  EXPECT_LE(detail::aot::builds_done() - builds_before, 1u);  // 0 if an earlier test built it

  Store starved(*engine_, StoreLimits{.fuel = expected / 2});
  Instance inst = Instance::create(starved, *module_, linker_with_pause());
  Outcome o = inst.call("count", n);
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(o.trap.function, "count");
}

// Explicit traps know their function exactly (even inlined: __func__);
// faults are found by address, which names the recursive function here
// (gcc cannot inline all 50 levels into the export).
TEST_F(AotStop, TrapsNameTheGuestFunction) {
  Store store(*engine_);
  Instance inst = Instance::create(store, *module_, linker_with_pause());
  Outcome div = inst.call("divide_by_zero");
  ASSERT_TRUE(div.trapped());
  EXPECT_EQ(div.trap.kind, TrapKind::IntegerDivideByZero);
  EXPECT_EQ(div.trap.function, "divide");
  Outcome oob = inst.call("out_of_bounds");
  ASSERT_TRUE(oob.trapped());
  EXPECT_EQ(oob.trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(oob.trap.function, "walk");
}

TEST(AotBuilds, TheBuildWithoutChecksHasNoFuelChecksLeft) {
  const auto wasm = wat_to_wasm(kWat, "--debug-names");
  Engine engine(config_for(Tier::Interpreter));
  Module m = Module::compile(engine, wasm, "stop");
  const auto metered = detail::metered_binary(detail::Access::impl(m));
  const auto fuel = detail::aot::generate_c(metered, "stop", "k", detail::aot::Checks::Fuel);
  const auto none = detail::aot::generate_c(metered, "stop", "k", detail::aot::Checks::None);
  auto count = [](const std::string& c, const std::string& what) {
    size_t n = 0;
    for (size_t pos = c.find(what); pos != std::string::npos; pos = c.find(what, pos + 1)) ++n;
    return n;
  };
  const std::string refuel_call = "(*Z_wasmletZ_refuel)(";
  EXPECT_GE(count(fuel.module_c, refuel_call), 8u);  // every function entry and loop header
  EXPECT_EQ(count(none.module_c, refuel_call), 0u);
  EXPECT_NE(none.module_c.find("WASMLET_GUEST"), std::string::npos);
}

}  // namespace
