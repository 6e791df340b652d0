// Every trap kind is reported with its kind, message and the function that
// trapped, in every tier (Traps.X/interp, Traps.X/aot): the AOT run must
// report exactly what the interpreter reports.
#include <gtest/gtest.h>

#include <stdexcept>

#include <fmt/format.h>

#include "support.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

// The first call of `export_name` in a fresh trap_kinds instance of `tier`.
Outcome first_call(Tier tier, const char* export_name) {
  Store store(engine_for(tier));
  Instance inst = Instance::create(store, fixture_module(tier, "trap_kinds"), Linker{});
  return inst.call(export_name);
}

}  // namespace

class Traps : public TierTest {
 protected:
  // trap_kinds.wat: each export traps inside a named helper function.
  void expect_trap(const char* export_name, TrapKind kind, const char* function) {
    Store store(engine());
    Instance inst = Instance::create(store, module("trap_kinds"), Linker{});
    ASSERT_TRUE(inst.start_outcome().returned());
    Outcome o = inst.call(export_name);
    ASSERT_TRUE(o.trapped()) << export_name << " returned";
    EXPECT_EQ(o.trap.kind, kind) << o.trap.to_string();
    // An out-of-bounds access in AOT code is a fault, found by address:
    // gcc inlined do_oob into the export that calls it, which may be named
    // instead (docs/aot.md, "Which function trapped").
    const bool fault_in_native_code = tier() == Tier::Aot && kind == TrapKind::MemoryOutOfBounds;
    if (fault_in_native_code) {
      EXPECT_TRUE(o.trap.function == function || o.trap.function == "func[12]") << o.trap.to_string();
    } else {
      EXPECT_EQ(o.trap.function, function) << o.trap.to_string();
    }
    EXPECT_EQ(o.trap.to_string().rfind(std::string("trap: ") + to_string(kind), 0), 0u) << o.trap.to_string();
    // The instance stays usable after a trap, and traps again the same way.
    Outcome again = inst.call(export_name);
    ASSERT_TRUE(again.trapped());
    EXPECT_EQ(again.trap.to_string(), o.trap.to_string());
    // The same report, word for word, as the interpreter's.
    if (tier() != Tier::Interpreter) {
      const Outcome reference = first_call(Tier::Interpreter, export_name);
      EXPECT_EQ(o.trap.message, reference.trap.message);
      if (!fault_in_native_code) EXPECT_EQ(o.trap.to_string(), reference.trap.to_string());
    }
  }
};
WASMLET_TEST_IN_EVERY_TIER(Traps);

TEST_P(Traps, Unreachable) { expect_trap("unreachable", TrapKind::Unreachable, "do_unreachable"); }
TEST_P(Traps, IntegerDivideByZero) { expect_trap("div_zero", TrapKind::IntegerDivideByZero, "do_div_zero"); }
TEST_P(Traps, IntegerOverflow) { expect_trap("overflow", TrapKind::IntegerOverflow, "do_overflow"); }
TEST_P(Traps, InvalidConversion) { expect_trap("bad_convert", TrapKind::InvalidConversion, "do_bad_convert"); }
TEST_P(Traps, MemoryOutOfBounds) {
  expect_trap("out_of_bounds", TrapKind::MemoryOutOfBounds, "do_oob");
  EXPECT_EQ(first_call(tier(), "out_of_bounds").trap.message,
            "out of bounds memory access: byte 70000 is past the end of memory (65536 bytes)");
}
// memory.fill, copy and init name the end of the range that does not fit
// (a copy whose source and destination both do not: its source), in every tier.
TEST_P(Traps, BulkMemoryOutOfBounds) {
  const std::pair<const char*, const char*> cases[] = {
      {"fill_out_of_bounds", "byte 65540"},
      {"copy_to_out_of_bounds", "byte 65540"},
      {"copy_from_out_of_bounds", "byte 65538"},
      {"init_out_of_bounds", "byte 65540"},
  };
  for (const auto& [export_name, byte] : cases) {
    const Outcome o = first_call(tier(), export_name);
    ASSERT_TRUE(o.trapped()) << export_name;
    EXPECT_EQ(o.trap.kind, TrapKind::MemoryOutOfBounds) << o.trap.to_string();
    EXPECT_EQ(o.trap.message, fmt::format("out of bounds memory access: {} is past the end of memory (65536 bytes)", byte))
        << export_name;
    // The AOT tier finds the function by the trap's address: gcc may have
    // inlined the helper into its (unnamed) exported caller.
    const std::string helper = "do_" + std::string(export_name).substr(0, std::string(export_name).find("_out_of")) + "_oob";
    const bool inlined = tier() == Tier::Aot && o.trap.function.rfind("func[", 0) == 0;
    EXPECT_TRUE(o.trap.function == helper || inlined) << o.trap.to_string();
  }
}
TEST_P(Traps, StackOverflow) { expect_trap("stack_overflow", TrapKind::StackExhausted, "do_recurse"); }
TEST_P(Traps, CallIndirectTypeMismatch) {
  expect_trap("indirect_mismatch", TrapKind::IndirectCallTypeMismatch, "do_bad_indirect");
}
TEST_P(Traps, CallIndirectNullElement) {
  expect_trap("indirect_null", TrapKind::UninitializedElement, "do_null_indirect");
}
TEST_P(Traps, CallIndirectOutOfRange) {
  expect_trap("indirect_out_of_range", TrapKind::TableOutOfBounds, "do_indirect_out_of_range");
}

