// Modules that once crashed the host or made the engine lie (issue 12):
// each runs in every tier and must end with a result, a trap or a clear
// error, never a crash.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support.h"
#include "wasmlet/error.h"
#include "wasmlet/wasi.h"
#include "wasmlet/wasi_command.h"

using namespace wasmlet;
using namespace wasmlet::testing;

namespace {

void append_leb(std::vector<uint8_t>& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(byte | (value ? 0x80 : 0));
  } while (value);
}

void append_section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  out.push_back(id);
  append_leb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// A module exporting "run": () -> () whose body nests `depth` blocks (or
// loops, or ifs on a constant), built as bytes: wat2wasm itself would
// overflow its stack on the deepest ones.
std::vector<uint8_t> nested_module(uint32_t depth, uint8_t opcode = 0x02) {
  std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  append_section(m, 1, {0x01, 0x60, 0x00, 0x00});                 // type 0: () -> ()
  append_section(m, 3, {0x01, 0x00});                             // func 0: type 0
  append_section(m, 7, {0x01, 0x03, 'r', 'u', 'n', 0x00, 0x00});  // export "run" = func 0
  std::vector<uint8_t> body = {0x00};                             // no locals
  for (uint32_t i = 0; i < depth; ++i) {
    if (opcode == 0x04) body.insert(body.end(), {0x41, 0x01});    // i32.const 1 for `if`
    body.insert(body.end(), {opcode, 0x40});
  }
  body.insert(body.end(), depth + 1, 0x0b);
  std::vector<uint8_t> code = {0x01};
  append_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  append_section(m, 10, code);
  return m;
}

}  // namespace

class Hardening : public TierTest {
 protected:
  Module compile_wat(const std::string& wat, const std::string& name) {
    return compile_for(tier(), wat_to_wasm(wat, "--debug-names"), name);
  }
};
WASMLET_TEST_IN_EVERY_TIER(Hardening);

// ---------------------------------------------------------------- recursion through call_indirect

// wabt's interpreter (the interpreter tier until issue 13) ran on past its
// call stack here, with a corrupted value stack: wrong results, then a host
// abort or SIGSEGV (the i64 below read as a function reference).
TEST_P(Hardening, RecursionThroughCallIndirectTrapsLikeDirectRecursion) {
  Module m = compile_wat(R"((module
    (type $t (func (param i64) (result i64)))
    (table 3 funcref)
    (elem (i32.const 0) $rec $mixed $plus_one)
    (func $rec (type $t) (param i64) (result i64)
      local.get 0 i64.const 1 i64.add
      i32.const 0 call_indirect (type $t)
      i64.const 1 i64.add)
    ;; direct and indirect calls taking turns
    (func $mixed (type $t) (param i64) (result i64)
      local.get 0 i64.const 1 i64.add call $direct)
    (func $direct (param i64) (result i64)
      local.get 0 i32.const 1 call_indirect (type $t))
    (func $direct_only (param i64) (result i64)
      local.get 0 i64.const 1 i64.add call $direct_only)
    (func (export "indirect") (result i64) i64.const 0 i32.const 0 call_indirect (type $t))
    (func (export "mixed") (result i64) i64.const 0 call $mixed)
    (func (export "direct") (result i64) i64.const 0 call $direct_only)
    (func $plus_one (type $t) (param i64) (result i64) local.get 0 i64.const 1 i64.add)
    ;; 100 + n, one indirect call per level
    (func $depth (param i64) (result i64)
      local.get 0 i64.eqz if (result i64) i64.const 100 else
        local.get 0 i64.const 1 i64.sub call $depth
        i32.const 2 call_indirect (type $t) end)
    (func (export "shallow") (result i64) i64.const 500 call $depth)
  ))", "indirect_recursion");
  Store store(engine());
  Instance inst = Instance::create(store, m, Linker{});
  const Outcome direct = inst.call("direct");
  ASSERT_TRUE(direct.trapped());
  ASSERT_EQ(direct.trap.kind, TrapKind::StackExhausted) << direct.trap.to_string();
  for (const char* name : {"indirect", "mixed"}) {
    for (int round = 0; round < 2; ++round) {  // and again on the same instance
      const Outcome o = inst.call(name);
      ASSERT_TRUE(o.trapped()) << name << " returned " << (o.results.empty() ? 0 : o.results[0].as_i64());
      EXPECT_EQ(o.trap.kind, TrapKind::StackExhausted) << o.trap.to_string();
      EXPECT_EQ(o.trap.message, direct.trap.message);
      EXPECT_TRUE(o.trap.function == "rec" || o.trap.function == "mixed" || o.trap.function == "direct")
          << o.trap.to_string();
    }
  }
  // Shallow indirect calls still work, and the instance is sound after the traps.
  const Outcome ok = inst.call("shallow");
  ASSERT_TRUE(ok.returned()) << ok.trap.to_string();
  EXPECT_EQ(ok.results.at(0).as_i64(), 600);
}

// ---------------------------------------------------------------- host functions called by the host

