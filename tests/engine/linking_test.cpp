// Instances linked to each other in one Store: Externs of every kind,
// spec type checks on import, nested calls, and the Store's limits applied
// to all instances together. Every test runs in both tiers
// (Linking.Test/interp, Linking.Test/aot): both link memories, tables and
// globals between instances of their own tier.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "support.h"
#include "wasmlet/error.h"
#include "wasmlet/extern.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

std::vector<Value> i32s(std::initializer_list<int32_t> values) {
  std::vector<Value> out;
  for (int32_t v : values) out.push_back(Value::i32(v));
  return out;
}

int32_t result(const Outcome& o) {
  EXPECT_TRUE(o.returned()) << (o.trapped() ? o.trap.to_string() : "exited");
  return o.returned() && !o.results.empty() ? o.results[0].as_i32() : INT32_MIN;
}

// Defines every export of `instance` under module name `as`.
void define_all(Linker& linker, Instance& instance, const std::string& as) {
  for (const auto& e : instance.module().exports()) linker.define(as, e.name, *instance.get_export(e.name));
}

std::string link_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const LinkError& e) {
    return e.what();
  }
  return "no LinkError";
}

class Linking : public TierTest {
 protected:
  const Module& provider_module() const { return module("link_provider"); }
  const Module& consumer_module() const { return module("link_consumer"); }

  Linker consumer_linker(Instance& provider) {
    Linker linker = compute_linker();  // host.add_one
    define_all(linker, provider, "provider");
    return linker;
  }
};

}  // namespace

TEST_P(Linking, GetExportReturnsEveryKind) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  EXPECT_EQ(provider.get_export("memory")->kind(), ExternKind::Memory);
  EXPECT_EQ(provider.get_export("table")->kind(), ExternKind::Table);
  EXPECT_EQ(provider.get_export("counter")->kind(), ExternKind::Global);
  auto fn = provider.get_export("double");
  ASSERT_TRUE(fn);
  ASSERT_NE(fn->func_type(), nullptr);
  EXPECT_EQ(fn->func_type()->to_string(), "(i32) -> (i32)");
  EXPECT_EQ(provider.get_export("memory")->type().to_string(), "memory {min 1, max 4}");
  EXPECT_EQ(provider.get_export("counter")->type().to_string(), "global mut i32");
  EXPECT_EQ(provider.get_export("table")->type().to_string(), "table funcref {min 4, no max}");
  EXPECT_FALSE(provider.get_export("nope"));
  EXPECT_EQ(&fn->store(), &store);
}

TEST_P(Linking, MemoryIsSharedNotCopied) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Instance consumer = Instance::create(store, consumer_module(), consumer_linker(provider));
  ASSERT_TRUE(consumer.start_outcome().returned());
  provider.call("store", i32s({64, 12345}));
  EXPECT_EQ(result(consumer.call("read", i32s({64}))), 12345);
  consumer.call("write", i32s({128, -9}));
  EXPECT_EQ(result(provider.call("load", i32s({128}))), -9);
  // Store::memory and Caller::memory(Extern) see the same bytes.
  GuestMemory view = store.memory(*provider.get_export("memory"));
  EXPECT_EQ(view.load<int32_t>(128), -9);
  // Growth through one instance is seen by the other.
  EXPECT_EQ(result(provider.call("grow", i32s({1}))), 1);
  EXPECT_EQ(store.memory(*provider.get_export("memory")).size(), 2u * 65536);
  consumer.call("write", i32s({65536 + 8, 77}));
  EXPECT_EQ(result(provider.call("load", i32s({65536 + 8}))), 77);
}

TEST_P(Linking, GlobalsAndFunctionsAreLinked) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Instance consumer = Instance::create(store, consumer_module(), consumer_linker(provider));
  EXPECT_EQ(result(consumer.call("bump")), 1);
  EXPECT_EQ(result(consumer.call("bump")), 2);
  EXPECT_EQ(result(provider.call("counter_value")), 2);
  EXPECT_EQ(result(consumer.call("quadruple", i32s({5}))), 20);
}

