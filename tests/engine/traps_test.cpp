// Every trap kind is reported with its kind, message and the function that trapped.
#include <gtest/gtest.h>

#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;

struct TrapCase {
  const char* export_name;
  TrapKind kind;
  const char* function;
};

class Traps : public ::testing::TestWithParam<TrapCase> {};

TEST_P(Traps, ReportKindAndFunction) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("trap_kinds"));
  Store store(engine);
  Instance inst = Instance::create(store, m, Linker{});
  Outcome o = inst.call(GetParam().export_name);
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, GetParam().kind) << o.trap.to_string();
  EXPECT_EQ(o.trap.function, GetParam().function) << o.trap.to_string();
  EXPECT_NE(o.trap.to_string().find(to_string(GetParam().kind)), std::string::npos) << o.trap.to_string();
  // The instance stays usable after a trap.
  EXPECT_TRUE(inst.call(GetParam().export_name).trapped());
}

INSTANTIATE_TEST_SUITE_P(
    Interpreter, Traps,
    ::testing::Values(TrapCase{"unreachable", TrapKind::Unreachable, "do_unreachable"},
                      TrapCase{"div_zero", TrapKind::IntegerDivideByZero, "do_div_zero"},
                      TrapCase{"out_of_bounds", TrapKind::MemoryOutOfBounds, "do_oob"},
                      TrapCase{"stack_overflow", TrapKind::StackExhausted, "do_recurse"},
                      TrapCase{"indirect_mismatch", TrapKind::IndirectCallTypeMismatch, "do_bad_indirect"},
                      TrapCase{"indirect_null", TrapKind::UninitializedElement, "do_null_indirect"},
                      TrapCase{"overflow", TrapKind::IntegerOverflow, "do_overflow"},
                      TrapCase{"bad_convert", TrapKind::InvalidConversion, "do_bad_convert"}),
    [](const auto& info) { return std::string(info.param.export_name); });

TEST(HostTraps, HostFunctionsCanTrapAndExit) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller& caller, std::span<const Value> args, std::span<Value>) {
                  if (args[0].as_i32() == 0) caller.trap("refusing zero");
                  caller.exit(args[0].as_i32());
                });
  Instance inst = Instance::create(store, m, linker);
  std::vector<Value> zero = {Value::i32(0)}, seven = {Value::i32(7)};
  Outcome trapped = inst.call("call_host", zero);
  ASSERT_TRUE(trapped.trapped());
  EXPECT_EQ(trapped.trap.kind, TrapKind::HostError);
  EXPECT_EQ(trapped.trap.message, "host.add_one: refusing zero");
  Outcome exited = inst.call("call_host", seven);
  ASSERT_TRUE(exited.exited());
  EXPECT_EQ(exited.exit_code, 7);
}

TEST(HostTraps, MemoryFaultsInHostFunctionsBecomeTraps) {
  Engine engine;
  Module m = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller& caller, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(caller.memory().load<int32_t>(static_cast<uint32_t>(args[0].as_i32())));
                });
  Instance inst = Instance::create(store, m, linker);
  std::vector<Value> ok = {Value::i32(0)}, bad = {Value::i32(65535)};
  EXPECT_TRUE(inst.call("call_host", ok).returned());
  Outcome o = inst.call("call_host", bad);
  ASSERT_TRUE(o.trapped());
  EXPECT_NE(o.trap.message.find("out of bounds: 4 bytes at offset 65535"), std::string::npos) << o.trap.message;
}
