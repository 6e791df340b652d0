// The program runner (wasmlet/program.h): one call compiles and runs a core
// module or a command component, takes the same entry points and gives
// outcomes that command_status maps the same way.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "component_fixtures.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/program.h"
#include "wasmlet/store.h"

using namespace wasmlet;

namespace {

std::vector<uint8_t> module_bytes(const std::string& name) {
  return component_test::read_file(std::filesystem::path(WASM_DIR) / (name + ".wasm"));
}

struct Ran {
  Outcome outcome;
  int status = -1;
  std::string out;
};

Ran run(const Program& program, Engine& engine, std::vector<std::string> args, RunProgramOptions options = {},
        StoreLimits limits = {}) {
  Ran r;
  WasiConfig wasi;
  wasi.args = std::move(args);
  wasi.output = [&r](OutputStream s, std::span<const uint8_t> b) {
    if (s == OutputStream::Stdout) r.out.append(b.begin(), b.end());
  };
  Store store(engine, limits);
  r.outcome = run_program(store, program, std::move(wasi), options);
  r.status = command_status(r.outcome, store).status;
  return r;
}

}  // namespace

TEST(Program, AModuleAndItsComponentRunAlikeThroughOneCall) {
  // Built with wasip2_glue, so the component exits with the module's code
  // (jco's adapter alone maps every nonzero code to 1).
  auto component_path = component_test::wasip2_component_path("rt_env_args");
  if (!std::filesystem::exists(component_path)) GTEST_SKIP() << component_path << " was not built (jco missing: npm ci)";
  auto component_bytes = component_test::read_file(component_path);
  Engine engine;
  Program module = Program::compile(engine, module_bytes("rt_env_args"), "rt_env_args.wasm");
  Program component = Program::compile(engine, component_bytes, "rt_env_args.component.wasm");
  ASSERT_FALSE(module.is_component());
  ASSERT_NE(module.module(), nullptr);
  ASSERT_TRUE(component.is_component());
  ASSERT_NE(component.component(), nullptr);
  EXPECT_EQ(module.entry(), "_start");
  EXPECT_TRUE(component.entry().has_value());
  EXPECT_EQ(component.name(), "rt_env_args.component.wasm");

  int entered = 0;
  RunProgramOptions options;
  options.on_entry = [&] { ++entered; };
  Ran m = run(module, engine, {"app", "x1"}, options);
  Ran c = run(component, engine, {"app", "x1"}, options);
  EXPECT_EQ(entered, 2);
  EXPECT_EQ(m.status, 7) << m.outcome.trap.to_string();
  EXPECT_EQ(c.status, m.status) << c.outcome.trap.to_string();
  EXPECT_NE(m.out.find("arg[1]=x1\n"), std::string::npos) << m.out;
  EXPECT_EQ(c.out, m.out);
}

TEST(Program, ALimitTrapMapsToTheSameStatusForBothKinds) {
  REQUIRE_COMPONENT(component_bytes, "loop_forever");
  Engine engine;
  StoreLimits limits{.fuel = 100000};
  Ran m = run(Program::compile(engine, module_bytes("loop_forever"), "loop_forever.wasm"), engine, {"loop"}, {}, limits);
  Ran c = run(Program::compile(engine, component_bytes, "loop_forever.component.wasm"), engine, {"loop"}, {}, limits);
  ASSERT_TRUE(m.outcome.trapped());
  ASSERT_TRUE(c.outcome.trapped());
  EXPECT_EQ(m.outcome.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(c.outcome.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(m.status, kTrapExitStatus);
  EXPECT_EQ(c.status, kTrapExitStatus);
}

TEST(Program, BytesThatAreNeitherAreRefusedByName) {
  Engine engine;
  std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'w', 'a', 's', 'm'};
  try {
    Program::compile(engine, junk, "junk.bin");
    FAIL() << "compiled junk";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.bin: not a WebAssembly module or component"), std::string::npos) << e.what();
  }
}

TEST(Program, AModuleWithoutAnEntryPointIsAUsageError) {
  Engine engine;
  // The 8-byte header alone: a valid, empty module.
  std::vector<uint8_t> empty = {0, 'a', 's', 'm', 1, 0, 0, 0};
  Program program = Program::compile(engine, empty, "empty.wasm");
  EXPECT_EQ(program.entry(), std::nullopt);
  Store store(engine);
  try {
    run_program(store, program, WasiConfig{});
    FAIL() << "ran a module without an entry point";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.wasm: no entry point"), std::string::npos) << e.what();
  }
}

TEST(Program, FindEntryTakesTheFirstExportedFunctionOfTheList) {
  Engine engine;
  Module module = Module::compile(engine, module_bytes("rt_env_args"), "rt_env_args.wasm");
  const std::string_view plugin_names[] = {"execute", "run", "_start", "main"};
  EXPECT_EQ(find_entry(module, plugin_names), "_start");
  const std::string_view none[] = {"execute", "memory"};  // "memory" is exported, but not as a function
  EXPECT_EQ(find_entry(module, none), std::nullopt);
}