TEST_P(Linking, FuncrefTablesHoldFunctionsOfOtherInstancesAndHostFunctions) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  // Before the consumer's element segment runs, slot 1 is empty.
  Outcome empty = provider.call("dispatch", i32s({1, 10}));
  ASSERT_TRUE(empty.trapped());
  EXPECT_EQ(empty.trap.kind, TrapKind::UninitializedElement) << empty.trap.to_string();
  {
    Instance consumer = Instance::create(store, consumer_module(), consumer_linker(provider));
    EXPECT_EQ(result(provider.call("dispatch", i32s({1, 10}))), 11);   // host.add_one
    EXPECT_EQ(result(provider.call("dispatch", i32s({2, 10}))), -10);  // the consumer's $negate
    EXPECT_EQ(result(provider.call("dispatch", i32s({3, 10}))), 20);   // provider.double, re-exported
  }
  // The consumer Instance is gone; what it put into the table stays callable.
  EXPECT_EQ(result(provider.call("dispatch", i32s({1, 41}))), 42);
  EXPECT_EQ(result(provider.call("dispatch", i32s({2, 5}))), -5);
}

TEST_P(Linking, StoreCallCallsAFunctionExtern) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Extern fn = *provider.get_export("double");
  EXPECT_EQ(result(store.call(fn, i32s({21}))), 42);
  EXPECT_THROW(store.call(fn, {}), UsageError);
  EXPECT_THROW(store.call(*provider.get_export("memory"), {}), UsageError);
  Store other(engine());
  EXPECT_THROW(other.call(fn, i32s({1})), UsageError);
}

TEST_P(Linking, MismatchedImportsAreLinkErrorsNamingTheImport) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  auto with = [&](const char* import, const char* provided) {
    Linker linker = consumer_linker(provider);
    linker.define("provider", import, *provider.get_export(provided));
    return link_error([&] { Instance::create(store, consumer_module(), linker); });
  };
  // A function of the wrong type.
  std::string e = with("double", "store");
  EXPECT_NE(e.find("provider.double"), std::string::npos) << e;
  EXPECT_NE(e.find("(i32) -> (i32)"), std::string::npos) << e;
  // The wrong kind.
  e = with("memory", "double");
  EXPECT_NE(e.find("provider.memory"), std::string::npos) << e;
  EXPECT_NE(e.find("a memory was expected, but a function was provided"), std::string::npos) << e;
  // An immutable global where a mutable one is imported.
  e = with("counter", "fixed");
  EXPECT_NE(e.find("provider.counter"), std::string::npos) << e;
  EXPECT_NE(e.find("global mut i32, but the global has type global i32"), std::string::npos) << e;
  // A missing memory names the import and how to provide one.
  Linker missing = compute_linker();
  e = link_error([&] { Instance::create(store, consumer_module(), missing); });
  EXPECT_NE(e.find("provider.memory"), std::string::npos) << e;
  // An Extern of another Store.
  Store other(engine());
  Instance foreign = Instance::create(other, provider_module(), Linker{});
  Linker cross = compute_linker();
  define_all(cross, foreign, "provider");
  e = link_error([&] { Instance::create(store, consumer_module(), cross); });
  EXPECT_NE(e.find("another Store"), std::string::npos) << e;
}

TEST_P(Linking, MemoryLimitsAreCheckedAsTheSpecSays) {
  // link_consumer imports (memory 1); a provider memory of 1..4 pages fits.
  // A module that wants at least 3 pages does not fit a 1-page memory.
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  const Module& big = module("link_memory_owner");  // exports a 1-page memory without maximum
  Instance owner = Instance::create(store, big, Linker{});
  Linker linker = consumer_linker(provider);
  linker.define("provider", "memory", *owner.get_export("memory"));
  Instance ok = Instance::create(store, consumer_module(), linker);  // min 1 <= 1, no max required
  EXPECT_TRUE(ok.start_outcome().returned());
  ExternType wanted{ExternKind::Memory, {}, Limits{3, std::nullopt}, ValType::I32, false};
  auto why = extern_mismatch(wanted, owner.get_export("memory")->type());
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("fewer than the 3"), std::string::npos) << *why;
  ExternType bounded{ExternKind::Memory, {}, Limits{1, 2}, ValType::I32, false};
  why = extern_mismatch(bounded, owner.get_export("memory")->type());
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("no maximum"), std::string::npos) << *why;
  why = extern_mismatch(bounded, provider.get_export("memory")->type());  // max 4 > 2
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("exceeds"), std::string::npos) << *why;
}

