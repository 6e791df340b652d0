// Host references (externref): the host's own values pass through the guest
// unchanged, through locals, tables and host functions, in every tier
// (value.h). A module with externref at its host boundary runs in the
// interpreter even under the AOT tier (docs/aot.md), so both must agree.
#include <gtest/gtest.h>

#include <vector>

#include "support.h"

namespace wasmlet::testing {
namespace {

constexpr const char* kHostReferences = R"((module
  (import "host" "echo" (func $echo (param externref) (result externref)))
  (table $kept 2 externref)
  (func (export "keep") (param externref) (table.set $kept (i32.const 1) (local.get 0)))
  (func (export "load") (result externref) (call $echo (table.get $kept (i32.const 1))))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))))";

class HostReferences : public TierTest {};

TEST_P(HostReferences, ComeBackAsTheyWentIn) {
  // Module::compile, not compile_for: the AOT engine hands this module to the interpreter.
  const Module module = Module::compile(engine(), wat_to_wasm(kHostReferences, ""), "host_references.wasm");
  std::vector<uintptr_t> echoed;
  Linker linker;
  linker.define("host", "echo", FuncType{{ValType::ExternRef}, {ValType::ExternRef}},
                [&](Caller&, std::span<const Value> args, std::span<Value> results) {
                  echoed.push_back(args[0].as_ref());
                  results[0] = args[0];
                });
  Store store(engine());
  Instance instance = Instance::create(store, module, linker);

  const uintptr_t id = 0xfeedface12345678u;  // any non-zero value the host chooses
  const std::vector<Value> ref = {Value::ref(ValType::ExternRef, id)};
  ASSERT_TRUE(instance.call("keep", ref).returned());
  const Outcome loaded = instance.call("load");
  ASSERT_TRUE(loaded.returned());
  EXPECT_EQ(loaded.results.at(0).type(), ValType::ExternRef);
  EXPECT_EQ(loaded.results.at(0).as_ref(), id);
  EXPECT_EQ(echoed, std::vector<uintptr_t>{id});

  EXPECT_EQ(instance.call("is_null", ref).results.at(0).as_i32(), 0);
  const std::vector<Value> null = {Value::ref(ValType::ExternRef, 0)};
  EXPECT_EQ(instance.call("is_null", null).results.at(0).as_i32(), 1);
}

WASMLET_TEST_IN_EVERY_TIER(HostReferences);

}  // namespace
}  // namespace wasmlet::testing
