// Instantiating components and running wasi:cli/run on the engine.
#include <gtest/gtest.h>

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