TEST_P(Linking, AnInstanceDoesNotNeedItsLinkerOrTheInstanceItImportsFrom) {
  Store store(engine());
  std::optional<Instance> consumer;
  {
    Instance provider = Instance::create(store, provider_module(), Linker{});
    Linker linker = consumer_linker(provider);
    consumer.emplace(Instance::create(store, consumer_module(), linker));
    provider.call("store", i32s({16, 99}));
  }
  EXPECT_EQ(result(consumer->call("read", i32s({16}))), 99);
  EXPECT_EQ(result(consumer->call("quadruple", i32s({3}))), 12);
}

// ---- nested calls: a host function calling another instance ----

namespace {

Linker calling(const Extern& target, std::vector<Value> args, Outcome* seen) {
  Linker linker;
  linker.define("host", "call_other", FuncType{}, [target, args, seen](Caller& caller, std::span<const Value>, std::span<Value>) {
    // The host function ignores how the nested call ended: the engine must
    // still end the outer call with it.
    *seen = caller.store().call(target, args);
  });
  return linker;
}

}  // namespace

TEST_P(Linking, ANestedCallReturnsToTheHostFunction) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Outcome seen;
  Instance outer = Instance::create(store, module("link_calls_host"),
                                    calling(*provider.get_export("double"), i32s({4}), &seen));
  EXPECT_EQ(result(outer.call("run")), 1);
  EXPECT_EQ(result(seen), 8);
}

TEST_P(Linking, ATrapInANestedCallEndsTheOutermostCall) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Outcome seen;
  // dispatch through an empty slot traps inside the nested call.
  Instance outer = Instance::create(store, module("link_calls_host"),
                                    calling(*provider.get_export("dispatch"), i32s({0, 1}), &seen));
  Outcome o = outer.call("run");
  ASSERT_TRUE(seen.trapped());
  ASSERT_TRUE(o.trapped()) << "the host function swallowed the trap, the outer call returned";
  EXPECT_EQ(o.trap.kind, TrapKind::UninitializedElement) << o.trap.to_string();
  EXPECT_EQ(o.trap.function, "dispatch") << o.trap.to_string();
  // The Store is usable afterwards.
  EXPECT_EQ(result(provider.call("double", i32s({2}))), 4);
}

TEST_P(Linking, AnExitInANestedCallEndsTheOutermostCall) {
  Store store(engine());
  Linker exiting;
  exiting.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                 [](Caller& caller, std::span<const Value> args, std::span<Value>) { caller.exit(args[0].as_i32()); });
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Linker linker = exiting;
  define_all(linker, provider, "provider");
  Instance consumer = Instance::create(store, consumer_module(), linker);  // puts the exiting host function in slot 1
  Outcome seen;
  Instance outer = Instance::create(store, module("link_calls_host"),
                                    calling(*provider.get_export("dispatch"), i32s({1, 23}), &seen));
  Outcome o = outer.call("run");
  EXPECT_TRUE(seen.exited());
  ASSERT_TRUE(o.exited()) << (o.trapped() ? o.trap.to_string() : "returned");
  EXPECT_EQ(o.exit_code, 23);
  EXPECT_EQ(result(provider.call("double", i32s({2}))), 4);
}

// ---- the Store's limits cover every instance ----