// An import re-exported and called by the host (a WASI import exported as
// _start used to crash the interpreter: its results had no room).
TEST_P(Hardening, ReexportedImportCalledByTheHost) {
  Module m = compile_wat(R"((module
    (import "host" "add_one" (func $add_one (param i32) (result i32)))
    (export "add_one_again" (func $add_one))
  ))", "reexport");
  Store store(engine());
  Instance inst = Instance::create(store, m, compute_linker());
  std::vector<Value> args = {Value::i32(41)};
  const Outcome o = inst.call("add_one_again", args);
  ASSERT_TRUE(o.returned()) << o.trap.to_string();
  EXPECT_EQ(o.results.at(0).as_i32(), 42);
}

// ---------------------------------------------------------------- entry points

TEST_P(Hardening, AnEntryPointWithParametersIsRefused) {
  Module with_params = compile_wat(R"((module (func (export "_start") (param i32))))", "start_with_params");
  try {
    command_entry(with_params);
    FAIL() << "an entry point with parameters was accepted";
  } catch (const LinkError& e) {
    EXPECT_STREQ(e.what(), "start_with_params: export '_start' has type (i32) -> (), but an entry point must take no "
                           "parameters");
  }
  Module main_only = compile_wat(R"((module (func (export "main") (result i32) i32.const 0)))", "main_only");
  EXPECT_EQ(command_entry(main_only), "main");
  Module none = compile_wat(R"((module (func (export "other"))))", "no_entry");
  EXPECT_EQ(command_entry(none), std::nullopt);
}

// ---------------------------------------------------------------- nesting depth

