// Memory limit, wall-time limit (re-armed per call), fuel.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "plugin_support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;

TEST(PluginLimits, DefaultsAreThoseOfTheSeed) {
  PluginLimits l;
  EXPECT_EQ(l.max_memory_bytes, 16u << 20);
  EXPECT_EQ(l.timeout, 5s);
  EXPECT_FALSE(l.fuel.has_value());
}

TEST(PluginLimits, MemoryHogStopsAtTheLimit) {
  PluginHost host;
  PluginOptions o;
  o.limits.max_memory_bytes = 4u << 20;
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  CallStats st;
  auto e = expect_plugin_error([&] { p->call("memory_hog", json(nullptr), &st); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Memory) << e.what();
  EXPECT_NE(std::string(e.what()).find("plugin 'hostile' export 'memory_hog': memory limit of 4194304 bytes reached"), std::string::npos) << e.what();
  EXPECT_LE(st.memory_bytes, 4u << 20);
  // The next call has a fresh instance and works.
  EXPECT_EQ(p->call("execute", json{{"ok", true}}), (json{{"ok", true}}));
}

TEST(PluginLimits, LoopingPluginTimesOutWithin100msOfTheLimit) {
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = 300ms;
  o.keep_warm = false;
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  for (int call = 0; call < 2; ++call) {  // every call gets its own deadline
    auto start = std::chrono::steady_clock::now();
    auto e = expect_plugin_error([&] { p->call("loop", json(nullptr)); });
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(e.kind(), PluginError::Kind::Timeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("plugin 'hostile' export 'loop': timed out after 300 ms"), std::string::npos) << e.what();
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LT(elapsed, 400ms) << "call " << call;
  }
}

TEST(PluginLimits, WarmInstanceTimeoutIsReArmedOnEveryCall) {
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = 200ms;
  o.keep_warm = true;
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(100ms);  // idle time between calls does not count
    EXPECT_EQ(p->call("work", json(1000)), 499500);
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(p->call("loop", json(nullptr)), PluginError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(PluginLimits, FuelLimitStopsLongWorkButNotShortWork) {
  PluginHost host;
  CallStats small;
  {
    // Measured under a budget that is never reached: native code counts
    // fuel only where a limit is set (docs/aot.md).
    PluginOptions measure;
    measure.name = "measure";
    measure.limits.fuel = uint64_t{1} << 40;
    host.load_file(plugin_wasm("plugin_hostile"), measure)->call("work", json(1000), &small);
  }
  ASSERT_GT(small.fuel_consumed, 1000u);
  PluginOptions o;
  o.limits.fuel = small.fuel_consumed * 10;
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  CallStats st;
  EXPECT_EQ(p->call("work", json(1000), &st), 499500);
  EXPECT_EQ(st.fuel_consumed, small.fuel_consumed);  // deterministic
  auto e = expect_plugin_error([&] { p->call("work", json(1000000)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Fuel) << e.what();
  EXPECT_NE(std::string(e.what()).find("fuel limit of"), std::string::npos) << e.what();
  // Fuel is per call: the short call still works afterwards.
  EXPECT_EQ(p->call("work", json(1000)), 499500);
}

// With keep_warm the fuel limit is per call too: each call of a warm
// instance gets the whole budget, and CallStats::fuel_consumed is that call's.
class PluginFuel : public ::testing::TestWithParam<Tier> {};
INSTANTIATE_TEST_SUITE_P(, PluginFuel, ::testing::Values(Tier::Interpreter, Tier::Aot), tier_name);

TEST_P(PluginFuel, WarmInstanceFuelLimitIsPerCall) {
  if (GetParam() == Tier::Aot && std::system("command -v \"${CC:-cc}\" >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no C compiler: the AOT tier cannot be tested here";
  std::vector<std::string> notes;
  EngineConfig config = engine_config_for(GetParam());
  config.on_note = [&](const std::string& n) { notes.push_back(n); };
  PluginHost host(config);
  // What work(20000) costs in a warm instance: the first call also pays for
  // instantiation and _initialize; later calls cost the same as each other.
  CallStats first, later, again;
  {
    PluginOptions measuring;
    measuring.name = "measure";
    measuring.keep_warm = true;
    measuring.limits.fuel = uint64_t{1} << 40;  // metered, never in the way
    auto m = host.load_file(plugin_wasm("plugin_hostile"), measuring);
    m->call("work", json(20000), &first);
    m->call("work", json(20000), &later);
    m->call("work", json(20000), &again);
  }
  ASSERT_TRUE(notes.empty()) << "the plugin does not run in the tier under test: " << notes.front();
  ASSERT_GT(later.fuel_consumed, 20000u);
  EXPECT_EQ(later.fuel_consumed, again.fuel_consumed) << "fuel_consumed is per call, not the instance's total";
  EXPECT_GE(first.fuel_consumed, later.fuel_consumed);

  // A budget of which each call uses about 60%.
  PluginOptions o;
  o.keep_warm = true;
  o.limits.fuel = later.fuel_consumed * 5 / 3;
  ASSERT_LE(first.fuel_consumed, *o.limits.fuel) << "the first call must fit the budget too";
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  for (int call = 0; call < 3; ++call) {
    CallStats st;
    EXPECT_EQ(p->call("work", json(20000), &st), 199990000) << "call " << call;
    EXPECT_EQ(st.fuel_consumed, call == 0 ? first.fuel_consumed : later.fuel_consumed) << "call " << call;
  }
  // A call that needs more than the budget still fails, and the next one
  // (a new warm instance) gets the whole budget again.
  auto e = expect_plugin_error([&] { p->call("work", json(40000)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Fuel) << e.what();
  CallStats st;
  EXPECT_EQ(p->call("work", json(20000), &st), 199990000);
  EXPECT_EQ(st.fuel_consumed, first.fuel_consumed);
}