TEST_P(Linking, FuelIsOneBudgetForAllInstances) {
  // The same work, split across two instances or done by one, costs the same.
  auto run = [&](bool split) {
    Store store(engine(), StoreLimits{.fuel = 10'000'000});
    Instance a = Instance::create(store, provider_module(), Linker{});
    Instance b = Instance::create(store, provider_module(), Linker{});
    if (split) {
      result(a.call("spin", i32s({50'000})));
      result(b.call("spin", i32s({50'000})));
    } else {
      result(a.call("spin", i32s({50'000})));
      result(a.call("spin", i32s({50'000})));
    }
    return store.fuel_consumed();
  };
  uint64_t one = run(false), two = run(true);
  EXPECT_GT(one, 500'000u);
  EXPECT_EQ(one, two);
  // A budget that covers one instance's work but not both stops the second.
  Store store(engine(), StoreLimits{.fuel = one * 3 / 4});
  Instance a = Instance::create(store, provider_module(), Linker{});
  Instance b = Instance::create(store, provider_module(), Linker{});
  EXPECT_TRUE(a.call("spin", i32s({50'000})).returned());
  Outcome o = b.call("spin", i32s({50'000}));
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::FuelExhausted);
  EXPECT_EQ(store.fuel_consumed(), one * 3 / 4);  // all of it, no more
}

TEST_P(Linking, TheMemoryLimitCountsEveryInstancesMemory) {
  Store store(engine(), StoreLimits{.max_memory_bytes = 4 * 65536});
  const Module& owner_module = module("link_memory_owner");
  Instance a = Instance::create(store, owner_module, Linker{});
  Instance b = Instance::create(store, owner_module, Linker{});
  EXPECT_EQ(store.memory_bytes(), 2u * 65536);
  EXPECT_EQ(result(a.call("grow", i32s({1}))), 1);   // 3 pages in the Store
  EXPECT_EQ(result(b.call("grow", i32s({2}))), -1);  // would be 5
  EXPECT_TRUE(store.memory_limit_hit());
  EXPECT_EQ(result(b.call("grow", i32s({1}))), 1);   // 4: exactly the limit
  EXPECT_EQ(result(a.call("grow", i32s({1}))), -1);
  EXPECT_EQ(store.memory_bytes(), 4u * 65536);
  // A third instance does not fit at all.
  std::string e = link_error([&] { Instance::create(store, owner_module, Linker{}); });
  EXPECT_NE(e.find("other instances use"), std::string::npos) << e;
}

TEST_P(Linking, TheTimeoutAndInterruptStopANestedCall) {
  Store store(engine(), StoreLimits{.timeout = std::chrono::milliseconds(200)});
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Outcome seen;
  Instance outer = Instance::create(store, module("link_calls_host"),
                                    calling(*provider.get_export("spin"), i32s({-1}), &seen));  // ~4e9 iterations
  auto start = std::chrono::steady_clock::now();
  Outcome o = outer.call("run");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(o.trapped());
  EXPECT_EQ(o.trap.kind, TrapKind::DeadlineExceeded) << o.trap.to_string();
  EXPECT_LT(took, std::chrono::seconds(3));

  Store interrupted(engine());
  Instance p2 = Instance::create(interrupted, provider_module(), Linker{});
  Instance o2 = Instance::create(interrupted, module("link_calls_host"),
                                 calling(*p2.get_export("spin"), i32s({-1}), &seen));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    interrupted.interrupt();
  });
  Outcome stopped = o2.call("run");
  stopper.join();
  ASSERT_TRUE(stopped.trapped());
  EXPECT_EQ(stopped.trap.kind, TrapKind::Interrupted) << stopped.trap.to_string();
}

TEST_P(Linking, FunctionsWrittenIntoAnotherInstancesTableRunThere) {
  Store store(engine());
  Instance provider = Instance::create(store, provider_module(), Linker{});
  Linker linker = compute_linker();
  define_all(linker, provider, "provider");
  {
    Instance writer = Instance::create(store, module("link_table_writer"), linker);
    // table.set of a ref.func of an imported host function, at run time.
    ASSERT_TRUE(writer.call("put_host", i32s({2})).returned());
    // A trap in the writer's function, called through the provider's table,
    // names the writer's function, in a call of the provider.
    Outcome o = provider.call("dispatch", i32s({0, 1}));
    ASSERT_TRUE(o.trapped());
    EXPECT_EQ(o.trap.kind, TrapKind::Unreachable) << o.trap.to_string();
    EXPECT_EQ(o.trap.function, "boom") << o.trap.to_string();
  }
  // The writer is gone; what it put into the table stays callable.
  EXPECT_EQ(result(provider.call("dispatch", i32s({2, 41}))), 42);
  EXPECT_EQ(provider.call("dispatch", i32s({0, 1})).trap.kind, TrapKind::Unreachable);
  // A slot past the end of the shared table.
  Outcome mismatch = provider.call("dispatch", i32s({5, 1}));
  ASSERT_TRUE(mismatch.trapped());
  EXPECT_EQ(mismatch.trap.kind, TrapKind::TableOutOfBounds) << mismatch.trap.to_string();
}

TEST_P(Linking, ModulesImportingMemoriesTablesAndGlobalsRunInTheEnginesTier) {
  std::string why;
  if (tier() == Tier::Aot && !have_c_compiler(&why)) GTEST_SKIP() << why;
  // compile_for (support.h) fails if the AOT engine fell back with a note.
  EXPECT_NO_THROW(compile_for(tier(), wat_to_wasm("(module (import \"p\" \"m\" (memory 1)) (import \"p\" \"t\" "
                                                  "(table 1 funcref)) (import \"p\" \"g\" (global (mut i64))))",
                                                  ""),
                              "imports_items"));
}

TEST(LinkingTiers, MemoriesTablesAndGlobalsAreNotLinkedAcrossTiers) {
  std::string why;
  if (!have_c_compiler(&why)) GTEST_SKIP() << why;
  // A native consumer cannot use an interpreter instance's memory: a
  // LinkError that says so (the functions alone would link).
  Store store(engine_for(Tier::Aot));
  Instance provider = Instance::create(store, fixture_module(Tier::Interpreter, "link_provider"), Linker{});
  Linker linker = compute_linker();
  define_all(linker, provider, "provider");
  std::string e = link_error([&] { Instance::create(store, fixture_module(Tier::Aot, "link_consumer"), linker); });
  EXPECT_NE(e.find("provider.memory"), std::string::npos) << e;
  EXPECT_NE(e.find("not an AOT-tier item"), std::string::npos) << e;
  // And the other way round.
  Instance native = Instance::create(store, fixture_module(Tier::Aot, "link_provider"), Linker{});
  Linker to_interp = compute_linker();
  define_all(to_interp, native, "provider");
  e = link_error([&] { Instance::create(store, fixture_module(Tier::Interpreter, "link_consumer"), to_interp); });
  EXPECT_NE(e.find("not an interpreter-tier item"), std::string::npos) << e;
}

WASMLET_TEST_IN_EVERY_TIER(Linking);

// ---- Module::compile never aborts on a malformed name section ----

TEST(LinkingNames, OutOfOrderAndOutOfRangeLocalNamesAreNotFatal) {
  // (func (param i32 i32)) with a "name" section whose local names for
  // function 0 are out of order (1 before 0) and name a local that does not
  // exist (9). wabt asserted on such sections; wasmlet compiles or refuses
  // cleanly and never aborts.
  const std::vector<uint8_t> wasm = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00,  // type: (i32 i32) -> ()
      0x03, 0x02, 0x01, 0x00,                          // func 0: type 0
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,              // code: empty body
      0x00, 0x13, 0x04, 'n', 'a', 'm', 'e',            // custom "name"
      0x02, 0x0c, 0x01, 0x00, 0x03,                    // local names: func 0, 3 names
      0x01, 0x01, 'b', 0x00, 0x01, 'a', 0x09, 0x01, 'z'};
  Engine engine;
  try {
    Module m = Module::compile(engine, wasm, "bad-names");
    Store store(engine);
    Instance i = Instance::create(store, m, Linker{});
    EXPECT_TRUE(i.start_outcome().returned());
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("bad-names"), std::string::npos) << e.what();
  }
}