// Deep recursion on a thread with a small (1 MiB) stack is a trap too, not a crash.
TEST_P(Traps, StackOverflowOnASmallThreadStack) {
  Outcome outcome;
  run_on_thread_with_stack(1 << 20, [&] {
    Store store(engine());
    Instance inst = Instance::create(store, module("trap_kinds"), Linker{});
    outcome = inst.call("stack_overflow");
  });
  ASSERT_TRUE(outcome.trapped());
  EXPECT_EQ(outcome.trap.kind, TrapKind::StackExhausted);
  EXPECT_EQ(outcome.trap.function, "do_recurse");
}

// ---------------------------------------------------------------- host functions

class HostTraps : public TierTest {};
WASMLET_TEST_IN_EVERY_TIER(HostTraps);

TEST_P(HostTraps, HostFunctionsCanTrapThrowAndExit) {
  Store store(engine());
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller& caller, std::span<const Value> args, std::span<Value>) {
                  if (args[0].as_i32() == 0) caller.trap("refusing zero");
                  if (args[0].as_i32() == 1) throw std::runtime_error("plain C++ exception");
                  caller.exit(args[0].as_i32());
                });
  Instance inst = Instance::create(store, module("tier_compute"), linker);
  std::vector<Value> zero = {Value::i32(0)}, one = {Value::i32(1)}, seven = {Value::i32(7)};
  Outcome trapped = inst.call("call_host", zero);
  ASSERT_TRUE(trapped.trapped());
  EXPECT_EQ(trapped.trap.kind, TrapKind::HostError);
  EXPECT_EQ(trapped.trap.message, "host.add_one: refusing zero");
  Outcome thrown = inst.call("call_host", one);
  ASSERT_TRUE(thrown.trapped());
  EXPECT_EQ(thrown.trap.kind, TrapKind::HostError);
  EXPECT_EQ(thrown.trap.message, "host.add_one: plain C++ exception");
  Outcome exited = inst.call("call_host", seven);
  ASSERT_TRUE(exited.exited());
  EXPECT_EQ(exited.exit_code, 7);
  // Nothing of the trap or the exit sticks to the instance.
  std::vector<Value> add = {Value::i32(40), Value::i32(2)};
  EXPECT_EQ(inst.call("add", add).results.at(0).as_i32(), 42);
}

TEST_P(HostTraps, MemoryFaultsInHostFunctionsBecomeTraps) {
  Store store(engine());
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller& caller, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(caller.memory().load<int32_t>(static_cast<uint32_t>(args[0].as_i32())));
                });
  Instance inst = Instance::create(store, module("tier_compute"), linker);
  std::vector<Value> ok = {Value::i32(0)}, bad = {Value::i32(65535)};
  EXPECT_TRUE(inst.call("call_host", ok).returned());
  Outcome o = inst.call("call_host", bad);
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::HostError);
  EXPECT_NE(o.trap.message.find("out of bounds: 4 bytes at offset 65535"), std::string::npos) << o.trap.message;
}