TEST_P(Hardening, DeepNestingIsRefusedBeforeItCanOverflowTheStack) {
  for (uint8_t opcode : {uint8_t{0x02}, uint8_t{0x03}, uint8_t{0x04}}) {
    const auto wasm = nested_module(100000, opcode);
    try {
      Module::compile(engine(), wasm, "deep");
      FAIL() << "a module nested 100,000 levels deep compiled";
    } catch (const CompileError& e) {
      EXPECT_NE(std::string(e.what()).find("deep: module exceeds an implementation limit: byte 0x"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("nested deeper than wasmlet's limit of 10000 levels"),
                std::string::npos)
          << e.what();
    }
  }
}

// Up to the limit a module compiles and runs, also on a thread with a small
// stack (the daemon's and plugins' threads are not the main thread).
TEST_P(Hardening, NestingUpToTheLimitRunsOnASmallThreadStack) {
  if (tier() == Tier::Aot) GTEST_SKIP() << "C compilers take minutes on 10,000 nested blocks";
  // The function's own frame counts as one of the decoder's 10,000 levels.
  const auto wasm = nested_module(9999, 0x03);
  std::string error;
  Outcome outcome;
  run_on_thread_with_stack(1 << 20, [&] {
    try {
      Module m = Module::compile(engine(), wasm, "limit");
      Store store(engine());
      Instance inst = Instance::create(store, m, Linker{});
      outcome = inst.call("run");
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  ASSERT_EQ(error, "");
  EXPECT_TRUE(outcome.returned()) << outcome.trap.to_string();
}

// ---------------------------------------------------------------- WASI

// An iovec array that runs past the end of memory is `fault` (21), even
// where the part fd_write would use (the first 1,024 entries) lies inside.
TEST_P(Hardening, IovecArrayPastMemoryIsAFault) {
  Module m = compile_wat(R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "hi")
    ;; iovec at 65528: {buf 0, len 2}; the array is declared `count` long
    (func (export "write") (param $count i32) (result i32)
      (i32.store (i32.const 65528) (i32.const 0))
      (i32.store (i32.const 65532) (i32.const 2))
      (call $fd_write (i32.const 1) (i32.const 65528) (local.get $count) (i32.const 16)))
    (func (export "read") (param $count i32) (result i32)
      (i32.store (i32.const 65528) (i32.const 0))
      (i32.store (i32.const 65532) (i32.const 2))
      (call $fd_read (i32.const 0) (i32.const 65528) (local.get $count) (i32.const 16)))
  ))", "iovecs");
  std::string out;
  WasiConfig config;
  config.output = [&out](OutputStream, std::span<const uint8_t> bytes) { out.append(bytes.begin(), bytes.end()); };
  Store store(engine());
  attach_wasi(store, config);
  Linker linker;
  add_wasi_preview1(linker);
  Instance inst = Instance::create(store, m, linker);
  auto call = [&](const char* name, int32_t count) {
    std::vector<Value> args = {Value::i32(count)};
    const Outcome o = inst.call(name, args);
    EXPECT_TRUE(o.returned()) << o.trap.to_string();
    return o.results.at(0).as_i32();
  };
  EXPECT_EQ(call("write", 1), 0);
  EXPECT_EQ(out, "hi");
  for (int32_t count : {2, 3000, 0x7fffffff, -1}) {
    EXPECT_EQ(call("write", count), 21) << count;
    EXPECT_EQ(call("read", count), 21) << count;
  }
  EXPECT_EQ(out, "hi");
}

// ---------------------------------------------------------------- AOT names and imports

// A NUL byte, a quote and "*/" in export names, and an import made twice
// (AssemblyScript's output imports fd_write twice).
TEST_P(Hardening, OddExportNamesAndDuplicateImports) {
  Module m = compile_wat(R"((module
    (import "host" "add_one" (func $a (param i32) (result i32)))
    (import "host" "add_one" (func $b (param i32) (result i32)))
    (func (export "a\00b") (result i32) i32.const 1)
    (func (export "a\00c") (result i32) i32.const 2)
    (func (export "it's */ odd") (result i32) i32.const 3)
    (func (export "twice") (param i32) (result i32) local.get 0 call $a call $b)
  ))", "odd_names");
  Store store(engine());
  Instance inst = Instance::create(store, m, compute_linker());
  EXPECT_EQ(inst.call(std::string("a\0b", 3)).results.at(0).as_i32(), 1);
  EXPECT_EQ(inst.call(std::string("a\0c", 3)).results.at(0).as_i32(), 2);
  EXPECT_EQ(inst.call("it's */ odd").results.at(0).as_i32(), 3);
  std::vector<Value> args = {Value::i32(40)};
  EXPECT_EQ(inst.call("twice", args).results.at(0).as_i32(), 42);
}

// ---------------------------------------------------------------- tables

TEST_P(Hardening, TablesCountAgainstTheMemoryLimit) {
  Module big = compile_wat(R"((module (table (export "t") 10000000 funcref)))", "big_table");
  StoreLimits limits;
  limits.max_memory_bytes = 16 << 20;
  Store limited(engine(), limits);
  try {
    Instance::create(limited, big, Linker{});
    FAIL() << "a 10M-entry table fit in 16 MiB";
  } catch (const LinkError& e) {
    EXPECT_STREQ(e.what(), "big_table: its tables (10000000 entries, counted as 8 bytes each) and 0 bytes of linear "
                           "memory at start need 80000000 bytes, more than the memory limit of 16777216 bytes");
  }
  // 1.1M entries (8.8 MB) fit beside 2 pages, and are given back with the instance.
  Module fits = compile_wat(R"((module (memory 2) (table 1100000 funcref)))", "fits");
  for (int i = 0; i < 3; ++i) Instance::create(limited, fits, Linker{});
  auto both = std::make_unique<Instance>(Instance::create(limited, fits, Linker{}));
  EXPECT_THROW(Instance::create(limited, fits, Linker{}), LinkError);  // 2 x 8.9 MB do not fit in 16 MiB
  both.reset();
  Instance::create(limited, fits, Linker{});
}

// Growth is charged too, in every tier: two tables grown to 16M entries
// each took 800 MB in AOT code under a 1 MiB limit.
TEST_P(Hardening, TableGrowthCountsAgainstTheMemoryLimit) {
  Module grows = compile_wat(R"((module (memory 1) (table $a 0 funcref) (table $b 0 funcref)
    (func (export "grow_a") (param i32) (result i32) ref.null func local.get 0 table.grow $a)
    (func (export "grow_b") (param i32) (result i32) ref.null func local.get 0 table.grow $b)
    (func (export "grow_memory") (param i32) (result i32) local.get 0 memory.grow)))", "grows");
  StoreLimits limits;
  limits.max_memory_bytes = 1 << 20;  // 16 pages
  Store store(engine(), limits);
  Instance inst = Instance::create(store, grows, Linker{});
  auto call = [&](const char* name, int32_t n) {
    std::vector<Value> args = {Value::i32(n)};
    Outcome o = inst.call(name, args);
    EXPECT_TRUE(o.returned()) << o.trap.to_string();
    return o.results.at(0).as_i32();
  };
  EXPECT_EQ(call("grow_a", 16777215), -1) << "128 MiB of table entries under a 1 MiB limit";
  EXPECT_EQ(call("grow_b", 16777215), -1);
  // 64 Ki entries (512 KiB) fit beside the one page of memory ...
  EXPECT_EQ(call("grow_a", 65536), 0);
  // ... and leave room for 7 more pages, not 15.
  EXPECT_EQ(call("grow_memory", 8), -1);
  EXPECT_EQ(call("grow_memory", 7), 1);
  EXPECT_EQ(call("grow_b", 1024), -1) << "memory and tables are full";
  EXPECT_EQ(call("grow_b", 0), 0);
}

TEST_P(Hardening, TableSizeIsCappedInEveryStore) {
  Module huge = compile_wat(R"((module (table 4000000000 funcref)))", "huge_table");
  Store store(engine());
  try {
    Instance::create(store, huge, Linker{});
    FAIL() << "a 4G-entry table was created";
  } catch (const LinkError& e) {
    EXPECT_STREQ(e.what(), "huge_table: table 0 starts with 4000000000 entries; wasmlet allows at most 16777216 per table");
  }
  Module grows = compile_wat(R"((module (table 10 funcref)
    (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)))", "grows");
  Instance inst = Instance::create(store, grows, Linker{});
  std::vector<Value> too_many = {Value::i32(int32_t(1) << 24)}, some = {Value::i32(1000)};
  EXPECT_EQ(inst.call("grow", too_many).results.at(0).as_i32(), -1);
  EXPECT_EQ(inst.call("grow", some).results.at(0).as_i32(), 10);
}
