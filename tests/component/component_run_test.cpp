// Instantiating components and running wasi:cli/run on the engine.
#include <gtest/gtest.h>

#include <random>
#include <typeinfo>

#include "component_fixtures.h"
#include "wasmlet/component/component.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

using namespace wasmlet;
using namespace wasmlet::component;

namespace {

struct RunResult {
  Outcome outcome;
  std::string out, err;
};

RunResult run(const std::vector<uint8_t>& bytes, std::vector<std::string> args) {
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "test.component.wasm");
  Store store(engine);
  RunResult r;
  WasiConfig config;
  config.args = std::move(args);
  config.output = [&r](wasmlet::OutputStream s, std::span<const uint8_t> b) {
    (s == wasmlet::OutputStream::Stdout ? r.out : r.err).append(b.begin(), b.end());
  };
  WasiHost host(config);
  r.outcome = run_component(store, c, host);
  EXPECT_LE(host.live_resources(), 0u) << "host resources leaked";
  return r;
}

}  // namespace

TEST(ComponentRun, HandWrittenCommandPrintsItsArguments) {
  REQUIRE_COMPONENT(bytes, "p2_echo");
  RunResult r = run(bytes, {"p2_echo", "caf\xc3\xa9"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 0);
  EXPECT_EQ(r.out, "hello\ncaf\xc3\xa9\n");
  EXPECT_EQ(r.err, "");
}

TEST(ComponentRun, WasiCliExitSetsTheExitCode) {
  REQUIRE_COMPONENT(bytes, "p2_echo");
  RunResult r = run(bytes, {"p2_echo", "a", "b"});
  ASSERT_TRUE(r.outcome.exited()) << r.outcome.trap.to_string();
  EXPECT_EQ(r.outcome.exit_code, 1);
  EXPECT_EQ(r.out, "hello\na\nb\n");
}

TEST(ComponentRun, ComponentsWithoutWasiCliRunAreRefused) {
  // A well-formed component holding only a custom section.
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 'x'};
  try {
    run(bytes, {"x"});
    FAIL() << "ran a component without wasi:cli/run";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("exports no wasi:cli/run"), std::string::npos) << e.what();
  }
}

TEST(ComponentRun, JcoCommandComponentsNeedInstanceToInstanceLinking) {
  // Until the engine links memories and tables between core instances
  // (src/component/README.md), jco's adapter cannot be instantiated; the
  // error says which import and why.
  REQUIRE_COMPONENT(bytes, "hello_stdio");
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "hello_stdio.component.wasm");
  EXPECT_EQ(c.run_export().value_or(""), "wasi:cli/run@0.2.12") << "jco's adapter version changed";
  Store store(engine);
  WasiHost host(WasiConfig{{"hello"}, {}, {}, {}, [](wasmlet::OutputStream, std::span<const uint8_t>) {}, {}});
  try {
    run_component(store, c, host);
    FAIL() << "expected a LinkError";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("needs engine support"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("env.memory"), std::string::npos) << e.what();
  }
}

TEST(ComponentRun, MutatedComponentsFailCleanly) {
  // Bit flips anywhere in a small runnable component: compiling and running
  // must end in a wasmlet error, an outcome, or success; never a crash or a
  // stray standard-library exception.
  REQUIRE_COMPONENT(bytes, "p2_echo");
  // Core module bodies are the engine's to validate (Module::compile); flip
  // bits in the component-level structure only.
  std::vector<bool> in_core(bytes.size(), false);
  for (auto* m : parse_component(bytes, "p2_echo").core_modules())
    for (size_t k = 0; k < m->bytes.size(); ++k) in_core[m->offset + k] = true;
  std::vector<size_t> positions;
  for (size_t k = 0; k < bytes.size(); ++k)
    if (!in_core[k]) positions.push_back(k);
  std::mt19937 rng(7);
  int ran = 0, refused = 0;
  for (int i = 0; i < 1500; ++i) {
    auto m = bytes;
    for (int f = 0, n = 1 + int(rng() % 3); f < n; ++f) m[positions[rng() % positions.size()]] ^= uint8_t(1u << (rng() % 8));
    Engine engine;
    StoreLimits limits;
    limits.fuel = 1'000'000;
    Store store(engine, limits);
    WasiConfig config;
    config.args = {"p2_echo", "x"};
    config.output = [](wasmlet::OutputStream, std::span<const uint8_t>) {};
    WasiHost host(config);
    try {
      auto c = CompiledComponent::compile(engine, m, "mutated");
      run_component(store, c, host);
      ++ran;
    } catch (const wasmlet::Error&) {
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << i << " escaped as " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(ran + refused, 1499);
}
